"""PyTorch peer of `npm run bench` and bench/gpu.ts: the same workloads as bench/workloads.ts.

Run by bench/index.ts (python3 bench/torch_bench.py [--threads 2] [--seconds 2]) on CPU, and by
bench/gpu.ts with --device cuda; prints one JSON object per line:
{workload, lib, backend, batch, samplesPerSec[, gflops, shape]} and first a line {"info": ...}
describing torch, its BLAS and the OpenBLAS core type in use (on CUDA: the GPU, its driver and
the CUDA/cuDNN versions instead).

--batch N (or a list, --batch default,1024) runs mlp-train and cnn-train at those batch sizes
('default': 100 and 64, as without --batch). --device cuda runs everything on the first GPU in
float32 with TF32 off (cuBLAS and cuDNN), and synchronizes before every timer read.

Debian's torch uses the system BLAS; OpenBLAS 0.3.21 misdetects newer CPUs, so the caller
sets OPENBLAS_CORETYPE (SkylakeX on AVX-512 machines, Haswell on AVX2).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


DEVICE = torch.device('cpu')


def sync():
    """Waits for the GPU's queued work (CUDA runs asynchronously), so that a timer read counts it."""
    if DEVICE.type == 'cuda':
        torch.cuda.synchronize()


def time_steps(step, seconds, warmup=3, min_steps=5):
    for _ in range(warmup):
        step()
    sync()
    t0 = time.perf_counter()
    steps = 0
    # On CUDA the loop's own clock reads only decide when to stop (the CPU may run ahead of
    # the GPU by a bounded queue); the rate comes from the read after the final synchronize.
    while steps < min_steps or time.perf_counter() - t0 < seconds:
        step()
        steps += 1
    sync()
    return steps / (time.perf_counter() - t0), steps


def mlp():
    return nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def train_rate(model, opt, x, y, seconds):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    per_sec, steps = time_steps(step, seconds)
    return per_sec * x.shape[0], steps


GEMM_SHAPES = [
    ('128³', 128, 128, 128, False, False),
    ('512³', 512, 512, 512, False, False),
    ('1024³', 1024, 1024, 1024, False, False),
    ('mlp fwd 100×784→500', 100, 500, 784, False, True),
    ('mlp fwd 100×500→500', 100, 500, 500, False, True),
    ('mlp dx 100×500→784', 100, 784, 500, False, False),
    ('mlp dW 500×100→784', 500, 784, 100, True, False),
]


def gemm_rate(m, n, k, trans_a, trans_b, seconds):
    a = torch.rand(k, m, device=DEVICE) if trans_a else torch.rand(m, k, device=DEVICE)
    b = torch.rand(n, k, device=DEVICE) if trans_b else torch.rand(k, n, device=DEVICE)
    out = torch.empty(m, n, device=DEVICE)
    aa = a.t() if trans_a else a
    bb = b.t() if trans_b else b
    per_sec, _ = time_steps(lambda: torch.mm(aa, bb, out=out), seconds, warmup=3, min_steps=10)
    return per_sec * 2 * m * n * k / 1e9


DEFAULT_BATCH = {'mlp-train': 100, 'cnn-train': 64}


# ---- the user path: nn modules, torch.optim, a shuffling DataLoader (bench/user-workloads.ts) ----

FIT_BATCH = 64
SAMPLES_PER_EPOCH = 40 * FIT_BATCH
PREDICT_SAMPLES = {'mlp': 10_000, 'fashion-cnn': 2_000}


def fashion_cnn():
    """The zoo's fashionCnn: two conv 3x3 -> BN -> ReLU -> pool -> dropout blocks, dense 128 -> BN."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),
    )


def lenet5_zoo():
    """The zoo's lenet5 for 28x28 inputs: the first convolution pads by 2."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


USER_NETS = {'fashion-cnn': fashion_cnn, 'lenet5': lenet5_zoo, 'mlp': lambda: nn.Sequential(nn.Flatten(), *mlp())}


def user_fit(name, seconds):
    """Epochs of the ordinary training loop until `seconds` have passed (after one warm-up epoch)."""
    from torch.utils.data import DataLoader, TensorDataset
    model = USER_NETS[name]().to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = TensorDataset(torch.rand(SAMPLES_PER_EPOCH, 1, 28, 28), torch.randint(0, 10, (SAMPLES_PER_EPOCH,)))
    loader = DataLoader(data, batch_size=FIT_BATCH, shuffle=True)

    def epoch():
        model.train()
        total = 0.0
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / len(loader)

    epoch()
    t0 = time.perf_counter()
    samples = 0
    while samples == 0 or time.perf_counter() - t0 < seconds:
        loss = epoch()
        samples += SAMPLES_PER_EPOCH
    return samples / (time.perf_counter() - t0), samples, loss


def user_predict(name, seconds):
    """model.eval(), no_grad, the outputs of a DataLoader's batches concatenated and turned into numpy."""
    from torch.utils.data import DataLoader
    model = USER_NETS[name]().to(DEVICE).eval()
    n = PREDICT_SAMPLES[name]
    x = torch.rand(n, 1, 28, 28)

    def once():
        with torch.no_grad():
            out = torch.cat([model(b.to(DEVICE)) for b in DataLoader(x, batch_size=1000)])
        return out.cpu().numpy()

    once()
    t0 = time.perf_counter()
    samples = 0
    while samples == 0 or time.perf_counter() - t0 < seconds:
        once()
        samples += n
    return samples / (time.perf_counter() - t0), samples


def peak_rss_mib():
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def batches(spec, workload):
    """The batch sizes --batch asks for, for one training workload ('default': its own)."""
    if spec is None:
        return [DEFAULT_BATCH[workload]]
    out = []
    for tok in spec.split(','):
        tok = tok.strip()
        n = DEFAULT_BATCH[workload] if tok == 'default' else int(tok)
        if n < 1:
            raise SystemExit(f'torch_bench.py: --batch sizes must be positive, got {tok}')
        if n not in out:
            out.append(n)
    return out


def gpu_driver():
    """'name, driver' from nvidia-smi, or None where it is missing."""
    try:
        r = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version', '--format=csv,noheader'],
                           capture_output=True, text=True, timeout=30)
        return r.stdout.strip().split('\n')[0] if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def cuda_info():
    props = torch.cuda.get_device_properties(0)
    smi = gpu_driver()
    try:
        v = torch._C._cuda_getDriverVersion()  # e.g. 12080: the CUDA version the driver supports
        driver_cuda = f'{v // 1000}.{v % 1000 // 10}'
    except Exception:  # noqa: BLE001 - a private API; its absence is not an error
        driver_cuda = None
    return {
        'torch': torch.__version__,
        'device': 'cuda',
        'gpu': torch.cuda.get_device_name(0),
        'memoryGiB': round(props.total_memory / 2**30, 1),
        'driver': smi.split(', ')[-1] if smi else None,
        'driverCuda': driver_cuda,
        'cuda': torch.version.cuda,
        'cudnn': torch.backends.cudnn.version(),
        'tf32': False,
    }


def main():
    global DEVICE
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seconds', type=float, default=2.0)
    ap.add_argument('--workloads', default='gemm,mlp-train,mlp-infer,cnn-train')
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    ap.add_argument('--batch', default=None,
                    help="batch size(s) for mlp-train and cnn-train: N or a list like default,1024")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.device == 'cuda':
        if not torch.cuda.is_available():
            why = ('this PyTorch is built without CUDA' if torch.version.cuda is None
                   else f'PyTorch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU: '
                        f'{torch.cuda.device_count()} devices, CUDA_VISIBLE_DEVICES='
                        f'{os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)")}')
            print(f'torch_bench.py: --device cuda: CUDA is not available ({why}; '
                  f'{sys.executable}, torch {torch.__version__}).', file=sys.stderr)
            sys.exit(2)
        DEVICE = torch.device('cuda')
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.cuda.manual_seed(1)
        info = cuda_info()
    else:
        info = {
            'torch': torch.__version__,
            'threads': torch.get_num_threads(),
            'openblasCoretype': os.environ.get('OPENBLAS_CORETYPE', '(auto-detected)'),
            'blas': 'openblas' if 'openblas' in open('/proc/self/maps').read() else 'unknown',
        }
    print(json.dumps({'info': info}), flush=True)
    dev = DEVICE
    workloads = args.workloads.split(',')
    lib, backend = 'pytorch', args.device

    if 'gemm' in workloads:
        for name, m, n, k, ta, tb in GEMM_SHAPES:
            gflops = gemm_rate(m, n, k, ta, tb, min(args.seconds, 1.0))
            print(json.dumps({'workload': 'gemm', 'shape': name, 'lib': lib, 'backend': backend, 'gflops': gflops,
                              'samplesPerSec': gflops * 1e9 / (2 * m * n * k)}), flush=True)
    if 'mlp-train' in workloads:
        for batch in batches(args.batch, 'mlp-train'):
            model = mlp().to(dev)
            rate, steps = train_rate(model, torch.optim.SGD(model.parameters(), lr=0.1),
                                     torch.rand(batch, 784, device=dev),
                                     torch.randint(0, 10, (batch,), device=dev), args.seconds)
            print(json.dumps({'workload': 'mlp-train', 'lib': lib, 'backend': backend, 'batch': batch,
                              'samplesPerSec': rate, 'steps': steps}), flush=True)
    if 'mlp-infer' in workloads:
        model = mlp().to(dev)
        x = torch.rand(1000, 784, device=dev)
        with torch.no_grad():
            per_sec, steps = time_steps(lambda: model(x), args.seconds)
        print(json.dumps({'workload': 'mlp-infer', 'lib': lib, 'backend': backend, 'batch': 1000,
                          'samplesPerSec': per_sec * 1000, 'steps': steps}), flush=True)
    for w in workloads:
        kind, _, name = w.partition(':')
        if kind == 'fit' and name in USER_NETS:
            rate, samples, loss = user_fit(name, args.seconds)
            print(json.dumps({'workload': w, 'lib': lib, 'backend': backend, 'batch': FIT_BATCH,
                              'samplesPerSec': rate, 'samples': samples, 'loss': loss,
                              'peakRssMiB': peak_rss_mib()}), flush=True)
        elif kind == 'predict' and name in USER_NETS:
            rate, samples = user_predict(name, args.seconds)
            print(json.dumps({'workload': w, 'lib': lib, 'backend': backend, 'batch': 1000,
                              'samplesPerSec': rate, 'samples': samples, 'peakRssMiB': peak_rss_mib()}), flush=True)
    if 'cnn-train' in workloads:
        for batch in batches(args.batch, 'cnn-train'):
            model = lenet().to(dev)
            rate, steps = train_rate(model, torch.optim.Adam(model.parameters(), lr=1e-3),
                                     torch.rand(batch, 1, 28, 28, device=dev),
                                     torch.randint(0, 10, (batch,), device=dev), args.seconds)
            print(json.dumps({'workload': 'cnn-train', 'lib': lib, 'backend': backend, 'batch': batch,
                              'samplesPerSec': rate, 'steps': steps}), flush=True)


if __name__ == '__main__':
    main()
