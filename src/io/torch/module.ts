/**
 * A descent model as the source of a PyTorch nn.Module (model.py), built so that its
 * state_dict keys are io.saveStateDict's (io/state-dict.ts) and its outputs descent's:
 *
 *   sequential     nn.Sequential of the children, in order (index i is descent's layer i)
 *   dense          Dense(nn.Linear) with the activation inside (one index, as in descent)
 *   conv2d         Conv2d(nn.Conv2d), likewise; uneven 'same' padding as an F.pad before it
 *   maxPool2d      nn.MaxPool2d (padding, dilation, ceil_mode: descent's are PyTorch's)
 *   avgPool2d      nn.AvgPool2d (count_include_pad, ceil_mode)
 *   globalAvgPool2d  GlobalAvgPool2d (a mean over H and W)
 *   batch norm     nn.BatchNorm1d / nn.BatchNorm2d (eps; momentum is PyTorch's convention in both)
 *   dropout        nn.Dropout (inverted); ScaleAtTestDropout for mode 'scaleAtTest'
 *   flatten        nn.Flatten
 *   activations    nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.ELU, nn.Softplus, nn.PReLU,
 *                  nn.Softmax / nn.LogSoftmax (dim −1), nn.Identity (linear), Step
 *
 * Shapes are followed from the input shape, as in the ONNX export, to resolve padding.
 */
import { ConfigError } from '../../errors.js';
import { Activation, PRelu } from '../../nn/activations.js';
import { BatchNorm } from '../../nn/batchnorm.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Dense } from '../../nn/dense.js';
import { Dropout } from '../../nn/dropout.js';
import { Flatten } from '../../nn/flatten.js';
import type { Layer } from '../../nn/layer.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../../nn/pool.js';
import { Sequential } from '../../nn/sequential.js';
import { window2d, type Padding } from '../../ops/conv.js';
import { descentVersion } from '../json.js';
import { PYTHON_RUNTIME } from './python.js';

interface Emitted {
  /** A Python expression that constructs the module. */
  code: string;
  /** The output shape (batch dimension 1). */
  shape: number[];
}

/** A number as Python source (finite numbers only: descent's configs hold no others). */
const num = (v: number) => (Number.isInteger(v) ? String(v) : String(v));
const bool = (v: boolean) => (v ? 'True' : 'False');
const tuple = (a: number, b: number) => `(${a}, ${b})`;

function unsupported(layer: Layer, path: string, why?: string): ConfigError {
  return new ConfigError(
    `exportTorch: layer '${path || layer.label}' (${layer.kind}) ${why ?? 'has no PyTorch counterpart here'}; ` +
      'the export knows sequential, dense, conv2d, maxPool2d, avgPool2d, globalAvgPool2d, batchNorm1d/2d, dropout, flatten ' +
      'and every activation (incl. prelu and step).',
  );
}

function activationCode(layer: Layer, path: string): string {
  if (layer instanceof PRelu) return `nn.PReLU(num_parameters=${layer.alpha.size}, init=${num(layer.init)})`;
  if (!(layer instanceof Activation)) throw unsupported(layer, path);
  switch (layer.kind) {
    case 'linear':
      return 'nn.Identity()';
    case 'step':
      return 'Step()';
    case 'sigmoid':
      return 'nn.Sigmoid()';
    case 'tanh':
      return 'nn.Tanh()';
    case 'relu':
      return 'nn.ReLU()';
    case 'softplus':
      return 'nn.Softplus()';
    case 'leakyRelu':
      return `nn.LeakyReLU(negative_slope=${num(layer.alpha ?? 0.01)})`;
    case 'elu':
      return `nn.ELU(alpha=${num(layer.alpha ?? 1)})`;
    case 'softmax':
      return 'nn.Softmax(dim=-1)';
    case 'logSoftmax':
      return 'nn.LogSoftmax(dim=-1)';
  }
  throw unsupported(layer, path);
}

interface WindowConfig {
  kernelSize?: [number, number];
  stride: number | [number, number];
  padding: Padding;
  dilation: number | [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function emit(layer: Layer, path: string, shape: number[], indent: string): Emitted {
  const where = `exportTorch: layer '${path || layer.label}' (${layer.kind})`;
  if (layer instanceof Sequential) {
    let s = shape;
    const children = layer.layers.map((child, i) => {
      const e = emit(child, path ? `${path}.${i}` : String(i), s, `${indent}    `);
      s = e.shape;
      return `${indent}    ${e.code},  # ${i}: ${child.label} (${child.kind})`;
    });
    return { code: `nn.Sequential(\n${children.join('\n')}\n${indent})`, shape: s };
  }
  const activation = (l: Dense | Conv2d) => {
    const act = l.children()[0];
    return act ? `, activation=${activationCode(act, `${path}.activation`)}` : '';
  };
  if (layer instanceof Dense) {
    const [out, inFeatures] = layer.weight.shape;
    return {
      code: `Dense(${inFeatures}, ${out}, bias=${bool(layer.bias !== null)}${activation(layer)})`,
      shape: layer.outputShape(shape),
    };
  }
  if (layer instanceof Conv2d) {
    const c = layer.config() as unknown as WindowConfig;
    const g = window2d(where, shape, layer.kernelSize, c);
    const even = g.padTop === g.padBottom && g.padLeft === g.padRight;
    const [out, inPerGroup] = layer.weight.shape;
    const padding = even ? tuple(g.padTop, g.padLeft) : '0';
    const pad = even ? '' : `, pad=(${g.padLeft}, ${g.padRight}, ${g.padTop}, ${g.padBottom})`;
    return {
      code:
        `Conv2d(${inPerGroup * layer.groups}, ${out}, kernel_size=${tuple(g.kH, g.kW)}, stride=${tuple(g.strideH, g.strideW)}, ` +
        `padding=${padding}, dilation=${tuple(g.dilationH, g.dilationW)}, groups=${layer.groups}, bias=${bool(layer.bias !== null)}` +
        `${activation(layer)}${pad})`,
      shape: layer.outputShape(shape),
    };
  }
  if (layer instanceof MaxPool2d || layer instanceof AvgPool2d) {
    const c = layer.config() as unknown as WindowConfig;
    const g = window2d(where, shape, layer.kernelSize, c);
    if (g.padTop !== g.padBottom || g.padLeft !== g.padRight)
      throw unsupported(
        layer,
        path,
        `pads unevenly ([${g.padTop}, ${g.padLeft}, ${g.padBottom}, ${g.padRight}]), which PyTorch's pooling cannot`,
      );
    if (2 * g.padTop > g.kH || 2 * g.padLeft > g.kW)
      throw unsupported(layer, path, 'pads by more than half its kernel, which PyTorch refuses');
    const common = `kernel_size=${tuple(g.kH, g.kW)}, stride=${tuple(g.strideH, g.strideW)}, padding=${tuple(g.padTop, g.padLeft)}`;
    const ceil = `ceil_mode=${bool(c.ceilMode ?? false)}`;
    if (layer instanceof MaxPool2d)
      return {
        code: `nn.MaxPool2d(${common}, dilation=${tuple(g.dilationH, g.dilationW)}, ${ceil})`,
        shape: layer.outputShape(shape),
      };
    if (g.dilationH !== 1 || g.dilationW !== 1)
      throw unsupported(layer, path, 'is dilated, and nn.AvgPool2d has no dilation');
    return {
      code: `nn.AvgPool2d(${common}, ${ceil}, count_include_pad=${bool(c.countIncludePad !== false)})`,
      shape: layer.outputShape(shape),
    };
  }
  if (layer instanceof GlobalAvgPool2d)
    return { code: `GlobalAvgPool2d(keepdim=${bool(layer.keepDims)})`, shape: layer.outputShape(shape) };
  if (layer instanceof BatchNorm) {
    const cls = layer.kind === 'batchNorm2d' ? 'nn.BatchNorm2d' : 'nn.BatchNorm1d';
    return {
      code: `${cls}(${layer.numFeatures}, eps=${num(layer.eps)}, momentum=${num(layer.momentum)}, affine=${bool(layer.affine)})`,
      shape,
    };
  }
  if (layer instanceof Dropout)
    return {
      code:
        layer.mode === 'scaleAtTest'
          ? `ScaleAtTestDropout(${num(layer.rate)})`
          : `nn.Dropout(p=${num(layer.rate)})`,
      shape,
    };
  if (layer instanceof Flatten) return { code: 'nn.Flatten()', shape: layer.outputShape(shape) };
  if (layer instanceof Activation || layer instanceof PRelu)
    return { code: activationCode(layer, path), shape };
  throw unsupported(layer, path);
}

export interface TorchModuleSource {
  /** The whole model.py. */
  source: string;
  /** The output shape for one sample (batch dimension 1). */
  outputShape: number[];
}

/**
 * model.py for a built model taking `inputShape` ([1, ...one sample]): the runtime classes,
 * INPUT_SHAPE and build_model().
 */
export function torchModuleSource(net: Layer, inputShape: readonly number[]): TorchModuleSource {
  const { code, shape } = emit(net, '', [...inputShape], '    ');
  const sample = inputShape.slice(1);
  const source = `"""descent model '${net.label}' as a PyTorch nn.Module, written by descent ${descentVersion()} (descent export --torch).

    from model import build_model, load_safetensors
    net = build_model()
    net.load_state_dict(load_safetensors("state_dict.safetensors"))
    net.eval()
    y = net(x)      # x: float32 [batch, ${sample.join(', ')}]  ->  y: [batch, ${shape.slice(1).join(', ')}]

Its state_dict keys are descent's PyTorch names (io.saveStateDict / io.loadStateDict read and
write them), so a state_dict saved with save_safetensors(net.state_dict(), path) loads back
into descent with \`descent import path --into MODEL_DIR OUT_DIR\`. Needs nothing but torch.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

# One sample's shape (without the batch dimension), as descent's model takes it.
INPUT_SHAPE = [${sample.join(', ')}]
${PYTHON_RUNTIME}

def build_model():
    """The nn.Module equal to descent's '${net.label}' (initial weights are PyTorch's: load the state_dict)."""
    return ${code}


if __name__ == "__main__":
    net = build_model()
    here = os.path.dirname(os.path.abspath(__file__))
    net.load_state_dict(load_safetensors(os.path.join(here, "state_dict.safetensors")))
    print(net)
`;
  return { source, outputShape: shape };
}
