// Shared by the ONNX tests: onnxruntime-node as the reference runtime, ONNX's checker through
// Debian's python3-onnx, and small utilities (seeded inputs, random weights, comparisons).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { noGrad } from '../../src/autograd/tape.js';
import { assignValues, namedTensors } from '../../src/io/model-format.js';
import type { Layer } from '../../src/nn/layer.js';
import { fromArray } from '../../src/tensor/creation.js';
import type { Rng } from '../../src/tensor/random.js';
import { tidy } from '../../src/tensor/scope.js';

export const PYTHON = '/usr/bin/python3';

/** Why ONNX's checker cannot run here, or null. */
export function checkerMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3 python3-onnx)`;
  const r = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-onnx is not installed (apt-get install python3-onnx)';
}

/**
 * Runs ONNX's checker (with full_check: shape inference too) on each file; returns the
 * error text per file ('' when it passes), in one Python process.
 */
export function checkModels(models: ReadonlyArray<Uint8Array>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'descent-onnx-check-'));
  try {
    const paths = models.map((bytes, i) => {
      const p = join(dir, `m${i}.onnx`);
      writeFileSync(p, bytes);
      return p;
    });
    const script = [
      'import sys, json, onnx',
      'out = []',
      'for p in sys.argv[1:]:',
      '    try:',
      '        onnx.checker.check_model(onnx.load(p), full_check=True)',
      "        out.append('')",
      '    except Exception as e:',
      '        out.append(str(e) or type(e).__name__)',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script, ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`the ONNX checker did not run: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One session per model, single-threaded (the test machine is shared). */
export async function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

export async function ortRun(
  session: ort.InferenceSession,
  input: Float32Array,
  shape: readonly number[],
  names = { input: 'input', output: 'output' },
): Promise<Float32Array> {
  const out = await session.run({ [names.input]: new ort.Tensor('float32', input, [...shape]) });
  return out[names.output].data as Float32Array;
}

/** descent's inference output for a batch. */
export function predict(net: Layer, input: Float32Array, shape: readonly number[]): Float32Array {
  return tidy(() =>
    noGrad(() => Float32Array.from(net.call(fromArray(input, shape), { training: false }).dataSync())),
  );
}

export function uniformInput(rng: Rng, size: number, low = -1, high = 1): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = rng.uniformIn(low, high);
  return x;
}

/** Replaces every parameter and buffer with seeded values (batch norm variances kept positive). */
export function randomizeWeights(net: Layer, rng: Rng): void {
  for (const t of namedTensors(net)) {
    if (t.tensor.dtype === 'int32') continue;
    const positive = /var/i.test(t.local) || /gamma/.test(t.local);
    const n = t.tensor.size;
    const scale = t.local === 'weight' ? 1 / Math.sqrt(Math.max(1, n / t.tensor.shape[0])) : 0.5;
    const values = Array.from({ length: n }, () =>
      positive ? rng.uniformIn(0.5, 1.5) : rng.uniformIn(-1, 1) * (scale * 1.7),
    );
    assignValues(t.tensor, values);
  }
}

/** The largest |a − e| / max(1, |e|). */
export function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}
