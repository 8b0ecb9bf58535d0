/**
 * `descent export MODEL_DIR --onnx OUT.onnx [--input-shape 1,28,28] [--input-name input]
 * [--output-name output]`: a saved model as an ONNX file (opset 17, symbolic batch dimension)
 * for onnxruntime and every other ONNX consumer. The input shape comes from model.json when
 * the model recorded it. Written atomically.
 */
import { ConfigError } from '../errors.js';
import { platform } from '#platform';
import { loadModelWithInfo } from '../io/model-io.js';
import { resolveModelDir } from './evaluate.js';
import { EXPORT_OPSET, exportOnnx } from '../io/onnx/index.js';
import { decodeOnnxModel } from '../io/onnx/proto.js';

export interface ExportFlags {
  onnx?: string;
  inputShape?: string;
  inputName?: string;
  outputName?: string;
  json?: boolean;
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

export async function runExport(modelDir: string, flags: ExportFlags): Promise<ExportResult> {
  if (!flags.onnx) throw new ConfigError('descent export: say what to write, e.g. --onnx model.onnx.');
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
