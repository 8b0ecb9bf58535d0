/**
 * GEMM throughput of descent's backends at the kernel level (no tensor or autograd
 * overhead): C = op(A)·op(B) in float32 on the shapes of `npm run bench`'s gemm workload.
 *
 *   node dist/bench/gemm.js            a table
 *   node dist/bench/gemm.js --json     JSON rows
 */
import type { Backend, MatmulArgs } from '../src/backend/contract.js';
import { findBackend } from '../src/backend/registry.js';
import { WasmBackend } from '../src/backend/wasm/index.js';

export interface GemmShape {
  name: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
}

export const GEMM_SHAPES: GemmShape[] = [
  { name: '128³', m: 128, n: 128, k: 128 },
  { name: '512³', m: 512, n: 512, k: 512 },
  { name: '1024³', m: 1024, n: 1024, k: 1024 },
  // The MLP 784-500-500-10 at batch 100: forward x·Wᵀ, backward dy·W and dyᵀ·x.
  { name: 'mlp fwd 100×784→500', m: 100, n: 500, k: 784, transB: true },
  { name: 'mlp fwd 100×500→500', m: 100, n: 500, k: 500, transB: true },
  { name: 'mlp dx 100×500→784', m: 100, n: 784, k: 500 },
  { name: 'mlp dW 500×100→784', m: 500, n: 784, k: 100, transA: true },
];

/** Median GFLOP/s of `reps` timed rounds, each long enough (≥ minMs) to time well. */
export function timeGemm(backend: Backend, shape: GemmShape, minMs = 150, reps = 5): number {
  const { m, n, k } = shape;
  const args: MatmulArgs = {
    batch: 1,
    m,
    n,
    k,
    transA: shape.transA ?? false,
    transB: shape.transB ?? false,
    aBatchStride: 0,
    bBatchStride: 0,
  };
  const a = backend.upload(
    'float32',
    Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
  );
  const b = backend.upload(
    'float32',
    Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
  );
  const c = backend.alloc('float32', m * n);
  const flops = 2 * m * n * k;
  backend.matmul(a, b, c, 'float32', args); // warm-up
  let iters = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) backend.matmul(a, b, c, 'float32', args);
    const ms = performance.now() - t0;
    if (ms >= minMs / 4) {
      iters = Math.max(1, Math.ceil((iters * minMs) / Math.max(ms, 1e-3)));
      break;
    }
    iters *= 4;
  }
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) backend.matmul(a, b, c, 'float32', args);
    const s = (performance.now() - t0) / 1000;
    rates.push((flops * iters) / s / 1e9);
  }
  for (const s of [a, b, c]) backend.free(s);
  rates.sort((x, y) => x - y);
  return rates[Math.floor(rates.length / 2)];
}

export interface GemmRow {
  workload: 'gemm';
  shape: string;
  lib: 'descent';
  backend: string;
  gflops: number;
  samplesPerSec: number;
}

/** GFLOP/s of cpu, wasm on 1 thread and wasm on all threads, for each shape. */
export function benchGemm(shapes = GEMM_SHAPES, include = { cpu: true }): GemmRow[] {
  const rows: GemmRow[] = [];
  const wasm = findBackend('wasm') as WasmBackend;
  wasm.waitForWorkers();
  const threads = wasm.info().workers + 1;
  for (const shape of shapes) {
    const push = (backend: string, gflops: number) =>
      rows.push({
        workload: 'gemm',
        shape: shape.name,
        lib: 'descent',
        backend,
        gflops,
        samplesPerSec: (gflops * 1e9) / (2 * shape.m * shape.n * shape.k),
      });
    if (include.cpu)
      push('cpu', timeGemm(findBackend('cpu'), shape, shape.m * shape.n * shape.k > 2e8 ? 300 : 150, 3));
    wasm.setThreads(1);
    push('wasm-1t', timeGemm(wasm, shape));
    if (threads > 1) {
      wasm.setThreads(threads);
      push(`wasm-${threads}t`, timeGemm(wasm, shape));
    }
  }
  return rows;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const rows = benchGemm();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 1));
  else {
    const info = (findBackend('wasm') as WasmBackend).info();
    console.log(`wasm: relaxed SIMD ${info.relaxedSimd}, threads ${info.threads}`);
    for (const r of rows)
      console.log(`${r.shape.padEnd(24)} ${r.backend.padEnd(8)} ${r.gflops.toFixed(2).padStart(8)} GFLOP/s`);
  }
}
