/**
 * Issue 5's GPU benchmark: the bench's training workloads (bench/workloads.ts: mlp-train,
 * cnn-train) on the webgpu backend at their own batch sizes (100, 64) and at batch 1024,
 * against PyTorch CUDA (float32, TF32 off) on the same machine in the same command, as a
 * markdown table of samples/s and their ratio.
 *
 *   npm run build && node dist/bench/gpu.js [--seconds=2] [--batches=default,1024]
 *       [--workloads=mlp-train,cnn-train] [--json] [--json-out=FILE] [--no-torch] [--backend=webgpu]
 *
 * --batches: a list of batch sizes, 'default' meaning each workload's own; --json prints one
 * object {adapter, driver, torch, rows: [{workload, batch, descent, pytorch, ratio, …}]} instead of
 * the table, --json-out=FILE writes it to FILE as well as printing the table.
 * PyTorch runs as `python3 bench/torch_bench.py --device cuda` (python3, else /usr/bin/python3:
 * the first whose torch sees a GPU). On a GPU machine without Node, see ../shared/gpu/README.md
 * and bench/gpu-run.sh. Without a GPU adapter, initWebGpu() throws a ConfigError saying what it
 * looked for; that message is printed and the exit status is 1. --backend=cpu|wasm runs the
 * descent side on that backend instead: a dry run of this script on a machine without a GPU.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { initWebGpu, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import { DEFAULT_BATCH, runWorkload, type WorkloadName, type WorkloadResult } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const json = args.includes('--json');
const seconds = Number(option('seconds', '2'));
const batchSpec = option('batches', 'default,1024');
const workloads = option('workloads', 'mlp-train,cnn-train').split(',') as WorkloadName[];
const backendName = option('backend', 'webgpu');
const jsonOut = option('json-out', '');
const log = (msg: string) => {
  if (!json) console.error(msg);
};

for (const w of workloads) {
  if (!(w in DEFAULT_BATCH)) {
    console.error(`gpu.js: unknown workload '${w}' (one of ${Object.keys(DEFAULT_BATCH).join(', ')})`);
    process.exit(2);
  }
}

/** The batch sizes asked for, for one workload ('default': its own), without repeats. */
function batchesOf(w: WorkloadName): number[] {
  const out: number[] = [];
  for (const tok of batchSpec.split(',').map((s) => s.trim())) {
    const n = tok === 'default' ? DEFAULT_BATCH[w] : Number(tok);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`gpu.js: --batches takes positive integers or 'default', got '${tok}'`);
      process.exit(2);
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}
const batches = new Map(workloads.map((w) => [w, batchesOf(w)]));

interface Row {
  workload: WorkloadName;
  batch: number;
  /** descent on --backend (webgpu), samples/s */
  descent: number | null;
  /** PyTorch CUDA, samples/s */
  pytorch: number | null;
  /** descent / PyTorch */
  ratio: number | null;
  descentSteps?: number;
  descentLoss?: number;
  pytorchSteps?: number;
  error?: string;
}

interface TorchRun {
  rows: { workload: string; batch: number; samplesPerSec: number; steps: number }[];
  info: string;
  raw?: Record<string, unknown>;
}

/** The first python whose torch sees a GPU, else the first with torch (its error is then shown). */
function findTorchPython(): string | null {
  let withTorch: string | null = null;
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status === 0) return py;
    if (r.status === 3) withTorch ??= py;
  }
  return withTorch;
}

function torchRun(): TorchRun {
  if (args.includes('--no-torch')) return { rows: [], info: 'PyTorch: skipped (--no-torch)' };
  const py = findTorchPython();
  if (!py)
    return {
      rows: [],
      info: 'PyTorch CUDA: unavailable (neither python3 nor /usr/bin/python3 imports torch)',
    };
  log(`pytorch cuda (${py} bench/torch_bench.py --device cuda)…`);
  const run = spawnSync(
    py,
    [
      join(root, 'bench', 'torch_bench.py'),
      '--device',
      'cuda',
      '--seconds',
      String(seconds),
      '--workloads',
      workloads.join(','),
      '--batch',
      batchSpec,
    ],
    { cwd: root, encoding: 'utf8', timeout: 600_000 },
  );
  const lines: Record<string, unknown>[] = [];
  for (const line of (run.stdout ?? '').split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // not a result line
    }
  }
  const raw = lines.find((l) => 'info' in l)?.info as Record<string, unknown> | undefined;
  const rows = lines.filter((l) => 'workload' in l) as unknown as TorchRun['rows'];
  if (run.status !== 0) {
    const why = (run.stderr || run.error?.message || `exit status ${run.status}`).trim().split('\n').pop();
    return { rows, raw, info: `PyTorch CUDA: failed (${py}: ${why})` };
  }
  const info = raw
    ? `PyTorch ${raw.torch} (CUDA ${raw.cuda}, cuDNN ${raw.cudnn}) on ${raw.gpu}, driver ${raw.driver ?? '?'} ` +
      `(CUDA ${raw.driverCuda ?? '?'}), float32, TF32 off`
    : 'PyTorch CUDA: no info line';
  return { rows, raw, info };
}

function driver(): string {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
    encoding: 'utf8',
  });
  return smi.status === 0 ? smi.stdout.trim() : 'nvidia-smi unavailable';
}

async function main(): Promise<number> {
  let backend: WebGpuBackend | null = null;
  if (backendName === 'webgpu') {
    try {
      backend = (await initWebGpu())!;
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`gpu.js: ${error.message}`);
        return 1;
      }
      throw error;
    }
  }
  const adapter = backend ? backend.info().adapter : `none (dry run on descent's ${backendName} backend)`;
  log(`adapter: ${adapter}`);

  const rows: Row[] = [];
  for (const w of workloads) {
    for (const batch of batches.get(w)!) {
      log(`descent ${backendName} ${w} batch ${batch}…`);
      const row: Row = { workload: w, batch, descent: null, pytorch: null, ratio: null };
      try {
        const r: WorkloadResult = await runWorkload(w, backendName, seconds, batch);
        row.descent = r.samplesPerSec;
        row.descentSteps = r.steps;
        row.descentLoss = r.loss;
        if (r.loss !== undefined && !Number.isFinite(r.loss)) row.error = `loss is ${r.loss}`;
      } catch (error) {
        row.error = (error as Error).message.split('\n')[0];
        log(`  failed: ${row.error}`);
      }
      rows.push(row);
    }
  }
  backend?.device.destroy(); // Dawn keeps Node alive while a device exists; PyTorch gets the GPU to itself

  const torch = torchRun();
  for (const t of torch.rows) {
    const row = rows.find((r) => r.workload === t.workload && r.batch === t.batch);
    if (!row) continue;
    row.pytorch = t.samplesPerSec;
    row.pytorchSteps = t.steps;
    if (row.descent !== null && row.pytorch) row.ratio = row.descent / row.pytorch;
  }

  const gpu = driver();
  const report = JSON.stringify(
    { adapter, driver: gpu, torch: torch.info, torchInfo: torch.raw, seconds, rows },
    null,
    2,
  );
  if (jsonOut) writeFileSync(jsonOut, report + '\n');
  if (json) {
    console.log(report);
  } else {
    const fmt = (v: number | null) =>
      v === null ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: 0 });
    console.log(`adapter: ${adapter}\nGPU, driver: ${gpu}\n${torch.info}\n${seconds} s per measurement\n`);
    console.log(
      `| workload | batch | descent ${backendName} (samples/s) | PyTorch CUDA (samples/s) | descent / PyTorch |`,
    );
    console.log('| --- | --- | --- | --- | --- |');
    for (const r of rows) {
      const ours = r.error ? `failed: ${r.error}` : fmt(r.descent);
      const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`;
      console.log(`| ${r.workload} | ${r.batch} | ${ours} | ${fmt(r.pytorch)} | ${ratio} |`);
    }
  }
  return rows.some((r) => r.error) ? 1 : 0;
}

process.exit(await main());
