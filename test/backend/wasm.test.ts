// What is particular to the wasm backend: threads (results identical for any thread count),
// memory growth, backend choice (auto / DESCENT_BACKEND) and clean process exit with workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MatmulArgs } from '../../src/backend/contract.js';
import { findBackend } from '../../src/backend/registry.js';
import { WasmBackend } from '../../src/backend/wasm/index.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from './conformance.js';

const registryUrl = new URL('../../src/backend/registry.js', import.meta.url).href;

function random(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniformIn(-1, 1));
}

test('wasm: matmul gives bit-identical results on 1 and 2+ threads, close to cpu', () => {
  const wasm = new WasmBackend({ threads: 2 });
  assert.ok(wasm.info().sharedMemory, 'Node has SharedArrayBuffer, so the memory is shared');
  assert.equal(wasm.waitForWorkers(10_000), 1, 'the worker started');
  const cpu = findBackend('cpu');
  const shapes: [number, number, number, number][] = [
    [1, 100, 500, 784],
    [1, 500, 784, 100],
    [1, 100, 784, 500],
    [1, 97, 203, 131],
    [6, 33, 47, 29],
    [1, 301, 9, 77],
  ];
  for (const [batch, m, n, k] of shapes) {
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const args: MatmulArgs = { batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
      const av = random(batch * m * k, m);
      const bv = random(batch * k * n, n);
      const a = wasm.upload('float32', av);
      const b = wasm.upload('float32', bv);
      const c1 = wasm.alloc('float32', batch * m * n);
      const c2 = wasm.alloc('float32', batch * m * n);
      wasm.setThreads(1);
      wasm.matmul(a, b, c1, 'float32', args);
      wasm.setThreads(2);
      assert.equal(wasm.info().threads, 2);
      wasm.matmul(a, b, c2, 'float32', args);
      const one = wasm.readSync(c1, 'float32', batch * m * n);
      const two = wasm.readSync(c2, 'float32', batch * m * n);
      assert.deepEqual(two, one, `1 vs 2 threads ${JSON.stringify(args)}`);
      const ref = cpu.alloc('float32', batch * m * n);
      cpu.matmul(cpu.upload('float32', av), cpu.upload('float32', bv), ref, 'float32', args);
      assertClose(two, cpu.readSync!(ref, 'float32', batch * m * n), 1e-4, `vs cpu ${JSON.stringify(args)}`);
      for (const s of [a, b, c1, c2]) wasm.free(s);
    }
  }
});

test('wasm: the memory grows on demand and earlier tensors keep their values', () => {
  const wasm = new WasmBackend({ threads: 1 });
  const first = wasm.upload('float32', [1, 2, 3, 4, 5]);
  const before = wasm.info().heap.memoryBytes;
  const big = wasm.alloc('float32', 8 * 1024 * 1024); // 32 MiB
  wasm.fill(big, 'float32', 8 * 1024 * 1024, 2);
  assert.ok(wasm.info().heap.memoryBytes > before, 'memory grew');
  assert.deepEqual(Array.from(wasm.readSync(first, 'float32', 5)), [1, 2, 3, 4, 5]);
  const last = wasm.readSync(big, 'float32', 8 * 1024 * 1024);
  assert.equal(last[last.length - 1], 2);
  // Freed blocks are reused: the same sizes again do not grow the memory.
  wasm.free(big);
  const grown = wasm.info().heap.memoryBytes;
  const again = wasm.alloc('float32', 8 * 1024 * 1024);
  assert.equal(wasm.info().heap.memoryBytes, grown);
  wasm.free(again);
  wasm.free(first);
});

test("wasm: 'auto' picks wasm, DESCENT_BACKEND chooses, and a process with workers exits promptly", () => {
  const script = `
    const { getBackend } = await import(${JSON.stringify(registryUrl)});
    const b = getBackend();
    if (b.name === 'wasm') {
      b.waitForWorkers(10000);
      const n = 256;
      const a = b.alloc('float32', n * n); b.fill(a, 'float32', n * n, 1);
      const c = b.alloc('float32', n * n);
      b.matmul(a, a, c, 'float32', { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      if (b.readSync(c, 'float32', 1)[0] !== n) throw new Error('wrong product');
      console.log(b.name, b.info().threads);
    } else console.log(b.name);
  `;
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DESCENT_BACKEND: 'auto', DESCENT_WASM_THREADS: '2', ...env },
      encoding: 'utf8',
      timeout: 20_000,
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
  const auto = run({});
  assert.equal(auto.status, 0, auto.stderr);
  assert.equal(auto.stdout.trim(), 'wasm 2');
  assert.equal(run({ DESCENT_BACKEND: 'cpu' }).stdout.trim(), 'cpu');
  assert.equal(run({ DESCENT_BACKEND: 'wasm', DESCENT_WASM_THREADS: '1' }).stdout.trim(), 'wasm 1');
});

test('wasm: training fashion-cnn (conv, batch norm, max pool, dropout, Adam) gives the same bits on 1 and 2 threads', async () => {
  const { data, nn, getBackend, setBackend, setSeed, setWasmThreads, train, wasmInfo } =
    await import('../../src/index.js');
  const before = getBackend().name;
  setBackend('wasm');
  const rng = new Rng(5);
  const n = 32;
  const images = Float32Array.from({ length: n * 784 }, () => rng.uniform());
  const labels = Int32Array.from({ length: n }, () => rng.int(10));
  const run = async (threads: number): Promise<Float32Array[]> => {
    setWasmThreads(threads);
    setSeed(3);
    const set = data.Dataset.fromArrays(images, [1, 28, 28], labels, { numClasses: 10 });
    const model = new train.Model(
      nn.fashionCnn({ inputShape: [1, 28, 28], filters: [8, 16], hiddenUnits: 32 }),
    );
    model.compile({ optimizer: 'adam', lr: 1e-2, loss: 'crossEntropy' });
    await model.fit(set, { epochs: 2, batchSize: 16 });
    const params = model.parameters().map((p) => Float32Array.from(p.dataSync() as Float32Array));
    model.dispose();
    set.dispose();
    return params;
  };
  try {
    const one = await run(1);
    const previous = setWasmThreads(2);
    assert.ok(previous >= 1);
    (findBackend('wasm') as WasmBackend).waitForWorkers(10_000);
    assert.equal(wasmInfo().threads, 2, 'two threads in use');
    const two = await run(2);
    assert.equal(two.length, one.length);
    one.forEach((p, i) => assert.deepEqual(two[i], p, `parameter ${i} after 2 epochs`));
  } finally {
    setBackend(before);
  }
});
