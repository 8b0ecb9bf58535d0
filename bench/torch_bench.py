"""PyTorch peer of `npm run bench`: the same workloads as bench/workloads.ts, on CPU.

Run by bench/index.ts (python3 bench/torch_bench.py [--threads 2] [--seconds 2]); prints one
JSON object per line: {workload, lib, backend, samplesPerSec[, gflops, shape]} and first a
line {"info": ...} describing torch, its BLAS and the OpenBLAS core type in use.

Debian's torch uses the system BLAS; OpenBLAS 0.3.21 misdetects newer CPUs, so the caller
sets OPENBLAS_CORETYPE (SkylakeX on AVX-512 machines, Haswell on AVX2).
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def time_steps(step, seconds, warmup=3, min_steps=5):
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    steps = 0
    while steps < min_steps or time.perf_counter() - t0 < seconds:
        step()
        steps += 1
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
    a = torch.rand(k, m) if trans_a else torch.rand(m, k)
    b = torch.rand(n, k) if trans_b else torch.rand(k, n)
    out = torch.empty(m, n)
    aa = a.t() if trans_a else a
    bb = b.t() if trans_b else b
    per_sec, _ = time_steps(lambda: torch.mm(aa, bb, out=out), seconds, warmup=3, min_steps=10)
    return per_sec * 2 * m * n * k / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seconds', type=float, default=2.0)
    ap.add_argument('--workloads', default='gemm,mlp-train,mlp-infer,cnn-train')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    info = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'openblasCoretype': os.environ.get('OPENBLAS_CORETYPE', '(auto-detected)'),
        'blas': 'openblas' if 'openblas' in open('/proc/self/maps').read() else 'unknown',
    }
    print(json.dumps({'info': info}), flush=True)
    workloads = args.workloads.split(',')
    lib, backend = 'pytorch', 'cpu'
    if 'gemm' in workloads:
        for name, m, n, k, ta, tb in GEMM_SHAPES:
            gflops = gemm_rate(m, n, k, ta, tb, min(args.seconds, 1.0))
            print(json.dumps({'workload': 'gemm', 'shape': name, 'lib': lib, 'backend': backend, 'gflops': gflops,
                              'samplesPerSec': gflops * 1e9 / (2 * m * n * k)}), flush=True)
    if 'mlp-train' in workloads:
        model = mlp()
        rate, steps = train_rate(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.rand(100, 784),
                                 torch.randint(0, 10, (100,)), args.seconds)
        print(json.dumps({'workload': 'mlp-train', 'lib': lib, 'backend': backend, 'samplesPerSec': rate, 'steps': steps}), flush=True)
    if 'mlp-infer' in workloads:
        model = mlp()
        x = torch.rand(1000, 784)
        with torch.no_grad():
            per_sec, steps = time_steps(lambda: model(x), args.seconds)
        print(json.dumps({'workload': 'mlp-infer', 'lib': lib, 'backend': backend, 'samplesPerSec': per_sec * 1000, 'steps': steps}), flush=True)
    if 'cnn-train' in workloads:
        model = lenet()
        rate, steps = train_rate(model, torch.optim.Adam(model.parameters(), lr=1e-3), torch.rand(64, 1, 28, 28),
                                 torch.randint(0, 10, (64,)), args.seconds)
        print(json.dumps({'workload': 'cnn-train', 'lib': lib, 'backend': backend, 'samplesPerSec': rate, 'steps': steps}), flush=True)


if __name__ == '__main__':
    main()
