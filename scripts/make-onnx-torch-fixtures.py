#!/usr/bin/python3
"""Models exported by torch.onnx.export, with PyTorch's outputs, for the ONNX importer's tests.

    /usr/bin/python3 scripts/make-onnx-torch-fixtures.py    # writes test/fixtures/onnx-torch/

Needs Debian's python3-torch (and python3-onnx, to check the files). For each model:

    <name>.onnx    the export (dynamic batch dimension; batch norm kept as BatchNormalization)
    <name>.json    a seeded input and PyTorch's outputs in eval mode; for the models that are
                   fine-tuned, the labelled batch, the SGD settings, PyTorch's loss at every step
                   (before its update) and the eval outputs after the steps

Models: an MLP, LeNet-5, a CNN with batch norm (2-D and 1-D, an AvgPool2d whose padding counts,
which torch writes as Pad + AveragePool), and a residual block (a skip connection through Add).
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-torch')


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))) + x)


class SkipNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 6, 3, padding=1)
        self.block = Residual(6)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 10)

    def forward(self, x):
        x = self.block(F.relu(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 10))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def bn_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 12, 3, padding=1), nn.BatchNorm2d(12), nn.LeakyReLU(0.1), nn.AvgPool2d(3, stride=2, padding=1),
        nn.Flatten(), nn.Linear(12 * 3 * 3, 24), nn.BatchNorm1d(24), nn.ReLU(), nn.Linear(24, 10))


# name, constructor, one sample's shape, opset, fine-tuned (SGD steps), SGD learning rate
MODELS = [
    ('mlp', mlp, [1, 8, 8], 13, 6, 0.1),
    ('lenet5', lenet5, [1, 28, 28], 14, 0, 0.0),
    ('bn-cnn', bn_cnn, [1, 12, 12], 14, 6, 0.05),
    ('skip', SkipNet, [1, 10, 10], 13, 6, 0.05),
]


def values(t):
    return [float(np.format_float_positional(v, unique=True, trim='-')) for v in t.detach().numpy().astype(np.float32).reshape(-1)]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make, sample, opset, steps, lr in MODELS:
        torch.manual_seed(20241203)
        model = make()
        # A few training-mode passes move batch norm's running statistics off 0 and 1.
        model.train()
        with torch.no_grad():
            for _ in range(4):
                model(torch.randn(16, *sample))
        model.eval()
        x = torch.randn(3, *sample)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(OUT, f'{name}.onnx')
        torch.onnx.export(
            model, torch.randn(2, *sample), path, opset_version=opset,
            input_names=['input'], output_names=['output'],
            dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}},
            training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
        onnx.checker.check_model(onnx.load(path))
        fixture = {
            'generator': 'scripts/make-onnx-torch-fixtures.py',
            'torch': torch.__version__,
            'opset': opset,
            'ops': sorted({n.op_type for n in onnx.load(path).graph.node}),
            'input': {'shape': list(x.shape), 'data': values(x)},
            'output': {'shape': list(y.shape), 'data': values(y)},
        }
        if steps:
            # Fine-tuning: plain SGD on one labelled batch, in training mode (batch statistics).
            xb = torch.randn(8, *sample)
            labels = torch.randint(0, 10, (8,))
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            model.train()
            losses = []
            for _ in range(steps):
                optimizer.zero_grad()
                loss = F.cross_entropy(model(xb), labels)
                loss.backward()
                optimizer.step()
                losses.append(float(loss))
            model.eval()
            with torch.no_grad():
                after = model(x)
            fixture['finetune'] = {
                'input': {'shape': list(xb.shape), 'data': values(xb)},
                'labels': [int(v) for v in labels],
                'lr': lr,
                'losses': losses,
                'outputAfter': {'shape': list(after.shape), 'data': values(after)},
            }
        with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
            json.dump(fixture, f, separators=(',', ':'))
            f.write('\n')
        print(f'{name}: {os.path.getsize(path)} bytes, ops {fixture["ops"]}')


if __name__ == '__main__':
    main()
