/**
 * `descent import MODEL.onnx OUT_DIR [--name onnx]`: an ONNX model as a descent model folder
 * (model.json + weights.safetensors) that `descent evaluate`/`predict`, io.loadModel and
 * fine-tuning use like any other. Its float initialisers become trainable parameters.
 */
import { ConfigError } from '../errors.js';
import { platform } from '#platform';
import { saveModel } from '../io/model-io.js';
import { importOnnx } from '../io/onnx/index.js';

export interface ImportFlags {
  name?: string;
  json?: boolean;
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

export async function runImport(source: string, outDir: string, flags: ImportFlags): Promise<ImportResult> {
  if (!/\.onnx$/i.test(source))
    throw new ConfigError(`descent import: expected an .onnx file, got '${source}'.`);
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
