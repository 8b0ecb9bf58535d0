/**
 * Inference through descent's `Model.predict` against onnxruntime-node on the same model, in
 * one run: the zoo's mlp (784-256-128-100-10) and lenet5 (1×28×28), exported with
 * io.exportOnnx, at batch 1 and 1000, from a Float32Array of inputs to a Float32Array of
 * outputs on both sides. descent runs on wasm (its default) and cpu; onnxruntime on its CPU
 * execution provider with 1 and 2 intra-op threads. Both must give the same outputs (checked
 * once, within 1e-5). Prints samples/s and the ratio of the faster onnxruntime setting to descent wasm.
 *
 *   npm run build && nice node dist/bench/onnx-predict.js [--seconds=2] [--rounds=3] [--json]
 *
 * Rounds are interleaved and each row keeps its best: on a shared machine that filters out
 * the rounds another process disturbed.
 */
import ort from 'onnxruntime-node';
import { setBackend } from '../src/backend/registry.js';
import { initWasm, wasmInfo } from '../src/backend/wasm/index.js';
import { exportOnnx } from '../src/io/onnx/index.js';
import * as nn from '../src/nn/index.js';
import { fromArray } from '../src/tensor/creation.js';
import { Rng, setSeed } from '../src/tensor/random.js';
import { Model } from '../src/train/model.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const seconds = Number(option('seconds', '2'));
const rounds = Math.max(1, Number(option('rounds', '3')));
const json = args.includes('--json');

interface Runner {
  name: string;
  run(x: Float32Array, batch: number): Promise<Float32Array>;
}

const SAMPLE = [1, 28, 28];
const sampleSize = SAMPLE.reduce((a, b) => a * b, 1);

/** Samples per second of `runner` at `batch`, over about `seconds`. */
async function measure(runner: Runner, x: Float32Array, batch: number): Promise<number> {
  await runner.run(x, batch); // warm up
  let steps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000 || steps < 3) {
    await runner.run(x, batch);
    steps++;
    elapsed = performance.now() - start;
  }
  return (steps * batch) / (elapsed / 1000);
}

function descentRunner(model: Model, backend: 'wasm' | 'cpu'): Runner {
  return {
    name: `descent ${backend}`,
    async run(x, batch) {
      setBackend(backend);
      const input = fromArray(x, [batch, ...SAMPLE]);
      const y = model.predict(input, { batchSize: batch });
      const out = (await y.data()) as Float32Array;
      input.dispose();
      y.dispose();
      return out;
    },
  };
}

async function ortRunner(bytes: Uint8Array, threads: number): Promise<Runner> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return {
    name: `onnxruntime ${threads} thread${threads > 1 ? 's' : ''}`,
    async run(x, batch) {
      const out = await session.run({ input: new ort.Tensor('float32', x, [batch, ...SAMPLE]) });
      return out.output.data as Float32Array;
    },
  };
}

async function main(): Promise<void> {
  await initWasm();
  const rows: Array<{ model: string; batch: number; runtime: string; samplesPerSec: number }> = [];
  for (const name of ['mlp', 'lenet5'] as const) {
    // The same seeded weights on each backend (a model's tensors live on one backend).
    const build = (backend: 'wasm' | 'cpu') => {
      setBackend(backend);
      setSeed(1);
      return new Model(nn.buildModel(name, { inputShape: SAMPLE }));
    };
    const onWasm = build('wasm');
    const onCpu = build('cpu');
    setBackend('wasm');
    const bytes = await exportOnnx(onWasm.net, { inputShape: SAMPLE });
    const runners = [
      descentRunner(onWasm, 'wasm'),
      descentRunner(onCpu, 'cpu'),
      await ortRunner(bytes, 1),
      await ortRunner(bytes, 2),
    ];
    const rng = new Rng(2);
    for (const batch of [1, 1000]) {
      const x = Float32Array.from({ length: batch * sampleSize }, () => rng.uniform());
      // Same numbers first: the comparison is only meaningful if both compute the same thing.
      const want = await runners[0].run(x, batch);
      const got = await runners[2].run(x, batch);
      let worst = 0;
      for (let i = 0; i < want.length; i++)
        worst = Math.max(worst, Math.abs(want[i] - got[i]) / Math.max(1, Math.abs(want[i])));
      if (!(worst <= 1e-5))
        throw new Error(`${name} batch ${batch}: onnxruntime and descent differ by ${worst}`);
      const best = new Map<string, number>();
      for (let r = 0; r < rounds; r++)
        for (const runner of runners) {
          const v = await measure(runner, x, batch);
          best.set(runner.name, Math.max(best.get(runner.name) ?? 0, v));
        }
      for (const runner of runners)
        rows.push({ model: name, batch, runtime: runner.name, samplesPerSec: best.get(runner.name)! });
    }
  }
  if (json) {
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  const info = wasmInfo();
  process.stdout.write(
    `descent Model.predict vs onnxruntime-node ${ort.env.versions.node ?? ''} on the exported model; best of ${rounds} × ${seconds} s; ` +
      `descent wasm: ${info.threads} thread(s)${info.relaxedSimd ? ', relaxed SIMD' : ''}\n\n`,
  );
  const runtimes = [...new Set(rows.map((r) => r.runtime))];
  process.stdout.write(`| model | batch | ${runtimes.join(' | ')} | best onnxruntime / descent wasm |\n`);
  process.stdout.write(`| --- | --- | ${runtimes.map(() => '---').join(' | ')} | --- |\n`);
  for (const name of ['mlp', 'lenet5'])
    for (const batch of [1, 1000]) {
      const of = (runtime: string) =>
        rows.find((r) => r.model === name && r.batch === batch && r.runtime === runtime)!.samplesPerSec;
      const cells = runtimes.map((rt) => Math.round(of(rt)).toLocaleString('en-US'));
      const ratio = Math.max(of('onnxruntime 1 thread'), of('onnxruntime 2 threads')) / of('descent wasm');
      process.stdout.write(`| ${name} | ${batch} | ${cells.join(' | ')} | ${ratio.toFixed(2)}× |\n`);
    }
}

await main();
