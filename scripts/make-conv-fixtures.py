#!/usr/bin/python3
"""Writes PyTorch reference fixtures for conv2d, pooling and batch norm to test/fixtures/conv/.

Each case holds the inputs, the options, the forward output and the gradients of
sum(output * cotangent) with respect to every differentiable input, computed by PyTorch in
float64 on random, non-square shapes. test/ops/{conv,pool,normalization}.test.ts replay them.

Needs Debian's PyTorch (the pyenv python3 on PATH may not see it, hence /usr/bin/python3):

    apt-get install -y python3-torch libopenblas0-pthread
    export OPENBLAS_CORETYPE=$(grep -q avx512f /proc/cpuinfo && echo SkylakeX || echo Haswell)
    /usr/bin/python3 scripts/make-conv-fixtures.py

The fixtures are committed; the tests never need PyTorch.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'conv')
torch.manual_seed(20240607)
torch.set_default_dtype(torch.float64)


def rand(*shape, low=-1.0, high=1.0):
    # Five decimals, so that JavaScript parses exactly the values PyTorch used.
    t = torch.rand(*shape) * (high - low) + low
    return torch.round(t * 1e5) / 1e5


def enc(t):
    """A tensor as {shape, data}, with 9 significant digits (compared with a relative tolerance of 1e-8)."""
    flat = t.detach().reshape(-1).tolist()
    return {'shape': list(t.shape), 'data': [float('%.9g' % v) for v in flat]}


def run(name, op, options, inputs, fn, extra=None):
    """Evaluates fn(**inputs) and the gradients of sum(out * cotangent) wrt the inputs that need them."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items() if v is not None}
    out = fn(**leaves)
    cot = rand(*out.shape)
    (out * cot).sum().backward()
    case = {
        'name': name,
        'op': op,
        'options': options,
        'inputs': {k: enc(v) for k, v in inputs.items() if v is not None},
        'output': enc(out),
        'cotangent': enc(cot),
        'grads': {k: enc(v.grad) for k, v in leaves.items()},
    }
    if extra:
        case.update(extra)
    return case


def conv_cases():
    specs = [
        # name, x shape, w shape, bias, options (descent's spelling), torch kwargs
        ('basic 3x2 kernel', [2, 3, 6, 5], [4, 3, 3, 2], True, {}, {}),
        ('stride 2 padding 1', [2, 2, 7, 6], [3, 2, 3, 3], True, {'stride': 2, 'padding': 1}, {'stride': 2, 'padding': 1}),
        ('same padding dilation 2', [1, 3, 6, 9], [2, 3, 3, 2], True, {'padding': 'same', 'dilation': 2},
         {'padding': 'same', 'dilation': 2}),
        ('same padding even kernel', [2, 2, 5, 6], [3, 2, 4, 2], True, {'padding': 'same'}, {'padding': 'same'}),
        ('stride [2,1] padding [1,0] dilation [1,2]', [2, 2, 7, 8], [3, 2, 2, 3], True,
         {'stride': [2, 1], 'padding': [1, 0], 'dilation': [1, 2]}, {'stride': (2, 1), 'padding': (1, 0), 'dilation': (1, 2)}),
        ('1x1 kernel no bias', [3, 3, 3, 4], [2, 3, 1, 1], False, {}, {}),
        ('groups 2 padding 1', [2, 4, 4, 5], [6, 2, 3, 3], True, {'groups': 2, 'padding': 1}, {'groups': 2, 'padding': 1}),
        ('depthwise stride 2', [2, 3, 7, 6], [3, 1, 3, 2], False, {'groups': 3, 'stride': 2}, {'groups': 3, 'stride': 2}),
        ('stride 2 padding 2 dilation 2', [1, 2, 9, 7], [2, 2, 3, 3], True, {'stride': 2, 'padding': 2, 'dilation': 2},
         {'stride': 2, 'padding': 2, 'dilation': 2}),
    ]
    cases = []
    for name, xs, ws, has_bias, options, kwargs in specs:
        inputs = {'x': rand(*xs), 'weight': rand(*ws), 'bias': rand(ws[0]) if has_bias else None}
        cases.append(run(name, 'conv2d', options, inputs,
                         lambda x, weight, bias=None, kw=kwargs: F.conv2d(x, weight, bias, **kw)))
    return cases


def pool_cases():
    specs = [
        ('max 2x2', 'maxPool2d', [2, 2, 6, 7], {'kernel': 2}, lambda x: F.max_pool2d(x, 2)),
        ('max 3x3 stride 2 padding 1', 'maxPool2d', [2, 2, 7, 9], {'kernel': 3, 'stride': 2, 'padding': 1},
         lambda x: F.max_pool2d(x, 3, 2, 1)),
        ('max [2,3] stride [1,2] dilation 2', 'maxPool2d', [1, 2, 8, 9], {'kernel': [2, 3], 'stride': [1, 2], 'dilation': 2},
         lambda x: F.max_pool2d(x, (2, 3), (1, 2), 0, 2)),
        ('max 3x3 stride 2 ceil mode', 'maxPool2d', [1, 2, 8, 8], {'kernel': 3, 'stride': 2, 'ceilMode': True},
         lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True)),
        ('avg 2x2', 'avgPool2d', [2, 2, 6, 7], {'kernel': 2}, lambda x: F.avg_pool2d(x, 2)),
        ('avg 3x3 stride 2 padding 1 (count padding)', 'avgPool2d', [2, 2, 7, 9], {'kernel': 3, 'stride': 2, 'padding': 1},
         lambda x: F.avg_pool2d(x, 3, 2, 1)),
        ('avg 3x3 stride 2 padding 1 (exclude padding)', 'avgPool2d', [2, 2, 7, 9],
         {'kernel': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False},
         lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
        ('avg [3,2] stride [2,1] padding [1,0] ceil mode', 'avgPool2d', [1, 2, 8, 5],
         {'kernel': [3, 2], 'stride': [2, 1], 'padding': [1, 0], 'ceilMode': True},
         lambda x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 0), ceil_mode=True)),
        ('global average', 'globalAvgPool2d', [2, 3, 5, 4], {}, lambda x: F.adaptive_avg_pool2d(x, 1)),
    ]
    return [run(name, op, options, {'x': rand(*shape)}, lambda x, f=f: f(x)) for name, op, shape, options, f in specs]


def batchnorm_cases():
    cases = []
    for name, shape, training in [
        ('training [N, C]', [6, 4], True),
        ('training [N, C, H, W]', [3, 4, 4, 3], True),
        ('inference [N, C, H, W]', [2, 3, 4, 5], False),
    ]:
        c = shape[1]
        x = rand(*shape, low=-2, high=3)
        gamma = rand(c, low=0.5, high=1.5)
        beta = rand(c)
        running_mean = rand(c)
        running_var = rand(c, low=0.5, high=1.5)
        rm, rv = running_mean.clone(), running_var.clone()
        options = {'training': training, 'eps': 1e-5, 'momentum': 0.1}

        def fn(x, gamma, beta, rm=rm, rv=rv, training=training):
            return F.batch_norm(x, rm, rv, gamma, beta, training=training, momentum=0.1, eps=1e-5)

        case = run(name, 'batchNorm', options, {'x': x, 'gamma': gamma, 'beta': beta}, fn)
        dims = [d for d in range(len(shape)) if d != 1]
        case['runningMean'] = enc(running_mean)
        case['runningVar'] = enc(running_var)
        case['newRunningMean'] = enc(rm)
        case['newRunningVar'] = enc(rv)
        if training:
            case['batchMean'] = enc(x.mean(dim=dims))
            case['batchVar'] = enc(x.var(dim=dims, unbiased=False))
        cases.append(case)
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    for file, cases in [('conv2d.json', conv_cases()), ('pool.json', pool_cases()), ('batchnorm.json', batchnorm_cases())]:
        path = os.path.join(OUT, file)
        with open(path, 'w') as f:
            json.dump({'generator': 'scripts/make-conv-fixtures.py', 'torch': torch.__version__, 'cases': cases}, f,
                      separators=(',', ':'))
            f.write('\n')
        print(f'{os.path.relpath(path)}: {len(cases)} cases, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
