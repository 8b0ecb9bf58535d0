#!/usr/bin/python3
"""Writes PyTorch reference fixtures for descent's optimisers and schedules to test/fixtures/optim/.

Every optimiser and LR scheduler of PyTorch 1.13 that descent implements is run on three
parameter tensors of different shapes ([3, 4], [5], [2, 3, 2]) for 24 steps with recorded
gradients (the same sequence for every case, four decimals, so float32 and float64 read the
same values), in float64 and in float32. The fixtures hold the initial values, the gradients,
every intermediate parameter value and the final optimiser state; test/optim/torch.test.ts
replays them.

  optimizers.json  SGD (plain, momentum, dampening, Nesterov, weight decay), Adagrad, RMSprop
                   (plain, centred with momentum), Adadelta, Adam (+ weight decay, AMSGrad),
                   AdamW, Adamax, NAdam (1.13's, and the PyTorch 2.0 fix), Rprop, and LBFGS
                   with max_iter = 1 (one iteration per recorded gradient)
  lbfgs.json       LBFGS with closures on fixed functions: strong-Wolfe line search on a
                   Rosenbrock sum, and the fixed-step variant with several iterations per step
  schedules.json   StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR (1/t and
                   1/sqrt(t+1)), LinearLR warm-up then cosine (SequentialLR), ReduceLROnPlateau
  clipping.json    clip_grad_norm_ and clip_grad_value_
  onnx.json        ONNX's reference cases for its training ops (Adagrad, Adam, Momentum,
                   Nesterov), from Debian's libonnx-testdata (needs python3-onnx; skipped if absent)

Needs Debian's PyTorch (the python3 on PATH may not see it, hence /usr/bin/python3):

    apt-get install -y python3-torch libopenblas0-pthread python3-onnx libonnx-testdata
    export OPENBLAS_CORETYPE=$(grep -q avx512f /proc/cpuinfo && echo SkylakeX || echo Haswell)
    /usr/bin/python3 scripts/make-optim-fixtures.py

The fixtures are committed; the tests never need PyTorch.
"""
import glob
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'optim')
SHAPES = [[3, 4], [5], [2, 3, 2]]
STEPS = 24


def r4(t):
    return torch.round(t * 1e4) / 1e4


def flat(t, digits):
    return [float(('%.' + str(digits) + 'g') % v) for v in t.detach().reshape(-1).tolist()]


def digits_for(dtype):
    # float64: 12 significant digits (tested at 1e-6 relative); float32: 9 (the shortest exact form).
    return 12 if dtype == torch.float64 else 9


def make_inputs():
    """Initial values and a gradient sequence: slow cosines (so signs persist for a while,
    as Rprop and QuickProp want) plus noise, with some exact zeros."""
    gen = torch.Generator().manual_seed(20240611)
    init = [r4(torch.rand(*s, generator=gen, dtype=torch.float64) * 2 - 1) for s in SHAPES]
    amplitude = [0.5, 2.0, 0.05]
    grads = []
    phases = [torch.rand(*s, generator=gen, dtype=torch.float64) * 2 * math.pi for s in SHAPES]
    freqs = [0.2 + 0.6 * torch.rand(*s, generator=gen, dtype=torch.float64) for s in SHAPES]
    for t in range(STEPS):
        step = []
        for k, s in enumerate(SHAPES):
            g = amplitude[k] * (torch.cos(freqs[k] * t + phases[k]) + 0.3 * torch.randn(*s, generator=gen, dtype=torch.float64))
            g = r4(g)
            g.view(-1)[(t * 7 + k) % g.numel()] = 0.0  # an exact zero each step, somewhere
            step.append(g)
        grads.append(step)
    return init, grads


def state_of(opt, params, dtype):
    """The optimiser's per-parameter tensors at the end, by torch's state key."""
    out = {}
    for i, p in enumerate(params):
        st = opt.state[p]
        for key, value in st.items():
            if torch.is_tensor(value) and value.shape == p.shape:
                out.setdefault(key, [None] * len(params))[i] = flat(value, digits_for(dtype))
    return {k: v for k, v in out.items() if all(x is not None for x in v)}


def run_case(name, make_opt, init, grads, dtype, ours, torch_options):
    params = [p.clone().to(dtype).requires_grad_(True) for p in init]
    opt = make_opt(params)
    trajectory = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = g.to(dtype).clone()
        if isinstance(opt, torch.optim.LBFGS):
            opt.step(lambda: torch.tensor(0.0, dtype=dtype))
        else:
            opt.step()
        trajectory.append([flat(p, digits_for(dtype)) for p in params])
    return {
        'name': name,
        'dtype': str(dtype).replace('torch.', ''),
        'torch': torch_options,
        'ours': ours,
        'params': trajectory,
        'state': state_of(opt, params, dtype) if not isinstance(opt, torch.optim.LBFGS) else {},
    }


class NAdam20(torch.optim.Optimizer):
    """torch.optim.NAdam as PyTorch 2.0 computes it (mu_product_next = mu_product * mu_next);
    1.13 multiplies mu_t in twice. Written out from 2.0's _single_tensor_nadam."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in group['params']:
                st = self.state[p]
                if not st:
                    st['step'] = 0
                    st['mu_product'] = 1.0
                    st['exp_avg'] = torch.zeros_like(p)
                    st['exp_avg_sq'] = torch.zeros_like(p)
                grad = p.grad
                if group['weight_decay'] != 0:
                    grad = grad.add(p, alpha=group['weight_decay'])
                st['step'] += 1
                step = st['step']
                bias_correction2 = 1 - beta2 ** step
                mu = beta1 * (1. - 0.5 * (0.96 ** (step * group['momentum_decay'])))
                mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * group['momentum_decay'])))
                st['mu_product'] *= mu
                mu_product_next = st['mu_product'] * mu_next
                st['exp_avg'].mul_(beta1).add_(grad, alpha=1 - beta1)
                st['exp_avg_sq'].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = st['exp_avg_sq'].div(bias_correction2).sqrt().add_(group['eps'])
                p.addcdiv_(grad, denom, value=-group['lr'] * (1. - mu) / (1. - st['mu_product']))
                p.addcdiv_(st['exp_avg'], denom, value=-group['lr'] * mu_next / (1. - mu_product_next))


def optimizer_cases():
    """(name, torch constructor, torch options, our registry name and options)."""
    O = torch.optim
    F = dict(foreach=False)
    return [
        ('sgd', lambda p: O.SGD(p, lr=0.1, **F), 'SGD(lr=0.1)', ('sgd', {'lr': 0.1})),
        ('sgd-momentum', lambda p: O.SGD(p, lr=0.05, momentum=0.9, **F), 'SGD(lr=0.05, momentum=0.9)', ('sgd', {'lr': 0.05, 'momentum': 0.9})),
        ('sgd-dampening', lambda p: O.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, **F), 'SGD(lr=0.05, momentum=0.8, dampening=0.3)',
         ('sgd', {'lr': 0.05, 'momentum': 0.8, 'dampening': 0.3})),
        ('sgd-nesterov', lambda p: O.SGD(p, lr=0.05, momentum=0.9, nesterov=True, **F), 'SGD(lr=0.05, momentum=0.9, nesterov=True)',
         ('nesterov', {'lr': 0.05, 'momentum': 0.9})),
        ('sgd-weight-decay', lambda p: O.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.1, **F), 'SGD(lr=0.05, momentum=0.5, weight_decay=0.1)',
         ('sgd', {'lr': 0.05, 'momentum': 0.5, 'weightDecay': 0.1})),
        ('adagrad', lambda p: O.Adagrad(p, lr=0.1, **F), 'Adagrad(lr=0.1)', ('adagrad', {'lr': 0.1})),
        ('adagrad-options', lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6, **F),
         'Adagrad(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6)',
         ('adagrad', {'lr': 0.1, 'lrDecay': 0.05, 'weightDecay': 0.1, 'initialAccumulatorValue': 0.2, 'eps': 1e-6})),
        ('rmsprop', lambda p: O.RMSprop(p, lr=0.01, **F), 'RMSprop(lr=0.01)', ('rmsprop', {'lr': 0.01})),
        ('rmsprop-centered-momentum', lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.7, centered=True, **F),
         'RMSprop(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.7, centered=True)',
         ('rmsprop', {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-6, 'weightDecay': 0.05, 'momentum': 0.7, 'centered': True})),
        ('adadelta', lambda p: O.Adadelta(p, **F), 'Adadelta()', ('adadelta', {})),
        ('adadelta-options', lambda p: O.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, **F),
         'Adadelta(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)', ('adadelta', {'lr': 0.5, 'rho': 0.8, 'eps': 1e-5, 'weightDecay': 0.1})),
        ('adam', lambda p: O.Adam(p, lr=0.01, **F), 'Adam(lr=0.01)', ('adam', {'lr': 0.01})),
        ('adam-weight-decay', lambda p: O.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, **F),
         'Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)',
         ('adam', {'lr': 0.01, 'beta1': 0.8, 'beta2': 0.99, 'eps': 1e-6, 'weightDecay': 0.1})),
        ('amsgrad', lambda p: O.Adam(p, lr=0.01, betas=(0.9, 0.99), amsgrad=True, **F), 'Adam(lr=0.01, betas=(0.9, 0.99), amsgrad=True)',
         ('amsgrad', {'lr': 0.01, 'beta2': 0.99})),
        ('adamw', lambda p: O.AdamW(p, lr=0.01, weight_decay=0.1, **F), 'AdamW(lr=0.01, weight_decay=0.1)', ('adamw', {'lr': 0.01, 'weightDecay': 0.1})),
        ('adamw-amsgrad', lambda p: O.AdamW(p, lr=0.01, betas=(0.85, 0.98), weight_decay=0.05, amsgrad=True, **F),
         'AdamW(lr=0.01, betas=(0.85, 0.98), weight_decay=0.05, amsgrad=True)',
         ('adamw', {'lr': 0.01, 'beta1': 0.85, 'beta2': 0.98, 'weightDecay': 0.05, 'amsgrad': True})),
        ('adamax', lambda p: O.Adamax(p, lr=0.01, **F), 'Adamax(lr=0.01)', ('adamax', {'lr': 0.01})),
        ('adamax-options', lambda p: O.Adamax(p, lr=0.02, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1, **F),
         'Adamax(lr=0.02, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1)',
         ('adamax', {'lr': 0.02, 'beta1': 0.8, 'beta2': 0.95, 'eps': 1e-4, 'weightDecay': 0.1})),
        ('nadam-1.13', lambda p: O.NAdam(p, lr=0.01, weight_decay=0.05, momentum_decay=0.01, **F),
         'NAdam(lr=0.01, weight_decay=0.05, momentum_decay=0.01) [1.13]',
         ('nadam', {'lr': 0.01, 'weightDecay': 0.05, 'momentumDecay': 0.01, 'pytorch113': True})),
        ('nadam-2.0', lambda p: NAdam20(p, lr=0.01, weight_decay=0.05, momentum_decay=0.01),
         'NAdam(lr=0.01, weight_decay=0.05, momentum_decay=0.01) [2.0 formula]',
         ('nadam', {'lr': 0.01, 'weightDecay': 0.05, 'momentumDecay': 0.01})),
        ('rprop', lambda p: O.Rprop(p, lr=0.01, **F), 'Rprop(lr=0.01)', ('rprop', {'lr': 0.01})),
        ('rprop-options', lambda p: O.Rprop(p, lr=0.05, etas=(0.4, 1.5), step_sizes=(0.01, 0.2), **F),
         'Rprop(lr=0.05, etas=(0.4, 1.5), step_sizes=(0.01, 0.2))',
         ('rprop', {'lr': 0.05, 'etaMinus': 0.4, 'etaPlus': 1.5, 'stepSizeMin': 0.01, 'stepSizeMax': 0.2})),
        ('lbfgs-one-iteration', lambda p: O.LBFGS(p, lr=0.5, max_iter=1, history_size=5),
         'LBFGS(lr=0.5, max_iter=1, history_size=5)', ('lbfgs', {'lr': 0.5, 'maxIter': 1, 'historySize': 5})),
    ]


def optimizers_fixture():
    init, grads = make_inputs()
    cases = []
    for dtype in (torch.float64, torch.float32):
        torch.set_default_dtype(dtype)  # NAdam's mu_product and the step counts follow it
        for name, make, torch_options, (our_name, our_options) in optimizer_cases():
            cases.append(run_case(name, make, init, grads, dtype, {'name': our_name, 'options': our_options}, 'torch.optim.' + torch_options))
    torch.set_default_dtype(torch.float64)
    return {
        'torch': torch.__version__,
        'shapes': SHAPES,
        'steps': STEPS,
        'init': [flat(p, 17) for p in init],
        'grads': [[flat(g, 17) for g in step] for step in grads],
        'cases': cases,
    }


# ---- L-BFGS with closures -------------------------------------------------------------------

def rosenbrock(params):
    """Σ over tensors of the chained Rosenbrock function on the flattened values."""
    total = 0
    for p in params:
        x = p.reshape(-1)
        total = total + (100 * (x[1:] - x[:-1] ** 2) ** 2).sum() + ((1 - x[:-1]) ** 2).sum()
    return total


def quartic(params):
    """Σ over tensors of Σᵢ aᵢ (xᵢ − ½)²/2 + (xᵢ − ½)⁴/4 with aᵢ = 1 + (i mod 3)."""
    total = 0
    for p in params:
        x = p.reshape(-1)
        a = 1 + torch.arange(x.numel(), dtype=x.dtype) % 3
        total = total + (a * (x - 0.5) ** 2 / 2).sum() + ((x - 0.5) ** 4 / 4).sum()
    return total


def lbfgs_fixture():
    init, _ = make_inputs()
    specs = [
        ('rosenbrock-strong-wolfe', 'rosenbrock', dict(lr=1, max_iter=20, history_size=10, line_search_fn='strong_wolfe'),
         {'lr': 1, 'maxIter': 20, 'historySize': 10, 'lineSearch': 'strongWolfe'}, 8),
        ('quartic-fixed-step', 'quartic', dict(lr=0.5, max_iter=5, history_size=4),
         {'lr': 0.5, 'maxIter': 5, 'historySize': 4}, 8),
        ('quartic-strong-wolfe', 'quartic', dict(lr=1, max_iter=4, history_size=3, line_search_fn='strong_wolfe'),
         {'lr': 1, 'maxIter': 4, 'historySize': 3, 'lineSearch': 'strongWolfe'}, 6),
    ]
    cases = []
    for dtype in (torch.float64, torch.float32):
        torch.set_default_dtype(dtype)
        for name, fn, options, ours, steps in specs:
            f = rosenbrock if fn == 'rosenbrock' else quartic
            params = [p.clone().to(dtype).requires_grad_(True) for p in init]
            opt = torch.optim.LBFGS(params, **options)

            def closure():
                opt.zero_grad()
                loss = f(params)
                loss.backward()
                return loss

            trajectory, losses, evals = [], [], []
            for _ in range(steps):
                before = opt.state[params[0]].get('func_evals', 0)
                losses.append(float(opt.step(closure)))
                evals.append(opt.state[params[0]]['func_evals'] - before)
                trajectory.append([flat(p, digits_for(dtype)) for p in params])
            cases.append({
                'name': name, 'function': fn, 'dtype': str(dtype).replace('torch.', ''),
                'torch': 'torch.optim.LBFGS(%s)' % ', '.join('%s=%r' % kv for kv in options.items()),
                'ours': ours, 'params': trajectory, 'losses': losses, 'evaluations': evals,
                'finalLoss': float(f(params)),
            })
    torch.set_default_dtype(torch.float64)
    return {'torch': torch.__version__, 'shapes': SHAPES, 'init': [flat(p, 17) for p in init], 'cases': cases}


# ---- schedules ------------------------------------------------------------------------------

def schedules_fixture():
    S = torch.optim.lr_scheduler
    base = 0.1
    n = 30

    def run(make):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base)
        sched = make(opt)
        lrs = [opt.param_groups[0]['lr']]
        for _ in range(n):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]['lr'])
        return lrs

    cases = [
        ('StepLR(step_size=4, gamma=0.5)', {'kind': 'step', 'stepSize': 4, 'gamma': 0.5}, lambda o: S.StepLR(o, step_size=4, gamma=0.5)),
        ('MultiStepLR(milestones=[5, 12, 20], gamma=0.3)', {'kind': 'multiStep', 'milestones': [5, 12, 20], 'gamma': 0.3},
         lambda o: S.MultiStepLR(o, milestones=[5, 12, 20], gamma=0.3)),
        ('ExponentialLR(gamma=0.9)', {'kind': 'exponential', 'gamma': 0.9}, lambda o: S.ExponentialLR(o, gamma=0.9)),
        ('CosineAnnealingLR(T_max=30, eta_min=0.001)', {'kind': 'cosine', 'totalSteps': 30, 'minLr': 0.001},
         lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
        ('LambdaLR(lambda t: 1 / (1 + 0.5 t))', {'kind': 'inverseTime', 'k': 0.5}, lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.5 * t))),
        ('LambdaLR(lambda t: 1 / sqrt(t + 1))', {'kind': 'inverseSqrt'}, lambda o: S.LambdaLR(o, lambda t: 1 / math.sqrt(t + 1))),
        ('SequentialLR([LinearLR(start_factor=0.25, total_iters=6), CosineAnnealingLR(T_max=24)], milestones=[6])',
         {'kind': 'cosine', 'totalSteps': 30, 'warmupSteps': 6, 'warmupStartFactor': 0.25},
         lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=6), S.CosineAnnealingLR(o, T_max=24)], milestones=[6])),
    ]
    out = [{'torch': name, 'ours': ours, 'lr': base, 'lrs': run(make)} for name, ours, make in cases]

    # ReduceLROnPlateau fed a validation-loss sequence: improvement, plateaus, noise.
    losses = [1.0, 0.8, 0.7, 0.69, 0.695, 0.7, 0.71, 0.68, 0.6799, 0.6798, 0.69, 0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49, 0.5,
              0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    plateau = [
        ({'factor': 0.5, 'patience': 2}, dict(factor=0.5, patience=2)),
        ({'factor': 0.1, 'patience': 1, 'threshold': 0.01, 'cooldown': 2, 'minLr': 0.0005},
         dict(factor=0.1, patience=1, threshold=0.01, cooldown=2, min_lr=0.0005)),
        ({'factor': 0.5, 'patience': 1, 'threshold': 0.005, 'thresholdMode': 'abs', 'mode': 'max'},
         dict(factor=0.5, patience=1, threshold=0.005, threshold_mode='abs', mode='max')),
    ]
    plateau_cases = []
    for ours, options in plateau:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base)
        sched = S.ReduceLROnPlateau(opt, **options)
        lrs = []
        for v in losses:
            opt.step()
            sched.step(v)
            lrs.append(opt.param_groups[0]['lr'])
        plateau_cases.append({'torch': 'ReduceLROnPlateau(%s)' % ', '.join('%s=%r' % kv for kv in options.items()),
                              'ours': ours, 'lr': base, 'metrics': losses, 'lrs': lrs})
    return {'torch': torch.__version__, 'cases': out, 'plateau': plateau_cases}


# ---- clipping -------------------------------------------------------------------------------

def clipping_fixture():
    init, grads = make_inputs()
    cases = []
    for dtype in (torch.float64, torch.float32):
        for step in (0, 5):
            for kind, value in (('norm', 1.0), ('norm', 0.3), ('norm', 100.0), ('value', 0.2), ('value', 5.0)):
                params = [p.clone().to(dtype).requires_grad_(True) for p in init]
                for p, g in zip(params, grads[step]):
                    p.grad = g.to(dtype).clone()
                if kind == 'norm':
                    total = float(torch.nn.utils.clip_grad_norm_(params, value))
                else:
                    torch.nn.utils.clip_grad_value_(params, value)
                    total = None
                cases.append({'kind': kind, 'threshold': value, 'step': step, 'dtype': str(dtype).replace('torch.', ''),
                              'norm': total, 'grads': [flat(p.grad, digits_for(dtype)) for p in params]})
    return {'torch': torch.__version__, 'shapes': SHAPES, 'grads': [[flat(g, 17) for g in step] for step in grads[:6]], 'cases': cases}


# ---- ONNX's training-op reference cases -----------------------------------------------------

def onnx_fixture():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        return None
    base = '/usr/share/libonnx-testdata/data/node'
    names = ['test_adagrad', 'test_adagrad_multiple', 'test_adam', 'test_adam_multiple', 'test_momentum', 'test_momentum_multiple',
             'test_nesterov_momentum']
    cases = []
    for name in names:
        if not os.path.isdir(os.path.join(base, name)):
            continue
        node = onnx.load(os.path.join(base, name, 'model.onnx')).graph.node[0]
        attributes = {}
        for a in node.attribute:
            v = onnx.helper.get_attribute_value(a)
            attributes[a.name] = v.decode() if isinstance(v, bytes) else float(v)

        def read(kind):
            out = []
            for f in sorted(glob.glob(os.path.join(base, name, 'test_data_set_0', kind + '_*.pb')), key=lambda s: int(s.rsplit('_', 1)[1][:-3])):
                t = onnx.TensorProto()
                with open(f, 'rb') as fh:
                    t.ParseFromString(fh.read())
                a = numpy_helper.to_array(t)
                out.append({'shape': list(a.shape), 'data': [float(x) for x in a.reshape(-1).tolist()]})
            return out

        cases.append({'name': name, 'op': node.op_type, 'attributes': attributes, 'inputNames': list(node.input),
                      'outputNames': list(node.output), 'inputs': read('input'), 'outputs': read('output')})
    return {'source': 'Debian libonnx-testdata, data/node', 'cases': cases}


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')
    print('wrote %s (%.1f KB)' % (os.path.relpath(path), os.path.getsize(path) / 1024))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    write('optimizers.json', optimizers_fixture())
    write('lbfgs.json', lbfgs_fixture())
    write('schedules.json', schedules_fixture())
    write('clipping.json', clipping_fixture())
    onnx_cases = onnx_fixture()
    if onnx_cases is not None:
        write('onnx.json', onnx_cases)
    else:
        print('python3-onnx not found: onnx.json left as it is')


if __name__ == '__main__':
    main()
