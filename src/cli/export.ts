/**
 * `descent export MODEL_DIR --onnx OUT.onnx [--input-shape 1,28,28] [--input-name input]
 * [--output-name output]`: a saved model as an ONNX file (opset 17, symbolic batch dimension)
 * for onnxruntime and every other ONNX consumer.
 *
 * `descent export MODEL_DIR --torch OUT_DIR [--data-dir DIR] [--no-data]`: a saved model as a
 * PyTorch project to continue training past one machine (io/torch/): model.py,
 * state_dict.safetensors, train_ddp.py with the training settings model.json records, and
 * data.safetensors — the data set it was trained on (x_train, y_train, x_test, y_test),
 * split and standardised exactly as `descent train` did, from the seed and test fraction saved.
 *
 * The input shape comes from model.json when the model recorded it. Files are written atomically.
 */
import { ConfigError } from '../errors.js';
import { platform } from '#platform';
import type { Dataset } from '../data/dataset.js';
import type { SplitSets } from '../data/sets.js';
import { loadModelWithInfo, type ModelInfo } from '../io/model-io.js';
import { EXPORT_OPSET, exportOnnx } from '../io/onnx/index.js';
import { decodeOnnxModel } from '../io/onnx/proto.js';
import { encodeSafetensors } from '../io/safetensors-codec.js';
import { exportTorch, torchTrainingConfig } from '../io/torch/index.js';
import { setSeed } from '../tensor/random.js';
import { resolveModelDir, savedRun } from './evaluate.js';
import { isImageSet } from './networks.js';
import { loadData } from './train.js';

export interface ExportFlags {
  onnx?: string;
  torch?: string;
  inputShape?: string;
  inputName?: string;
  outputName?: string;
  /** --torch: the folder with the image set's IDX files (default: where training read them). */
  dataDir?: string;
  /** --torch: false (--no-data) skips data.safetensors. */
  data?: boolean;
  json?: boolean;
}

export interface TorchExportResult {
  dir: string;
  files: Array<{ name: string; bytes: number }>;
  data: { name: string; train: number; test: number } | null;
  commands: string[];
}

export interface ExportResult {
  file: string;
  bytes: number;
  opset: number;
  nodes: number;
  input: { name: string; shape: Array<number | string> };
  output: { name: string; shape: Array<number | string> };
}

function parseShape(text: string): number[] {
  const dims = text.split(',').map((s) => Number(s.trim()));
  if (dims.length === 0 || !dims.every((d) => Number.isInteger(d) && d > 0))
    throw new ConfigError(
      `--input-shape must be one sample's dimensions, e.g. 1,28,28 or 64; got '${text}'.`,
    );
  return dims;
}

/** The training data of a model saved by `descent train --save`, split and prepared as in training. */
function trainingSets(info: ModelInfo, modelDir: string, dataDir: string | undefined): SplitSets {
  const run = savedRun(info, modelDir);
  const flags = (info.metadata.flags ?? {}) as { limit?: unknown };
  const limit = flags.limit === null || flags.limit === undefined ? undefined : Number(flags.limit);
  const images = isImageSet(run.data.name);
  if (dataDir !== undefined && !images)
    throw new ConfigError(`--data-dir applies to image sets; ${modelDir} was trained on ${run.data.name}.`);
  setSeed(run.seed);
  const sets = loadData(run.data.name, run.data.testFraction, {
    dataDir: dataDir ?? (images ? run.data.dir : undefined),
    limit,
  });
  if (sets.numFeatures !== run.data.numFeatures) {
    sets.train.dispose();
    sets.test.dispose();
    throw new ConfigError(
      `${run.data.name}: has ${sets.numFeatures} features now; the model in ${modelDir} was trained on ${run.data.numFeatures}.`,
    );
  }
  if (limit !== undefined && !images && limit < sets.train.length) {
    const all = sets.train;
    sets.train = all.subset(
      Int32Array.from({ length: limit }, (_, i) => i),
      all.name,
    );
    all.dispose();
  }
  return sets;
}

const tensorOf = (set: Dataset) => [
  { shape: [...set.x.shape], data: set.x.dataSync() },
  { shape: [...set.y.shape], data: set.y.dataSync() },
];

function standardised(info: ModelInfo): boolean {
  const meta = info.metadata as { data?: { standardizer?: unknown; channelStandardizer?: unknown } };
  return Boolean(meta.data?.standardizer || meta.data?.channelStandardizer);
}

async function runExportTorch(modelDir: string, flags: ExportFlags): Promise<TorchExportResult> {
  const dir = flags.torch!;
  modelDir = resolveModelDir(modelDir);
  const { layer, info } = loadModelWithInfo(modelDir);
  try {
    const inputShape = flags.inputShape ? parseShape(flags.inputShape) : info.inputShape?.slice(1);
    const hasRecord = typeof info.metadata.training === 'object' && info.metadata.training !== null;
    const training = torchTrainingConfig(info.metadata);
    let dataBytes: Uint8Array | null = null;
    let dataInfo: TorchExportResult['data'] = null;
    if (flags.data !== false && hasRecord) {
      const sets = trainingSets(info, modelDir, flags.dataDir);
      try {
        const [xTrain, yTrain] = tensorOf(sets.train);
        const [xTest, yTest] = tensorOf(sets.test);
        dataBytes = encodeSafetensors(
          [
            ['x_train', xTrain],
            ['y_train', yTrain],
            ['x_test', xTest],
            ['y_test', yTest],
          ],
          { source: `descent export --torch ${modelDir}`, data: sets.name },
        );
        dataInfo = { name: sets.name, train: sets.train.length, test: sets.test.length };
        training.data = 'data.safetensors';
      } finally {
        sets.train.dispose();
        sets.test.dispose();
      }
    }
    const files = await exportTorch(layer, { inputShape, training });
    platform.makeDir(dir);
    const written: Array<[string, Uint8Array | string]> = [
      ['model.py', files['model.py']],
      ['state_dict.safetensors', files['state_dict.safetensors']],
      ['train_ddp.py', files['train_ddp.py']],
      ...(dataBytes ? [['data.safetensors', dataBytes] as [string, Uint8Array]] : []),
    ];
    for (const [name, contents] of written) platform.writeFileAtomic(platform.joinPath(dir, name), contents);
    const trained = platform.joinPath(dir, 'trained.safetensors');
    const result: TorchExportResult = {
      dir,
      files: written.map(([name, c]) => ({
        name,
        bytes: typeof c === 'string' ? new TextEncoder().encode(c).length : c.length,
      })),
      data: dataInfo,
      commands: [
        `cd ${dir} && torchrun --nproc_per_node=2 train_ddp.py --epochs 2${dataBytes ? '' : ' --data DATA.safetensors'}`,
        `descent import ${trained} --into ${modelDir} OUT_DIR`,
      ],
    };
    if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(
        `wrote ${dir}: ${result.files.map((f) => `${f.name} (${f.bytes} bytes)`).join(', ')}` +
          (dataInfo
            ? `; data: ${dataInfo.name}, ${dataInfo.train} training and ${dataInfo.test} test samples`
            : '') +
          '\n' +
          (training.notMapped.length > 0 ? training.notMapped.map((n) => `note: ${n}\n`).join('') : '') +
          (standardised(info)
            ? 'note: the model takes standardised inputs (the statistics are in model.json, metadata.data); data.safetensors holds them so.\n'
            : '') +
          `next: ${result.commands.join('\n      ')}\n`,
      );
    }
    return result;
  } finally {
    layer.dispose();
  }
}

export async function runExport(
  modelDir: string,
  flags: { torch: string } & ExportFlags,
): Promise<TorchExportResult>;
export async function runExport(modelDir: string, flags: ExportFlags): Promise<ExportResult>;
export async function runExport(
  modelDir: string,
  flags: ExportFlags,
): Promise<ExportResult | TorchExportResult> {
  if (flags.onnx && flags.torch) throw new ConfigError('descent export: give one of --onnx and --torch.');
  if (flags.torch) return runExportTorch(modelDir, flags);
  if (!flags.onnx)
    throw new ConfigError('descent export: say what to write, e.g. --onnx model.onnx or --torch torch-dir.');
  modelDir = resolveModelDir(modelDir);
  const { layer, info } = loadModelWithInfo(modelDir);
  try {
    const inputShape = flags.inputShape ? parseShape(flags.inputShape) : info.inputShape?.slice(1);
    const bytes = await exportOnnx(layer, {
      inputShape,
      inputName: flags.inputName,
      outputName: flags.outputName,
    });
    platform.writeFileAtomic(flags.onnx, bytes);
    const graph = decodeOnnxModel(bytes, flags.onnx).graph!;
    const io = (v: (typeof graph.input)[number]) => ({
      name: v.name,
      shape: v.type!.tensorType!.shape!.dim.map((d) => d.dimParam || Number(d.dimValue)),
    });
    const result: ExportResult = {
      file: flags.onnx,
      bytes: bytes.length,
      opset: EXPORT_OPSET,
      nodes: graph.node.length,
      input: io(graph.input[0]),
      output: io(graph.output[0]),
    };
    if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      const shape = (s: Array<number | string>) => `[${s.join(', ')}]`;
      process.stdout.write(
        `wrote ${result.file} (${result.bytes} bytes, ONNX opset ${result.opset}, ${result.nodes} nodes): ` +
          `input '${result.input.name}' ${shape(result.input.shape)} → output '${result.output.name}' ${shape(result.output.shape)}\n`,
      );
      const meta = info.metadata as { data?: { standardizer?: unknown; channelStandardizer?: unknown } };
      if (meta.data?.standardizer || meta.data?.channelStandardizer)
        process.stdout.write(
          'note: the model was trained on standardised inputs; standardise them as training did ' +
            '(the statistics are in model.json, metadata.data) before feeding the ONNX model.\n',
        );
    }
    return result;
  } finally {
    layer.dispose();
  }
}
