/**
 * `descent import MODEL.onnx OUT_DIR [--name onnx]`: an ONNX model as a descent model folder
 * (model.json + weights.safetensors) that `descent evaluate`/`predict`, io.loadModel and
 * fine-tuning use like any other. Its float initialisers become trainable parameters.
 *
 * `descent import STATE.safetensors --into MODEL_DIR OUT_DIR [--no-strict]`: a PyTorch
 * state_dict (train_ddp.py's trained.safetensors, or any with descent's PyTorch names) loaded
 * into the model saved in MODEL_DIR, written as a new model folder that keeps MODEL_DIR's
 * training record, so `descent evaluate OUT_DIR` tests it on the same split.
 */
import { ConfigError } from '../errors.js';
import { platform } from '#platform';
import { loadModelWithInfo, saveModel } from '../io/model-io.js';
import { importOnnx } from '../io/onnx/index.js';
import { decodeSafetensors } from '../io/safetensors-codec.js';
import { loadStateDictFromBytes } from '../io/state-dict.js';

export interface ImportFlags {
  name?: string;
  /** A state_dict's model: the folder whose architecture it fills. */
  into?: string;
  /** false (--no-strict): keys the model lacks are ignored, and missing ones keep the model's values. */
  strict?: boolean;
  json?: boolean;
}

export interface StateDictImportResult {
  dir: string;
  into: string;
  tensors: number;
  missingKeys: string[];
  unexpectedKeys: string[];
  metadata: Record<string, string>;
}

async function runImportStateDict(
  source: string,
  outDir: string,
  flags: ImportFlags,
): Promise<StateDictImportResult> {
  const into = flags.into!;
  const bytes = platform.readFile(source, 'state_dict (safetensors)', 2 ** 31);
  const { layer, info } = loadModelWithInfo(into);
  try {
    const contents = decodeSafetensors(bytes, source);
    const metadata = contents.metadata;
    const { missingKeys, unexpectedKeys } = loadStateDictFromBytes(layer, bytes, {
      strict: flags.strict ?? true,
      source,
    });
    await saveModel(layer, outDir, {
      inputShape: info.inputShape,
      metadata: { ...info.metadata, stateDictFrom: source, stateDictMetadata: metadata },
    });
    const tensors = contents.tensors.size;
    const result: StateDictImportResult = {
      dir: outDir,
      into,
      tensors,
      missingKeys,
      unexpectedKeys,
      metadata,
    };
    if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
    else
      process.stdout.write(
        `loaded ${source} (${tensors} tensors${metadata.producer ? `, from ${metadata.producer}` : ''}) into the model of ${into}; saved to ${outDir}` +
          (missingKeys.length > 0 ? `; kept the model's own ${missingKeys.join(', ')}` : '') +
          (unexpectedKeys.length > 0 ? `; ignored ${unexpectedKeys.join(', ')}` : '') +
          '\n',
      );
    return result;
  } finally {
    layer.dispose();
  }
}

export interface ImportResult {
  dir: string;
  opset: number;
  producer: string;
  nodes: number;
  parameters: number;
  inputs: Array<{ name: string; shape: Array<number | string> | null }>;
  outputs: Array<{ name: string; shape: Array<number | string> | null }>;
}

export async function runImport(
  source: string,
  outDir: string,
  flags: { into: string } & ImportFlags,
): Promise<StateDictImportResult>;
export async function runImport(source: string, outDir: string, flags: ImportFlags): Promise<ImportResult>;
export async function runImport(
  source: string,
  outDir: string,
  flags: ImportFlags,
): Promise<ImportResult | StateDictImportResult> {
  if (/\.safetensors$/i.test(source)) {
    if (!flags.into)
      throw new ConfigError(
        `descent import: ${source} is a state_dict; say which model it fills: --into MODEL_DIR (the folder it was exported from).`,
      );
    return runImportStateDict(source, outDir, flags);
  }
  if (flags.into)
    throw new ConfigError(`descent import: --into takes a state_dict (.safetensors), not '${source}'.`);
  if (!/\.onnx$/i.test(source))
    throw new ConfigError(
      `descent import: expected an .onnx file or a state_dict (.safetensors with --into MODEL_DIR), got '${source}'.`,
    );
  const bytes = platform.readFile(source, 'ONNX model', 2 ** 31);
  const net = importOnnx(bytes, { source, name: flags.name });
  try {
    const d = net.description;
    await saveModel(net, outDir, {
      metadata: { importedFrom: source, producer: d.producer, opset: d.opset },
    });
    const result: ImportResult = {
      dir: outDir,
      opset: d.opset,
      producer: d.producer,
      nodes: d.nodes.length,
      parameters: net.parameters().reduce((s, p) => s + p.size, 0),
      inputs: d.inputs.map((i) => ({ name: i.name, shape: i.shape })),
      outputs: d.outputs.map((o) => ({ name: o.name, shape: o.shape })),
    };
    if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      const shape = (s: Array<number | string> | null) => (s ? `[${s.join(', ')}]` : '[?]');
      process.stdout.write(
        `imported ${source} (${d.producer || 'unknown producer'}, opset ${d.opset}): ${result.nodes} nodes, ` +
          `${result.parameters} trainable parameters; ${result.inputs.map((i) => `'${i.name}' ${shape(i.shape)}`).join(', ')} → ` +
          `${result.outputs.map((o) => `'${o.name}' ${shape(o.shape)}`).join(', ')}; saved to ${outDir}\n`,
      );
    }
    return result;
  } finally {
    net.dispose();
  }
}
