/**
 * The backend conformance suite: every kernel of the contract (backend/contract.ts) run on
 * random shapes — sizes that are not multiples of 4, 8 or 16, empty and size-1 dimensions,
 * broadcasting patterns, all transpose combinations and batches in matmul — on the backend
 * under test and on the cpu reference, with the same inputs, comparing the outputs.
 *
 * Any backend calls it: `runConformance('wasm', { tolerance: 1e-5 })`. It works on the
 * kernels directly (upload → kernel → read), so a failure names the kernel and the shape.
 */
import { describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AxisView,
  Backend,
  BinaryOp,
  DType,
  FusedInstruction,
  FusedProgram,
  MatmulArgs,
  PoolOp,
  Storage,
  UnaryOp,
  Window2d,
} from '../../src/backend/contract.js';
import { findBackend, getBackend, setBackend } from '../../src/backend/registry.js';
import { fusedByKernels } from '../../src/backend/fused.js';
import { Rng } from '../../src/tensor/random.js';
import { fromArray } from '../../src/tensor/creation.js';
import { tidy, keep } from '../../src/tensor/scope.js';
import { backward } from '../../src/autograd/index.js';
import * as ops from '../../src/ops/index.js';
import { crossEntropy } from '../../src/losses/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface ConformanceOptions {
  /** Relative tolerance for float32 kernels: |got − want| ≤ tolerance·max(1, |want|). */
  tolerance?: number;
  /** Relative tolerance of the end-to-end training check (losses). */
  trainingTolerance?: number;
}

const UNARY_OPS: UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'sign',
  'square',
  'reciprocal',
  'sigmoid',
  'tanh',
  'relu',
  'step',
  'leakyRelu',
  'elu',
  'softplus',
  'clamp',
  'powScalar',
];
const BINARY_OPS: BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'max',
  'min',
  'eq',
  'gt',
  'ge',
  'lt',
  'le',
];
const POOL_OPS: PoolOp[] = ['max', 'avg', 'avgIncludePad'];

/** Parameters of the unary ops that take them. */
function unaryParams(op: UnaryOp): [number, number] {
  switch (op) {
    case 'leakyRelu':
      return [0.1, 0];
    case 'elu':
      return [0.7, 0];
    case 'clamp':
      return [-0.4, 0.6];
    case 'powScalar':
      return [2.5, 0];
    default:
      return [0, 0];
  }
}

/** Whether an op's input must be positive (log, sqrt, fractional powers). */
function needsPositive(op: UnaryOp | BinaryOp): boolean {
  return op === 'log' || op === 'sqrt' || op === 'powScalar' || op === 'pow';
}

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** A pair of backends under comparison and helpers to feed both the same data. */
class Pair {
  constructor(
    readonly ref: Backend,
    readonly dut: Backend,
  ) {}

  upload(dtype: DType, values: ArrayLike<number>): [Storage, Storage] {
    return [this.ref.upload(dtype, values), this.dut.upload(dtype, values)];
  }

  alloc(dtype: DType, n: number): [Storage, Storage] {
    return [this.ref.alloc(dtype, n), this.dut.alloc(dtype, n)];
  }

  /** Outputs filled with a marker value, so that unwritten elements show up. */
  marked(dtype: DType, n: number, value = 12345): [Storage, Storage] {
    const [r, d] = this.alloc(dtype, n);
    this.ref.fill(r, dtype, n, value);
    this.dut.fill(d, dtype, n, value);
    return [r, d];
  }

  async compare(
    [r, d]: [Storage, Storage],
    dtype: DType,
    n: number,
    tolerance: number,
    what: string,
    scale?: ArrayLike<number>,
  ): Promise<void> {
    const want = await this.ref.read(r, dtype, n);
    const got = await this.dut.read(d, dtype, n);
    assertClose(got, want, dtype === 'float32' ? tolerance : dtype === 'float64' ? 1e-12 : 0, what, scale);
  }

  free(...pairs: [Storage, Storage][]): void {
    for (const [r, d] of pairs) {
      this.ref.free(r);
      this.dut.free(d);
    }
  }
}

/**
 * |got − want| ≤ tolerance · max(1, |want|) — or ≤ tolerance · scale[i] when an error scale
 * is given (matmul passes |A|·|B|). NaN must meet NaN, ±∞ the same infinity.
 */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tolerance: number,
  what: string,
  scale?: ArrayLike<number>,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) && Number.isNaN(g)) continue;
      assert.fail(`${what}[${i}]: got ${g}, want ${w}`);
    }
    if (g === w) continue;
    const bound = scale ? tolerance * Math.max(scale[i], 1e-30) : tolerance * Math.max(1, Math.abs(w));
    if (!(Math.abs(g - w) <= bound))
      assert.fail(`${what}[${i}]: got ${g}, want ${w} (|error| ${Math.abs(g - w)} > ${bound})`);
  }
}

function randomValues(rng: Rng, n: number, op?: UnaryOp | BinaryOp, dtype: DType = 'float32'): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'int32') v[i] = Math.floor(rng.uniformIn(-5, 5));
    else if (op && needsPositive(op)) v[i] = rng.uniformIn(0.1, 2);
    else if (op === 'div' || op === 'reciprocal')
      v[i] = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformIn(0.2, 2);
    // Some exact ties for comparisons, max/min and relu-like kinks.
    else if (rng.uniform() < 0.1) v[i] = 0;
    else v[i] = rng.uniformIn(-2, 2);
  }
  return v;
}

const randInt = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo + 1));

/** Random shapes that stress edge handling: awkward sizes, 1s and (when allowed) 0s. */
function randomShape(rng: Rng, rank: number, allowEmpty = false): number[] {
  const sizes = [1, 2, 3, 5, 7, 9, 13, 17, 31, 33];
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(sizes[randInt(rng, 0, sizes.length - 1)]);
  if (allowEmpty && rng.uniform() < 0.15 && rank > 0) shape[randInt(rng, 0, rank - 1)] = 0;
  return shape;
}

/** One case of the suite: a name and an async check (no test runner needed to run it). */
export interface ConformanceCase {
  name: string;
  run: () => Promise<void>;
}

/**
 * The suite as a list of cases, for any runner: node:test (runConformance), a browser page
 * (test/browser/), or a loop. Every case reads results with the asynchronous `read`, so it
 * runs on backends without `readSync` (WebGPU).
 */
export function conformanceCases(backendName: string, options: ConformanceOptions = {}): ConformanceCase[] {
  const tolerance = options.tolerance ?? 1e-5;
  const trainingTolerance = options.trainingTolerance ?? 1e-4;
  const cases: ConformanceCase[] = [];
  const test = (name: string, run: () => void | Promise<void>) =>
    cases.push({ name, run: async () => run() });

  const pair = () => new Pair(findBackend('cpu'), findBackend(backendName));

  test('memory: upload, read, readSync, free and reuse', async () => {
    const p = pair();
    const b = p.dut;
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      if (!b.supports(dtype)) continue;
      for (const n of [0, 1, 3, 17, 1000]) {
        const values = Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i - 7 : i * 0.5 - 3.25));
        const s = b.upload(dtype, values);
        assert.deepEqual(Array.from(await b.read(s, dtype, n)), values, `${dtype} upload/read of ${n}`);
        if (b.readSync) assert.deepEqual(Array.from(b.readSync(s, dtype, n)), values);
        b.free(s);
      }
    }
    // Many live blocks, then reuse after free: contents stay separate.
    const blocks = Array.from({ length: 50 }, (_, i) => b.upload('float32', new Array(37 + i).fill(i)));
    for (let i = 0; i < blocks.length; i += 2) b.free(blocks[i]);
    const again = Array.from({ length: 25 }, (_, i) => b.upload('float32', new Array(37 + 2 * i).fill(-i)));
    for (let i = 1; i < blocks.length; i += 2) {
      const v = await b.read(blocks[i], 'float32', 37 + i);
      assert.ok(
        v.every((x) => x === i),
        `block ${i} survived reuse of its neighbours`,
      );
    }
    for (let i = 0; i < again.length; i++) {
      const v = await b.read(again[i], 'float32', 37 + 2 * i);
      assert.ok(v.every((x) => x === -i));
    }
    for (let i = 1; i < blocks.length; i += 2) b.free(blocks[i]);
    for (const s of again) b.free(s);
  });

  test('fill and cast in every dtype', async () => {
    const p = pair();
    const rng = new Rng(1);
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const n of [0, 1, 5, 67]) {
        for (const value of [0, 1.5, -3, NaN]) {
          if (dtype === 'int32' && Number.isNaN(value)) continue;
          const out = p.alloc(dtype, n);
          p.ref.fill(out[0], dtype, n, value);
          p.dut.fill(out[1], dtype, n, value);
          await p.compare(out, dtype, n, 0, `fill ${dtype} ${n} with ${value}`);
          p.free(out);
        }
      }
    }
    for (const from of ['float32', 'float64', 'int32'] as DType[]) {
      for (const to of ['float32', 'float64', 'int32'] as DType[]) {
        if (!p.dut.supports(from) || !p.dut.supports(to)) continue;
        const n = 29;
        const values = randomValues(rng, n).map((v) => v * 3);
        const x = p.upload(from, values);
        const out = p.marked(to, n);
        p.ref.cast(x[0], from, out[0], to, n);
        p.dut.cast(x[1], from, out[1], to, n);
        await p.compare(out, to, n, 0, `cast ${from}→${to}`);
        p.free(x, out);
      }
    }
  });

  test('unary: every op, awkward sizes, in place', async () => {
    const p = pair();
    const rng = new Rng(2);
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const op of UNARY_OPS) {
        const [p0, p1] = unaryParams(op);
        for (const n of [0, 1, 3, 4, 7, 16, 33, 257]) {
          const values = randomValues(rng, n, op);
          const x = p.upload(dtype, values);
          const out = p.marked(dtype, n);
          p.ref.unary(op, x[0], out[0], dtype, n, p0, p1);
          p.dut.unary(op, x[1], out[1], dtype, n, p0, p1);
          await p.compare(out, dtype, n, tolerance, `unary ${op} ${dtype} n=${n}`);
          // In place (out === x), as parameter updates do.
          p.ref.unary(op, x[0], x[0], dtype, n, p0, p1);
          p.dut.unary(op, x[1], x[1], dtype, n, p0, p1);
          await p.compare(x, dtype, n, tolerance, `unary ${op} ${dtype} n=${n} in place`);
          p.free(x, out);
        }
      }
    }
  });

  test('unary: special values (NaN, ±∞, ±0)', async () => {
    const p = pair();
    const special = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 1e-30, -1e30, 3];
    for (const op of UNARY_OPS) {
      if (op === 'powScalar' || op === 'log' || op === 'sqrt' || op === 'sign') continue;
      const [p0, p1] = unaryParams(op);
      const n = special.length;
      const x = p.upload('float32', special);
      const out = p.marked('float32', n);
      p.ref.unary(op, x[0], out[0], 'float32', n, p0, p1);
      p.dut.unary(op, x[1], out[1], 'float32', n, p0, p1);
      await p.compare(out, 'float32', n, tolerance, `unary ${op} special values`);
      p.free(x, out);
    }
  });

  test('unaryGrad: every op', async () => {
    const p = pair();
    const rng = new Rng(3);
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const op of UNARY_OPS) {
        const [p0, p1] = unaryParams(op);
        for (const n of [0, 1, 6, 13, 64, 101]) {
          const xv = randomValues(rng, n, op);
          const dyv = randomValues(rng, n);
          const x = p.upload(dtype, xv);
          const y = p.alloc(dtype, n);
          p.ref.unary(op, x[0], y[0], dtype, n, p0, p1);
          p.dut.unary(op, x[1], y[1], dtype, n, p0, p1);
          const dy = p.upload(dtype, dyv);
          const dx = p.marked(dtype, n);
          p.ref.unaryGrad(op, x[0], y[0], dy[0], dx[0], dtype, n, p0, p1);
          p.dut.unaryGrad(op, x[1], y[1], dy[1], dx[1], dtype, n, p0, p1);
          await p.compare(dx, dtype, n, tolerance * 4, `unaryGrad ${op} ${dtype} n=${n}`);
          p.free(x, y, dy, dx);
        }
      }
    }
  });

  test('binary: every op, same shapes, scalars and broadcasting', async () => {
    const p = pair();
    const rng = new Rng(4);
    const cases: [number[], number[]][] = [
      [[7], [7]],
      [[0], [0]],
      [[1], [1]],
      [[], []],
      [[3, 5], []],
      [[], [3, 5]],
      [[13, 9], [1]],
      [[13, 9], [9]],
      [
        [13, 9],
        [13, 1],
      ],
      [
        [1, 9],
        [13, 1],
      ],
      [
        [5, 1, 7],
        [3, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
      [
        [2, 1, 4, 1],
        [1, 3, 1, 6],
      ],
      [[100, 33], [33]],
      [[4, 0, 3], [3]],
      [
        [17, 1],
        [17, 1],
      ],
      [
        [3, 17],
        [3, 17],
      ],
      [
        [2, 3, 1],
        [2, 3, 9],
      ],
    ];
    for (let r = 0; r < 8; r++) {
      // Random broadcast pairs: each dimension kept, or 1 on one side.
      const out = randomShape(rng, randInt(rng, 1, 4));
      const a = out.map((d) => (rng.uniform() < 0.3 ? 1 : d));
      const b = out.slice(randInt(rng, 0, out.length - 1)).map((d) => (rng.uniform() < 0.3 ? 1 : d));
      cases.push([a, b]);
    }
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const op of BINARY_OPS) {
        if (dtype === 'int32' && (op === 'div' || op === 'pow')) continue;
        for (const [aShape, bShape] of cases) {
          const nd = Math.max(aShape.length, bShape.length);
          const outShape: number[] = [];
          for (let d = 0; d < nd; d++) {
            const da = aShape[d - nd + aShape.length] ?? 1;
            const db = bShape[d - nd + bShape.length] ?? 1;
            outShape.push(da === 1 ? db : da);
          }
          const n = size(outShape);
          const a = p.upload(dtype, randomValues(rng, size(aShape), op, dtype));
          const bv = randomValues(rng, size(bShape), op, dtype);
          const b = p.upload(dtype, bv);
          const out = p.marked(dtype, n);
          p.ref.binary(op, a[0], aShape, b[0], bShape, out[0], outShape, dtype);
          p.dut.binary(op, a[1], aShape, b[1], bShape, out[1], outShape, dtype);
          await p.compare(
            out,
            dtype,
            n,
            tolerance,
            `binary ${op} ${dtype} ${JSON.stringify(aShape)}∘${JSON.stringify(bShape)}`,
          );
          p.free(a, b, out);
        }
      }
    }
    // In place: out === a with equal shapes, and a broadcast scalar b (SGD-style update).
    for (const op of ['add', 'sub', 'mul'] as BinaryOp[]) {
      const shape = [37, 11];
      const a = p.upload('float32', randomValues(rng, size(shape)));
      const b = p.upload('float32', randomValues(rng, size(shape)));
      const s = p.upload('float32', [0.1]);
      p.ref.binary(op, a[0], shape, b[0], shape, a[0], shape, 'float32');
      p.dut.binary(op, a[1], shape, b[1], shape, a[1], shape, 'float32');
      p.ref.binary(op, a[0], shape, s[0], [], a[0], shape, 'float32');
      p.dut.binary(op, a[1], shape, s[1], [], a[1], shape, 'float32');
      await p.compare(a, 'float32', size(shape), tolerance, `binary ${op} in place`);
      p.free(a, b, s);
    }
  });

  test('binary: special values', async () => {
    const p = pair();
    const special = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2.5];
    const a: number[] = [];
    const b: number[] = [];
    for (const x of special)
      for (const y of special) {
        a.push(x);
        b.push(y);
      }
    for (const op of BINARY_OPS) {
      const n = a.length;
      const sa = p.upload('float32', a);
      const sb = p.upload('float32', b);
      const out = p.marked('float32', n);
      p.ref.binary(op, sa[0], [n], sb[0], [n], out[0], [n], 'float32');
      p.dut.binary(op, sa[1], [n], sb[1], [n], out[1], [n], 'float32');
      await p.compare(out, 'float32', n, tolerance, `binary ${op} special values`);
      p.free(sa, sb, out);
    }
  });

  const axisViews = (rng: Rng): AxisView[] => {
    const views: AxisView[] = [
      { outer: 1, axis: 1, inner: 1 },
      { outer: 1, axis: 7, inner: 1 },
      { outer: 100, axis: 10, inner: 1 },
      { outer: 1, axis: 100, inner: 500 },
      { outer: 3, axis: 5, inner: 9 },
      { outer: 2, axis: 0, inner: 3 },
      { outer: 0, axis: 4, inner: 2 },
      { outer: 5, axis: 33, inner: 1 },
      { outer: 1, axis: 1000, inner: 1 },
      { outer: 4, axis: 3, inner: 17 },
    ];
    for (let r = 0; r < 6; r++) {
      views.push({ outer: randInt(rng, 1, 9), axis: randInt(rng, 1, 40), inner: randInt(rng, 1, 21) });
    }
    return views;
  };

  test('reduce and argReduce over [outer, axis, inner]', async () => {
    const p = pair();
    const rng = new Rng(5);
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const view of axisViews(rng)) {
        const n = view.outer * view.axis * view.inner;
        const m = view.outer * view.inner;
        const x = p.upload(dtype, randomValues(rng, n, undefined, dtype));
        for (const op of ['sum', 'max', 'min'] as const) {
          const out = p.marked(dtype, m);
          p.ref.reduce(op, x[0], view, out[0], dtype);
          p.dut.reduce(op, x[1], view, out[1], dtype);
          // Sums of many terms may be added in another order.
          const tol = op === 'sum' ? tolerance * Math.max(1, Math.sqrt(view.axis)) : tolerance;
          await p.compare(out, dtype, m, tol, `reduce ${op} ${dtype} ${JSON.stringify(view)}`);
          p.free(out);
        }
        if (view.axis > 0) {
          for (const op of ['argmax', 'argmin'] as const) {
            const out = p.marked('int32', m);
            p.ref.argReduce(op, x[0], view, out[0], dtype);
            p.dut.argReduce(op, x[1], view, out[1], dtype);
            await p.compare(out, 'int32', m, 0, `${op} ${dtype} ${JSON.stringify(view)}`);
            p.free(out);
          }
        }
        p.free(x);
      }
    }
  });

  test('softmax and log-softmax, forward and backward', async () => {
    const p = pair();
    const rng = new Rng(6);
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const view of axisViews(rng)) {
        const n = view.outer * view.axis * view.inner;
        const x = p.upload(
          dtype,
          randomValues(rng, n).map((v) => v * 4),
        );
        const dy = p.upload(dtype, randomValues(rng, n));
        for (const log of [false, true]) {
          const y = p.marked(dtype, n);
          p.ref.softmax(x[0], view, y[0], dtype, log);
          p.dut.softmax(x[1], view, y[1], dtype, log);
          await p.compare(y, dtype, n, tolerance, `softmax log=${log} ${dtype} ${JSON.stringify(view)}`);
          // The gradient from the reference's y, so both see the same input.
          const yRef = await p.ref.read(y[0], dtype, n);
          const yy = p.upload(dtype, yRef);
          const dx = p.marked(dtype, n);
          p.ref.softmaxGrad(yy[0], dy[0], view, dx[0], dtype, log);
          p.dut.softmaxGrad(yy[1], dy[1], view, dx[1], dtype, log);
          await p.compare(
            dx,
            dtype,
            n,
            tolerance * 4,
            `softmaxGrad log=${log} ${dtype} ${JSON.stringify(view)}`,
          );
          p.free(y, yy, dx);
        }
        p.free(x, dy);
      }
    }
  });

  test('matmul: transposes, batches, broadcast batches, awkward and empty sizes', async () => {
    const p = pair();
    const rng = new Rng(7);
    const shapes: [number, number, number, number][] = [
      // [batch, m, n, k]
      [1, 1, 1, 1],
      [1, 1, 1, 0],
      [1, 0, 5, 3],
      [1, 4, 0, 3],
      [1, 6, 8, 4],
      [1, 7, 9, 5],
      [1, 13, 17, 19],
      [1, 1, 33, 7],
      [1, 33, 1, 7],
      [1, 5, 5, 300],
      [1, 100, 50, 78],
      [1, 97, 131, 67],
      [3, 5, 7, 9],
      [4, 13, 6, 11],
      [2, 1, 1, 1],
      [5, 30, 2, 3],
      [1, 130, 70, 260],
      [1, 7, 1030, 3],
    ];
    for (let r = 0; r < 6; r++)
      shapes.push([randInt(rng, 1, 4), randInt(rng, 1, 70), randInt(rng, 1, 70), randInt(rng, 1, 70)]);
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const [batch, m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const broadcast of batch > 1 ? ['none', 'a', 'b'] : ['none']) {
              const aBatchStride = broadcast === 'a' ? 0 : m * k;
              const bBatchStride = broadcast === 'b' ? 0 : k * n;
              const args: MatmulArgs = { batch, m, n, k, transA, transB, aBatchStride, bBatchStride };
              const aN = broadcast === 'a' ? m * k : batch * m * k;
              const bN = broadcast === 'b' ? k * n : batch * k * n;
              const av = randomValues(rng, aN);
              const bv = randomValues(rng, bN);
              const a = p.upload(dtype, av);
              const b = p.upload(dtype, bv);
              const out = p.marked(dtype, batch * m * n);
              p.ref.matmul(a[0], b[0], out[0], dtype, args);
              p.dut.matmul(a[1], b[1], out[1], dtype, args);
              // Error scale |A|·|B|: the bound of any summation order.
              const absA = p.ref.upload(dtype, av.map(Math.abs));
              const absB = p.ref.upload(dtype, bv.map(Math.abs));
              const scaleS = p.ref.alloc(dtype, batch * m * n);
              p.ref.matmul(absA, absB, scaleS, dtype, args);
              const scale = await p.ref.read(scaleS, dtype, batch * m * n);
              await p.compare(
                out,
                dtype,
                batch * m * n,
                tolerance,
                `matmul ${dtype} ${JSON.stringify(args)}`,
                scale,
              );
              p.ref.free(absA);
              p.ref.free(absB);
              p.ref.free(scaleS);
              p.free(a, b, out);
            }
          }
        }
      }
    }
  });

  test('permute, copyRegion, gather, scatterAdd, oneHot', async () => {
    const p = pair();
    const rng = new Rng(8);
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      // permute
      const permCases: [number[], number[]][] = [
        [
          [5, 7],
          [1, 0],
        ],
        [
          [2, 3, 4],
          [2, 0, 1],
        ],
        [
          [3, 1, 5, 2],
          [3, 1, 0, 2],
        ],
        [
          [0, 3],
          [1, 0],
        ],
        [[9], [0]],
        [
          [33, 17],
          [1, 0],
        ],
        [
          [2, 3, 4, 5],
          [0, 2, 1, 3],
        ],
      ];
      for (const [shape, perm] of permCases) {
        const n = size(shape);
        const x = p.upload(dtype, randomValues(rng, n, undefined, dtype));
        const out = p.marked(dtype, n);
        p.ref.permute(x[0], shape, perm, out[0], dtype);
        p.dut.permute(x[1], shape, perm, out[1], dtype);
        await p.compare(
          out,
          dtype,
          n,
          0,
          `permute ${dtype} ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`,
        );
        p.free(x, out);
      }
      // copyRegion: a box of a source into a box of a destination (rest untouched).
      for (let r = 0; r < 6; r++) {
        const rank = randInt(rng, 1, 4);
        const box = randomShape(rng, rank, true).map((d) => Math.min(d, 9));
        const srcShape = box.map((d) => d + randInt(rng, 0, 4));
        const dstShape = box.map((d) => d + randInt(rng, 0, 4));
        const src = { shape: box, begin: box.map((d, i) => randInt(rng, 0, srcShape[i] - d)) };
        const dst = { shape: box, begin: box.map((d, i) => randInt(rng, 0, dstShape[i] - d)) };
        const x = p.upload(dtype, randomValues(rng, size(srcShape), undefined, dtype));
        const out = p.marked(dtype, size(dstShape), 7);
        p.ref.copyRegion(x[0], srcShape, src, out[0], dstShape, dst, dtype);
        p.dut.copyRegion(x[1], srcShape, src, out[1], dstShape, dst, dtype);
        await p.compare(
          out,
          dtype,
          size(dstShape),
          0,
          `copyRegion ${dtype} ${JSON.stringify({ srcShape, src, dstShape, dst })}`,
        );
        p.free(x, out);
      }
      // gather / scatterAdd
      for (const view of [
        { outer: 1, axis: 10, inner: 1 },
        { outer: 3, axis: 7, inner: 5 },
        { outer: 2, axis: 4, inner: 0 },
      ]) {
        const count = 9;
        const idx = Array.from({ length: count }, () => randInt(rng, 0, view.axis - 1));
        const indices = p.upload('int32', idx);
        const n = view.outer * view.axis * view.inner;
        const m = view.outer * count * view.inner;
        const x = p.upload(dtype, randomValues(rng, n, undefined, dtype));
        const out = p.marked(dtype, m);
        p.ref.gather(x[0], view, indices[0], count, out[0], dtype);
        p.dut.gather(x[1], view, indices[1], count, out[1], dtype);
        await p.compare(out, dtype, m, 0, `gather ${dtype} ${JSON.stringify(view)}`);
        const dx = p.alloc(dtype, n);
        p.ref.fill(dx[0], dtype, n, 0);
        p.dut.fill(dx[1], dtype, n, 0);
        p.ref.scatterAdd(out[0], view, indices[0], count, dx[0], dtype);
        p.dut.scatterAdd(out[1], view, indices[1], count, dx[1], dtype);
        await p.compare(dx, dtype, n, tolerance, `scatterAdd ${dtype} ${JSON.stringify(view)}`);
        p.free(indices, x, out, dx);
      }
      // oneHot (labels out of range give a zero row)
      if (dtype !== 'int32') {
        const idx = [0, 3, 9, 2, -1, 10, 5];
        const indices = p.upload('int32', idx);
        const out = p.marked(dtype, idx.length * 10);
        p.ref.oneHot(indices[0], idx.length, 10, out[0], dtype);
        p.dut.oneHot(indices[1], idx.length, 10, out[1], dtype);
        await p.compare(out, dtype, idx.length * 10, 0, `oneHot ${dtype}`);
        p.free(indices, out);
      }
    }
  });

  const windows = (rng: Rng): Window2d[] => {
    const make = (
      batch: number,
      channels: number,
      inH: number,
      inW: number,
      kH: number,
      kW: number,
      stride: number,
      pad: [number, number, number, number],
      dilation: number,
      ceil = false,
    ): Window2d => {
      const [padTop, padLeft, padBottom, padRight] = pad;
      const span = (k: number) => dilation * (k - 1) + 1;
      const outDim = (size: number, k: number, lo: number, hi: number) => {
        const room = size + lo + hi - span(k);
        return Math.max(0, (ceil ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1);
      };
      return {
        batch,
        channels,
        inH,
        inW,
        kH,
        kW,
        strideH: stride,
        strideW: stride,
        padTop,
        padLeft,
        padBottom,
        padRight,
        dilationH: dilation,
        dilationW: dilation,
        outH: outDim(inH, kH, padTop, padBottom),
        outW: outDim(inW, kW, padLeft, padRight),
      };
    };
    const list = [
      make(2, 3, 7, 9, 3, 3, 1, [0, 0, 0, 0], 1),
      make(1, 1, 5, 5, 5, 5, 1, [2, 2, 2, 2], 1),
      make(3, 2, 10, 7, 2, 2, 2, [0, 0, 0, 0], 1),
      make(2, 4, 9, 11, 3, 2, 2, [1, 0, 1, 1], 1),
      make(1, 2, 13, 13, 3, 3, 1, [2, 2, 2, 2], 2),
      make(2, 1, 6, 8, 3, 3, 2, [1, 1, 1, 1], 1, true),
      make(1, 6, 28, 28, 5, 5, 1, [0, 0, 0, 0], 1),
      make(1, 1, 1, 1, 1, 1, 1, [0, 0, 0, 0], 1),
      make(2, 2, 5, 5, 3, 3, 2, [1, 1, 2, 2], 1, true),
      // LeNet's 2×2 pools (vectorised paths), with odd sizes and widths not a multiple of 4.
      make(2, 3, 24, 24, 2, 2, 2, [0, 0, 0, 0], 1),
      make(1, 2, 13, 23, 2, 2, 2, [0, 0, 0, 0], 1),
      make(1, 2, 12, 18, 2, 2, 2, [0, 0, 0, 0], 1, true),
    ];
    for (let r = 0; r < 4; r++) {
      const k = randInt(rng, 1, 4);
      const inH = randInt(rng, k, 12);
      const inW = randInt(rng, k, 12);
      const pad = randInt(rng, 0, Math.floor(k / 2));
      list.push(
        make(
          randInt(rng, 1, 3),
          randInt(rng, 1, 4),
          inH,
          inW,
          k,
          k,
          randInt(rng, 1, 2),
          [pad, pad, pad, pad],
          1,
        ),
      );
    }
    return list;
  };

  test('im2col and col2im', async () => {
    const p = pair();
    const rng = new Rng(9);
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const g of windows(rng)) {
        const inN = g.batch * g.channels * g.inH * g.inW;
        const colN = g.channels * g.kH * g.kW * g.batch * g.outH * g.outW;
        const x = p.upload(dtype, randomValues(rng, inN));
        const cols = p.marked(dtype, colN);
        p.ref.im2col(x[0], g, cols[0], dtype);
        p.dut.im2col(x[1], g, cols[1], dtype);
        await p.compare(cols, dtype, colN, 0, `im2col ${dtype} ${JSON.stringify(g)}`);
        const c = p.upload(dtype, randomValues(rng, colN));
        const back = p.marked(dtype, inN);
        p.ref.col2im(c[0], g, back[0], dtype);
        p.dut.col2im(c[1], g, back[1], dtype);
        await p.compare(back, dtype, inN, tolerance, `col2im ${dtype} ${JSON.stringify(g)}`);
        p.free(x, cols, c, back);
      }
    }
  });

  test('fused: random programs, broadcast inputs, scalars, outputs written over inputs', async () => {
    const p = pair();
    const rng = new Rng(17);
    const unaryOps: UnaryOp[] = ['neg', 'abs', 'square', 'relu', 'tanh', 'sigmoid', 'step', 'leakyRelu'];
    const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'max', 'min', 'gt', 'le'];
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (let trial = 0; trial < 24; trial++) {
        // size = outer · period · every, crossing the backends' tile sizes (512 on cpu, 1024 on wasm).
        const every = [1, 1, 3, 7][randInt(rng, 0, 3)];
        const period = [1, 5, 17, 64][randInt(rng, 0, 3)];
        const outer = [1, 2, 9, 33][randInt(rng, 0, 3)];
        const n = outer * period * every;
        const inputCount = randInt(rng, 1, 3);
        const instructions: FusedInstruction[] = [];
        const layouts: Array<{ every: number; period: number; size: number }> = [];
        for (let k = 0; k < inputCount; k++) {
          const broadcast = k > 0 && rng.uniform() < 0.4;
          const layout = broadcast ? { every, period, size: period } : { every: 1, period: 0, size: n };
          layouts.push(layout);
          instructions.push({ kind: 'input', input: k, every: layout.every, period: layout.period });
        }
        const scalars: number[] = [];
        for (let k = 0; k < 8; k++) {
          const pick = () => randInt(rng, 0, instructions.length - 1);
          const r = rng.uniform();
          if (r < 0.2) {
            scalars.push(rng.uniformIn(-1.5, 1.5));
            instructions.push({ kind: 'scalar', scalar: scalars.length - 1 });
          } else if (r < 0.5) {
            const op = unaryOps[randInt(rng, 0, unaryOps.length - 1)];
            instructions.push({ kind: 'unary', op, a: pick(), p0: op === 'leakyRelu' ? 0.1 : 0, p1: 0 });
          } else {
            const op = binaryOps[randInt(rng, 0, binaryOps.length - 1)];
            instructions.push({ kind: 'binary', op, a: pick(), b: pick() });
          }
        }
        const last = instructions.length - 1;
        const outputs = [last, randInt(rng, 0, last)];
        const program: FusedProgram = {
          instructions,
          outputs,
          key: `conformance:${dtype}:${trial}:${JSON.stringify(instructions)}>${outputs}`,
        };
        const values = layouts.map((l) => randomValues(rng, l.size));
        const ins = values.map((v) => p.upload(dtype, v));
        const outs = [p.marked(dtype, n), p.marked(dtype, n)];
        const what = `fused ${dtype} trial ${trial} (n=${n}, every ${every}, period ${period})`;
        p.ref.fused(
          program,
          ins.map((x) => x[0]),
          scalars,
          outs.map((o) => o[0]),
          dtype,
          n,
        );
        p.dut.fused(
          program,
          ins.map((x) => x[1]),
          scalars,
          outs.map((o) => o[1]),
          dtype,
          n,
        );
        await p.compare(outs[0], dtype, n, 4 * tolerance, `${what} output 0`);
        await p.compare(outs[1], dtype, n, 4 * tolerance, `${what} output 1`);
        // The same program as a chain of unary/binary kernels gives the same values (on the
        // cpu backend: the same bits).
        const chained = [p.marked(dtype, n), p.marked(dtype, n)];
        fusedByKernels(
          p.ref,
          program,
          ins.map((x) => x[0]),
          scalars,
          chained.map((c) => c[0]),
          dtype,
          n,
        );
        assert.deepEqual(
          await p.ref.read(chained[0][0], dtype, n),
          await p.ref.read(outs[0][0], dtype, n),
          `${what}: cpu fused = cpu unfused`,
        );
        // Output 0 written over input 0 (an optimiser's state updated in place).
        if (layouts[0].period === 0) {
          p.ref.fused(
            program,
            ins.map((x) => x[0]),
            scalars,
            [ins[0][0], outs[1][0]],
            dtype,
            n,
          );
          p.dut.fused(
            program,
            ins.map((x) => x[1]),
            scalars,
            [ins[0][1], outs[1][1]],
            dtype,
            n,
          );
          await p.compare(ins[0], dtype, n, 4 * tolerance, `${what} in place`);
        }
        p.free(...ins, ...outs, ...chained);
      }
    }
  });

  test('dropoutMask (optional kernel): the same bits as the cpu reference for the same key', async () => {
    const p = pair();
    if (!p.dut.dropoutMask) return; // masks are drawn on the host there
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const n of [1, 3, 4, 7, 64, 1001]) {
        for (const rate of [0, 0.1, 0.5, 0.999, 1]) {
          const key: [number, number] = [(n * 2654435761) >>> 0, (0xdeadbeef ^ n) >>> 0];
          const out = p.marked(dtype, n);
          const scale = rate < 1 ? 1 / (1 - rate) : 0;
          p.ref.dropoutMask!(out[0], dtype, n, rate, scale, key);
          p.dut.dropoutMask!(out[1], dtype, n, rate, scale, key);
          await p.compare(out, dtype, n, 0, `dropoutMask ${dtype} n=${n} rate=${rate}`);
          p.free(out);
        }
      }
    }
  });

  test('batchNorm and batchNormGrad (optional kernels): statistics, output, gradients', async () => {
    const p = pair();
    if (!p.dut.batchNorm || !p.dut.batchNormGrad) return; // composed from other kernels there
    const rng = new Rng(12);
    const views: AxisView[] = [
      { outer: 64, axis: 8, inner: 49 },
      { outer: 16, axis: 5, inner: 1 },
      { outer: 3, axis: 7, inner: 13 },
      { outer: 2, axis: 1, inner: 4 },
    ];
    for (let r = 0; r < 4; r++)
      views.push({ outer: randInt(rng, 2, 9), axis: randInt(rng, 1, 12), inner: randInt(rng, 1, 30) });
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const view of views) {
        const n = view.outer * view.axis * view.inner;
        const C = view.axis;
        // An offset mean, so that a one-pass variance would lose digits and show.
        const x = p.upload(
          dtype,
          randomValues(rng, n).map((v) => 3 + 2 * v),
        );
        const dy = p.upload(dtype, randomValues(rng, n));
        for (const affine of [true, false]) {
          const gamma = affine ? p.upload(dtype, randomValues(rng, C)) : null;
          const beta = affine ? p.upload(dtype, randomValues(rng, C)) : null;
          const args = (i: 0 | 1) => ({
            view,
            eps: 1e-5,
            gamma: gamma?.[i] ?? null,
            beta: beta?.[i] ?? null,
          });
          const [y, mean, variance, invStd] = [n, C, C, C].map((k) => p.marked(dtype, k));
          p.ref.batchNorm!(x[0], args(0), y[0], mean[0], variance[0], invStd[0], dtype);
          p.dut.batchNorm!(x[1], args(1), y[1], mean[1], variance[1], invStd[1], dtype);
          const what = `batchNorm ${dtype} ${JSON.stringify(view)} affine=${affine}`;
          await p.compare(mean, dtype, C, tolerance, `${what} mean`);
          await p.compare(variance, dtype, C, tolerance * 4, `${what} variance`);
          await p.compare(invStd, dtype, C, tolerance * 4, `${what} invStd`);
          await p.compare(y, dtype, n, tolerance * 8, `${what} y`);
          // The backward from the reference's statistics, so both see the same inputs.
          const mu = p.upload(dtype, await p.ref.read(mean[0], dtype, C));
          const r = p.upload(dtype, await p.ref.read(invStd[0], dtype, C));
          const [dx, dGamma, dBeta] = [n, C, C].map((k) => p.marked(dtype, k));
          p.ref.batchNormGrad!(x[0], dy[0], args(0), mu[0], r[0], dx[0], dGamma[0], dBeta[0], dtype);
          p.dut.batchNormGrad!(x[1], dy[1], args(1), mu[1], r[1], dx[1], dGamma[1], dBeta[1], dtype);
          await p.compare(dBeta, dtype, C, tolerance * 4, `${what} dBeta`);
          await p.compare(dGamma, dtype, C, tolerance * 8, `${what} dGamma`);
          await p.compare(dx, dtype, n, tolerance * 16, `${what} dx`);
          p.free(y, mean, variance, invStd, mu, r, dx, dGamma, dBeta);
          if (gamma && beta) p.free(gamma, beta);
        }
        p.free(x, dy);
      }
    }
  });

  test('pool2d and pool2dGrad: max, avg, avgIncludePad', async () => {
    const p = pair();
    const rng = new Rng(10);
    for (const dtype of ['float32', 'float64'] as DType[]) {
      if (!p.dut.supports(dtype)) continue;
      for (const g of windows(rng)) {
        const inN = g.batch * g.channels * g.inH * g.inW;
        const outN = g.batch * g.channels * g.outH * g.outW;
        // Rounded values make ties, which must go to the first position.
        const x = p.upload(
          dtype,
          randomValues(rng, inN).map((v) => Math.round(v * 2) / 2),
        );
        for (const op of POOL_OPS) {
          const out = p.marked(dtype, outN);
          const arg = op === 'max' ? p.marked('int32', outN) : null;
          p.ref.pool2d(op, x[0], g, out[0], arg ? arg[0] : null, dtype);
          p.dut.pool2d(op, x[1], g, out[1], arg ? arg[1] : null, dtype);
          await p.compare(out, dtype, outN, tolerance, `pool2d ${op} ${dtype} ${JSON.stringify(g)}`);
          if (arg) await p.compare(arg, 'int32', outN, 0, `pool2d ${op} argmax ${JSON.stringify(g)}`);
          const dy = p.upload(dtype, randomValues(rng, outN));
          const dx = p.marked(dtype, inN);
          p.ref.pool2dGrad(op, dy[0], g, arg ? arg[0] : null, dx[0], dtype);
          p.dut.pool2dGrad(op, dy[1], g, arg ? arg[1] : null, dx[1], dtype);
          await p.compare(dx, dtype, inN, tolerance, `pool2dGrad ${op} ${dtype} ${JSON.stringify(g)}`);
          p.free(out, dy, dx);
          if (arg) p.free(arg);
        }
        p.free(x);
      }
    }
  });

  test(`end to end: a 784-64-32-10 MLP trained 5 SGD steps gives the cpu's losses within ${trainingTolerance}`, async () => {
    const ref = await trainMlpAsync('cpu');
    const got = await trainMlpAsync(backendName);
    assertClose(got, ref, trainingTolerance, 'losses');
  });
  return cases;
}

/** Registers the suite with node:test: one test per case, under one describe. */
export function runConformance(backendName: string, options: ConformanceOptions = {}): void {
  describe(`backend conformance: ${backendName} vs cpu`, () => {
    for (const c of conformanceCases(backendName, options)) nodeTest(c.name, c.run);
  });
}

/**
 * Trains a small MLP with ops only (matmul, add, relu, crossEntropy, backward, SGD) on
 * `backendName` and returns the loss tensors of its steps (kept; the caller reads and disposes
 * them). Nothing is read back during training, so this runs on asynchronous backends too.
 */
function trainMlpLosses(backendName: string, steps: number, sizes: number[], batch: number): Tensor[] {
  const previous = getBackend();
  setBackend(backendName);
  try {
    const rng = new Rng(11);
    const params: Tensor[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l];
      const w = new Float32Array(fanIn * sizes[l + 1]);
      for (let i = 0; i < w.length; i++) w[i] = rng.normal() * Math.sqrt(2 / fanIn);
      params.push(keep(fromArray(w, [fanIn, sizes[l + 1]], { requiresGrad: true })));
      params.push(
        keep(fromArray(new Float32Array(sizes[l + 1]).fill(0.01), [sizes[l + 1]], { requiresGrad: true })),
      );
    }
    const xs = new Float32Array(batch * sizes[0]);
    for (let i = 0; i < xs.length; i++) xs[i] = rng.uniform();
    const labels = Int32Array.from({ length: batch }, () =>
      Math.floor(rng.uniform() * sizes[sizes.length - 1]),
    );
    const x = keep(fromArray(xs, [batch, sizes[0]]));
    const y = keep(fromArray(labels, [batch], { dtype: 'int32' }));
    const losses: Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = tidy(() => {
        let h: Tensor = x;
        for (let l = 0; l < params.length; l += 2) {
          h = ops.add(ops.matmul(h, params[l]), params[l + 1]);
          if (l + 2 < params.length) h = ops.relu(h);
        }
        const loss = crossEntropy(h, y);
        backward(loss);
        for (const p of params) {
          const g = p.grad!;
          const updated = ops.sub(p, ops.mul(g, 0.1));
          // p ← p − 0.1·g, written into the parameter's own storage.
          p.backend.copyRegion(
            updated.storage,
            updated.shape,
            { shape: p.shape, begin: p.shape.map(() => 0) },
            p.storage,
            p.shape,
            { shape: p.shape, begin: p.shape.map(() => 0) },
            p.dtype,
          );
          g.dispose();
          p.grad = null;
        }
        return loss;
      });
      losses.push(keep(loss));
    }
    for (const p of params) p.dispose();
    x.dispose();
    y.dispose();
    return losses;
  } finally {
    setBackend(previous.name);
  }
}

/** The losses of trainMlpLosses, read synchronously (backends with readSync). */
export function trainMlp(backendName: string, steps = 5, sizes = [784, 64, 32, 10], batch = 37): number[] {
  const losses = trainMlpLosses(backendName, steps, sizes, batch);
  const values = losses.map((t) => t.item());
  for (const t of losses) t.dispose();
  return values;
}

/** The losses of trainMlpLosses, read with `await t.data()` (every backend). */
export async function trainMlpAsync(
  backendName: string,
  steps = 5,
  sizes = [784, 64, 32, 10],
  batch = 37,
): Promise<number[]> {
  const losses = trainMlpLosses(backendName, steps, sizes, batch);
  const values: number[] = [];
  for (const t of losses) values.push((await t.data())[0]);
  for (const t of losses) t.dispose();
  return values;
}
