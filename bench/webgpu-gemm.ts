/**
 * GEMM throughput of the webgpu backend on a GPU, against PyTorch (cuBLAS, float32 with TF32
 * off) on the same machine in the same command: C = A·B at n = 1024, 2048, 4096, 8192, with
 * both GEMM tile shapes (64×64 with 4×4 per thread, 128×128 with 8×8) and the one 'auto' picks.
 *
 *   npm run build && node dist/bench/webgpu-gemm.js [--sizes=1024,2048] [--min-ms=300] [--json] [--no-torch]
 *
 * It needs a GPU that Node's `webgpu` package (Dawn) can use — on Linux, the Vulkan driver and
 * loader (see ../shared/gpu/README.md for a GPU machine without Node). On a machine without
 * one, initWebGpu() fails with a message saying what it looked for: nothing can be measured
 * there (a software adapter would measure the CPU, not the kernels).
 */
import { spawnSync } from 'node:child_process';
import type { MatmulArgs } from '../src/backend/contract.js';
import { initWebGpu, WebGpuBackend } from '../src/backend/webgpu/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const json = args.includes('--json');
const sizes = option('sizes', '1024,2048,4096,8192').split(',').map(Number);
const minMs = Number(option('min-ms', '300'));

interface Row {
  n: number;
  tile: string;
  tflops: number;
  ms: number;
}

/** Median TFLOP/s of 3 rounds, each running the product until `minMs` have passed. */
async function measure(backend: WebGpuBackend, n: number): Promise<{ tflops: number; ms: number }> {
  const a = backend.upload(
    'float32',
    Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
  );
  const b = backend.upload(
    'float32',
    Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
  );
  const c = backend.alloc('float32', n * n);
  const mm: MatmulArgs = {
    batch: 1,
    m: n,
    n,
    k: n,
    transA: false,
    transB: false,
    aBatchStride: 0,
    bBatchStride: 0,
  };
  backend.matmul(a, b, c, 'float32', mm);
  await backend.sync(); // compiles the pipeline and warms the GPU up
  await checkProduct(backend, a, b, c, n);
  const rounds: number[] = [];
  let iters = 1;
  for (let r = 0; r < 3; r++) {
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < iters; i++) backend.matmul(a, b, c, 'float32', mm);
      await backend.sync();
      const ms = performance.now() - t0;
      if (ms >= minMs || iters >= 1 << 16) {
        rounds.push(ms / iters);
        break;
      }
      iters = Math.max(iters * 2, Math.ceil((iters * minMs) / Math.max(ms, 1)));
    }
  }
  for (const s of [a, b, c]) backend.free(s);
  const ms = rounds.sort((x, y) => x - y)[1];
  return { tflops: (2 * n ** 3) / (ms * 1e9), ms };
}

/** A few entries of C against float64 dot products on the CPU: a fast kernel must also be right. */
async function checkProduct(
  backend: WebGpuBackend,
  a: unknown,
  b: unknown,
  c: unknown,
  n: number,
): Promise<void> {
  type S = Parameters<WebGpuBackend['read']>[0];
  const [av, bv, cv] = await Promise.all([
    backend.read(a as S, 'float32', n * n),
    backend.read(b as S, 'float32', n * n),
    backend.read(c as S, 'float32', n * n),
  ]);
  for (const [i, j] of [
    [0, 0],
    [n - 1, n - 1],
    [n >> 1, 3],
    [7, n - 5],
  ]) {
    let want = 0;
    for (let p = 0; p < n; p++) want += av[i * n + p] * bv[p * n + j];
    if (Math.abs(cv[i * n + j] - want) > 1e-3 * Math.sqrt(n)) {
      throw new Error(`webgpu GEMM n=${n}: C[${i},${j}] = ${cv[i * n + j]}, want ${want}`);
    }
  }
}

const TORCH = `
import json, sys, torch
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device('cuda')
print(json.dumps({'info': {'torch': torch.__version__, 'gpu': torch.cuda.get_device_name(0), 'cuda': torch.version.cuda}}))
for n in [int(s) for s in sys.argv[1].split(',')]:
    a = torch.rand(n, n, device=dev) - 0.5
    b = torch.rand(n, n, device=dev) - 0.5
    torch.mm(a, b); torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    iters = max(3, int(2e12 / (2 * n ** 3)))
    best = None
    for _ in range(3):
        start.record()
        for _ in range(iters): torch.mm(a, b)
        end.record(); torch.cuda.synchronize()
        ms = start.elapsed_time(end) / iters
        best = ms if best is None else min(best, ms)
    print(json.dumps({'n': n, 'tflops': 2 * n ** 3 / (best * 1e9), 'ms': best}))
`;

function torchRows(): { rows: Row[]; info: string } {
  if (args.includes('--no-torch')) return { rows: [], info: 'PyTorch: skipped (--no-torch)' };
  const run = spawnSync('python3', ['-c', TORCH, sizes.join(',')], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) {
    return {
      rows: [],
      info: `PyTorch CUDA: unavailable (${(run.stderr || run.error?.message || '').trim().split('\n').pop()})`,
    };
  }
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const info = lines.find((l) => l.info)?.info;
  return {
    rows: lines.filter((l) => l.n).map((l) => ({ n: l.n, tile: 'cuBLAS fp32', tflops: l.tflops, ms: l.ms })),
    info: `PyTorch ${info?.torch} (CUDA ${info?.cuda}) on ${info?.gpu}, TF32 off`,
  };
}

function driver(): string {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
    encoding: 'utf8',
  });
  return smi.status === 0 ? smi.stdout.trim() : 'nvidia-smi unavailable';
}

async function main(): Promise<void> {
  const shared = await initWebGpu();
  const device = shared!.device;
  const backends: [string, WebGpuBackend][] = [
    ['webgpu 64×64/4×4', new WebGpuBackend(device, { gemmTile: 'small' })],
    ['webgpu 128×128/8×8', new WebGpuBackend(device, { gemmTile: 'large' })],
    ['webgpu auto', shared!],
  ];
  const rows: Row[] = [];
  for (const n of sizes) {
    for (const [tile, backend] of backends) {
      const r = await measure(backend, n);
      rows.push({ n, tile, ...r });
      if (!json) console.error(`${tile} n=${n}: ${r.tflops.toFixed(2)} TFLOP/s`);
    }
  }
  const torch = torchRows();
  rows.push(...torch.rows);
  if (json) {
    console.log(
      JSON.stringify({ adapter: shared!.info().adapter, driver: driver(), torch: torch.info, rows }, null, 2),
    );
    return;
  }
  console.log(`adapter: ${shared!.info().adapter}\nGPU/driver: ${driver()}\n${torch.info}\n`);
  console.log(['n', ...backends.map(([t]) => t), 'cuBLAS fp32', 'best webgpu / cuBLAS'].join('\t'));
  for (const n of sizes) {
    const of = (tile: string) => rows.find((r) => r.n === n && r.tile === tile)?.tflops;
    const ours = backends.map(([t]) => of(t) ?? NaN);
    const cublas = of('cuBLAS fp32');
    const best = Math.max(...ours);
    console.log(
      [
        n,
        ...ours.map((v) => v.toFixed(2)),
        cublas?.toFixed(2) ?? '—',
        cublas ? (best / cublas).toFixed(2) : '—',
      ].join('\t'),
    );
  }
  device.destroy();
}

await main();
