/**
 * What is particular to the webgpu backend, as runner-free cases (like conformanceCases):
 * training through Model.fit on webgpu against cpu, the large GEMM tiles, aliasing, the
 * buffer pool and upload ordering, forced submits, grids beyond 65535 workgroups, and the
 * registry's behaviour once a device exists. They need an initialised webgpu backend: the
 * browser harness (test/browser/) or Node on a machine with a GPU (webgpu.test.ts) runs them.
 */
import assert from 'node:assert/strict';
import type { MatmulArgs, Storage } from '../../src/backend/contract.js';
import { findBackend, getBackend, setBackend } from '../../src/backend/registry.js';
import { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { Dataset } from '../../src/data/dataset.js';
import * as nn from '../../src/nn/index.js';
import { adam, sgd } from '../../src/optim/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { memory } from '../../src/tensor/scope.js';
import { Model } from '../../src/train/model.js';
import { assertClose, type ConformanceCase } from './conformance.js';

function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi));
}

/** Runs `fn` with `name` as the active backend, restoring the previous one. */
async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const previous = getBackend();
  setBackend(name);
  try {
    return await fn();
  } finally {
    setBackend(previous.name);
  }
}

/** Per-epoch training losses of `build()` trained by Model.fit on `backend`. */
async function fitLosses(
  backend: string,
  build: () => nn.Layer,
  data: { x: Float32Array; shape: number[]; y: Int32Array },
  optimizer: 'sgd' | 'adam',
  epochs: number,
): Promise<number[]> {
  return onBackend(backend, async () => {
    setSeed(7);
    const set = Dataset.fromArrays(data.x, data.shape, data.y, { numClasses: 10 });
    const model = new Model(build());
    model.compile({
      optimizer: optimizer === 'sgd' ? sgd({ lr: 0.1 }) : adam({ lr: 0.01 }),
      loss: 'crossEntropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(set, { epochs, batchSize: 16, rng: new Rng(3) });
    const evaluated = await model.evaluate(set);
    for (const p of model.parameters()) p.dispose();
    model.optimizer?.dispose();
    set.dispose();
    return [...history.history.loss, evaluated.loss];
  });
}

function classification(samples: number, shape: number[], seed: number) {
  const per = shape.reduce((p, d) => p * d, 1);
  const rng = new Rng(seed);
  const y = Int32Array.from({ length: samples }, () => Math.floor(rng.uniform() * 10));
  // Features that depend on the label, so that training makes progress.
  const x = Float32Array.from({ length: samples * per }, (_, i) => {
    const label = y[Math.floor(i / per)];
    return rng.normal() * 0.5 + ((i % per) % 10 === label ? 1 : 0);
  });
  return { x, shape, y };
}

/** The options the webgpu backend runs the shared conformance suite with. */
export const WEBGPU_CONFORMANCE = { tolerance: 1e-5, trainingTolerance: 1e-4 };

export function webgpuCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const test = (name: string, run: () => Promise<void>) => cases.push({ name, run });
  const gpu = () => findBackend('webgpu') as WebGpuBackend;

  test('fit: a 64-32-10 MLP (SGD) trains to the cpu losses within 1e-3 relative', async () => {
    const data = classification(96, [64], 21);
    const build = () =>
      nn.sequential([
        nn.dense({ units: 32, inFeatures: 64, activation: 'relu' }),
        nn.dense({ units: 10, inFeatures: 32 }),
      ]);
    const want = await fitLosses('cpu', build, data, 'sgd', 3);
    const got = await fitLosses('webgpu', build, data, 'sgd', 3);
    assertClose(got, want, 1e-3, 'MLP losses (3 epochs, then evaluate)');
    assert.ok(want[2] < want[0], `training made progress on cpu: ${want}`);
  });

  test('fit: a small CNN (conv, batch norm, max-pool, dropout, Adam) trains to the cpu losses within 1e-3 relative', async () => {
    const data = classification(48, [1, 8, 8], 22);
    const build = () =>
      nn.sequential([
        nn.conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
        nn.batchNorm2d(4),
        nn.relu(),
        nn.maxPool2d(2),
        nn.flatten(),
        nn.dropout(0.25),
        nn.dense({ units: 10, inFeatures: 64 }),
      ]);
    const want = await fitLosses('cpu', build, data, 'adam', 2);
    const got = await fitLosses('webgpu', build, data, 'adam', 2);
    assertClose(got, want, 1e-3, 'CNN losses (2 epochs, then evaluate)');
  });

  test('fit leaves no tensors behind and the buffer pool stops growing', async () => {
    const data = classification(64, [16], 23);
    const build = () => nn.sequential([nn.dense({ units: 10, inFeatures: 16 })]);
    await fitLosses('webgpu', build, data, 'sgd', 1);
    const before = memory().numTensors;
    const created = gpu().info().memory.created;
    await fitLosses('webgpu', build, data, 'sgd', 2);
    assert.equal(memory().numTensors, before, 'live tensors');
    assert.equal(gpu().info().memory.created, created, 'no new GPU buffers for a run the pool has seen');
  });

  test('matmul with the large 128×128 tiles (8×8 per thread), every transpose, vec4 and scalar paths', async () => {
    const large = new WebGpuBackend(gpu().device, { gemmTile: 'large' });
    const cpu = findBackend('cpu');
    const shapes: [number, number, number, number][] = [
      [1, 300, 260, 200],
      [1, 256, 256, 64],
      [2, 129, 131, 67],
      [1, 1, 130, 5],
      [3, 140, 12, 16],
    ];
    for (const [batch, m, n, k] of shapes) {
      for (const [transA, transB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        const args: MatmulArgs = { batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
        const av = random(batch * m * k, m + k);
        const bv = random(batch * k * n, n + k);
        const a = large.upload('float32', av);
        const b = large.upload('float32', bv);
        const c = large.alloc('float32', batch * m * n);
        large.matmul(a, b, c, 'float32', args);
        const ref = cpu.alloc('float32', batch * m * n);
        cpu.matmul(cpu.upload('float32', av), cpu.upload('float32', bv), ref, 'float32', args);
        // |A|·|B| ≤ k here, so the bound of any summation order is k·ε.
        assertClose(
          await large.read(c, 'float32', batch * m * n),
          await cpu.read(ref, 'float32', batch * m * n),
          k * 2e-7 + 1e-6,
          `large-tile matmul ${JSON.stringify(args)}`,
        );
        for (const s of [a, b, c]) large.free(s);
      }
    }
  });

  test('matmul int32', async () => {
    const b = gpu();
    const args: MatmulArgs = {
      batch: 2,
      m: 5,
      n: 7,
      k: 9,
      transA: false,
      transB: true,
      aBatchStride: 45,
      bBatchStride: 0,
    };
    const av = Int32Array.from({ length: 90 }, (_, i) => (i % 7) - 3);
    const bv = Int32Array.from({ length: 63 }, (_, i) => (i % 5) - 2);
    const cpu = findBackend('cpu');
    const ref = cpu.alloc('int32', 70);
    cpu.matmul(cpu.upload('int32', av), cpu.upload('int32', bv), ref, 'int32', args);
    const out = b.alloc('int32', 70);
    b.matmul(b.upload('int32', av), b.upload('int32', bv), out, 'int32', args);
    assert.deepEqual(
      Array.from(await b.read(out, 'int32', 70)),
      Array.from(await cpu.read(ref, 'int32', 70)),
    );
  });

  test('unaryGrad with dx aliasing dy, and binary with b aliasing out', async () => {
    const b = gpu();
    const cpu = findBackend('cpu');
    const n = 77;
    const xv = random(n, 1);
    const dyv = random(n, 2);
    const run = async (be: typeof cpu) => {
      const x = be.upload('float32', xv);
      const y = be.alloc('float32', n);
      be.unary('tanh', x, y, 'float32', n);
      const dy = be.upload('float32', dyv);
      be.unaryGrad('tanh', x, y, dy, dy, 'float32', n);
      const other = be.upload('float32', xv);
      be.binary('sub', other, [n], dy, [n], dy, [n], 'float32');
      return be.read(dy, 'float32', n);
    };
    assertClose(await run(b), await run(cpu), 1e-5, 'aliased unaryGrad then binary');
  });

  test('uploads never overwrite a freed buffer that queued kernels still read', async () => {
    const b = gpu();
    const n = 1000;
    const outs: Storage[] = [];
    for (let r = 0; r < 20; r++) {
      const x = b.upload('float32', new Float32Array(n).fill(r));
      const y = b.alloc('float32', n);
      b.unary('square', x, y, 'float32', n);
      b.free(x); // queued, not yet run: the next upload must not reuse x's buffer
      outs.push(y);
    }
    for (let r = 0; r < outs.length; r++) {
      const v = await b.read(outs[r], 'float32', n);
      assert.ok(
        v.every((e) => e === r * r),
        `result ${r}: ${v[0]}`,
      );
      b.free(outs[r]);
    }
  });

  test('a full parameter block submits early and the results stay right', async () => {
    const small = new WebGpuBackend(gpu().device, { maxPendingDispatches: 8 });
    const n = 300;
    const x = small.upload('float32', new Float32Array(n).fill(1));
    for (let r = 0; r < 50; r++) small.binary('add', x, [n], x, [n], x, [n], 'float32');
    const v = await small.read(x, 'float32', n);
    assert.ok(
      v.every((e) => e === 2 ** 50),
      `got ${v[0]}`,
    );
    assert.ok(small.info().submits >= 6, `submits: ${small.info().submits}`);
  });

  test('1-D kernels over more than 65535 workgroups (a 2-D grid)', async () => {
    const b = gpu();
    const n = 65535 * 256 + 1000;
    const x = b.alloc('float32', n);
    b.fill(x, 'float32', n, 3);
    b.unary('neg', x, x, 'float32', n);
    const tail = b.alloc('float32', 8);
    b.copyRegion(x, [n], { shape: [8], begin: [n - 8] }, tail, [8], { shape: [8], begin: [0] }, 'float32');
    assert.deepEqual(Array.from(await b.read(tail, 'float32', 8)), new Array(8).fill(-3));
    b.free(x);
    b.free(tail);
  });

  test('a GPU error (here: a shader that does not compile) surfaces at the next read, then work goes on', async () => {
    gpu().flush();
    const b = new WebGpuBackend(gpu().device);
    const x = b.upload('float32', [1, 2, 3]);
    const internals = b as unknown as {
      dispatch(
        key: string,
        source: () => string,
        buffers: GPUBuffer[],
        words: number[],
        groups: number[],
      ): void;
    };
    internals.dispatch('broken', () => 'this is not WGSL', [], [0], [1, 1, 1]);
    await assert.rejects(b.read(x, 'float32', 3), /webgpu: the GPU reported an error/);
    b.unary('neg', x, x, 'float32', 3);
    assert.deepEqual(Array.from(await b.read(x, 'float32', 3)), [-1, -2, -3]);
  });

  test('gather gives 0 for an index out of range (not checked on webgpu)', async () => {
    const b = gpu();
    const x = b.upload('float32', [1, 2, 3, 4]);
    const idx = b.upload('int32', [3, -1, 4, 0]);
    const out = b.alloc('float32', 4);
    b.gather(x, { outer: 1, axis: 4, inner: 1 }, idx, 4, out, 'float32');
    assert.deepEqual(Array.from(await b.read(out, 'float32', 4)), [4, 0, 0, 1]);
  });

  test("registry: 'auto' picks webgpu once initialised; dataSync and item explain themselves", async () => {
    const previous = getBackend();
    try {
      assert.equal(setBackend('auto').name, 'webgpu');
      const t = fromArray([1, 2, 3], [3]);
      assert.equal(t.backend.name, 'webgpu');
      assert.deepEqual(Array.from(await t.data()), [1, 2, 3]);
      assert.throws(() => t.dataSync(), /webgpu backend reads asynchronously; use await t\.data\(\)/);
      const one = fromArray([5], [1]);
      assert.throws(() => one.item(), /asynchronously/);
      assert.throws(() => fromArray([1], [1], { dtype: 'float64' }), /does not support dtype float64/);
      t.dispose();
      one.dispose();
    } finally {
      setBackend(previous.name);
    }
  });

  return cases;
}
