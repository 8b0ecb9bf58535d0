#!/usr/bin/python3
"""Converts ONNX node test cases into small JSON fixtures under test/fixtures/onnx/.

Source: Debian's libonnx-testdata (the ONNX project's backend node tests: model.onnx with
one node, and test_data_set_0/{input,output}_*.pb TensorProtos). Read with Debian's
python3-onnx:

    apt-get install -y libonnx-testdata python3-onnx
    /usr/bin/python3 scripts/extract-onnx-cases.py            # writes test/fixtures/onnx/*.json
    /usr/bin/python3 scripts/extract-onnx-cases.py --full DIR  # every case uncut, into DIR

Kept: the 2-D Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool,
BatchNormalization and Dropout cases (1-D/3-D, integer and quantised variants are
skipped). The small "precomputed" cases are stored whole. The ten random 3×32×32 pooling
cases would be ~200 KB, so they are cut to channel 0 and the top-left 12×12 corner of the
input, with the outputs whose windows lie inside that corner (padding resolved against the
full size first, so every kept output equals ONNX's value exactly). With --full, the uncut
cases go to DIR; `DESCENT_ONNX_FULL=DIR node scripts/run-tests.mjs ops/onnx` checks them.
"""
import json
import math
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SRC = '/usr/share/libonnx-testdata/data/node'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
OPS = {
    'Conv': 'conv',
    'MaxPool': 'pool',
    'AveragePool': 'pool',
    'GlobalAveragePool': 'pool',
    'GlobalMaxPool': 'pool',
    'BatchNormalization': 'batchnorm',
    'Dropout': 'dropout',
}
SKIP = re.compile(r'integer|transpose|qlinear|unpool|_1d|_3d|uint8')
CROP = 12


def enc(a):
    a = np.asarray(a)
    if a.dtype == np.float32:
        # The shortest decimal that reads back as the same float32.
        data = [float(np.format_float_positional(v, unique=True, trim='-')) for v in a.reshape(-1)]
    elif a.dtype == np.bool_:
        data = [int(v) for v in a.reshape(-1)]
    else:
        data = [int(v) if np.issubdtype(a.dtype, np.integer) else float(v) for v in a.reshape(-1)]
    return {'shape': list(a.shape), 'dtype': str(a.dtype), 'data': data}


def attr_value(a):
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [x.decode() if isinstance(x, bytes) else x for x in v]
    return v


def resolve_pads(attrs, in_hw):
    """ONNX's explicit [top, left, bottom, right] for a pooling node on an input of size in_hw."""
    k = attrs['kernel_shape']
    s = attrs.get('strides', [1, 1])
    d = attrs.get('dilations', [1, 1])
    auto = attrs.get('auto_pad', 'NOTSET')
    if auto in ('SAME_UPPER', 'SAME_LOWER'):
        begin, end = [], []
        for i in range(2):
            out = math.ceil(in_hw[i] / s[i])
            total = max(0, (out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - in_hw[i])
            small, large = total // 2, total - total // 2
            begin.append(small if auto == 'SAME_UPPER' else large)
            end.append(large if auto == 'SAME_UPPER' else small)
        return [begin[0], begin[1], end[0], end[1]]
    if auto == 'VALID':
        return [0, 0, 0, 0]
    return list(attrs.get('pads', [0, 0, 0, 0]))


def crop_pool(attrs, x, y):
    """Channel 0 and the top-left CROP×CROP of x, with the outputs whose windows lie inside it."""
    pads = resolve_pads(attrs, x.shape[2:])
    k = attrs['kernel_shape']
    s = attrs.get('strides', [1, 1])
    d = attrs.get('dilations', [1, 1])
    keep = []
    for i in range(2):
        span = d[i] * (k[i] - 1) + 1
        keep.append((CROP + pads[i] - span) // s[i] + 1)
    attrs = {key: v for key, v in attrs.items() if key != 'auto_pad'}
    attrs['pads'] = pads
    note = (f'cut from x {list(x.shape)} / y {list(y.shape)}: channel 0, input [:{CROP}, :{CROP}], '
            f'output [:{keep[0]}, :{keep[1]}] (pads resolved on the full size)')
    return attrs, x[:1, :1, :CROP, :CROP], y[:1, :1, :keep[0], :keep[1]], note


def load_case(name):
    d = os.path.join(SRC, name)
    model = onnx.load(os.path.join(d, 'model.onnx'))
    node = model.graph.node[0]
    if node.op_type not in OPS:
        return None
    data = os.path.join(d, 'test_data_set_0')
    files = sorted(os.listdir(data))
    inputs = [numpy_helper.to_array(onnx.load_tensor(os.path.join(data, f))) for f in files if f.startswith('input_')]
    outputs = [numpy_helper.to_array(onnx.load_tensor(os.path.join(data, f))) for f in files if f.startswith('output_')]
    return {
        'name': name,
        'op': node.op_type,
        'opset': model.opset_import[0].version,
        'attributes': {a.name: attr_value(a) for a in node.attribute},
        'inputNames': list(node.input),
        'outputNames': list(node.output),
        'inputs': inputs,
        'outputs': outputs,
    }


def to_json(case):
    return {**case, 'inputs': [enc(a) for a in case['inputs']], 'outputs': [enc(a) for a in case['outputs']]}


def main():
    full_dir = None
    if len(sys.argv) == 3 and sys.argv[1] == '--full':
        full_dir = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    if not os.path.isdir(SRC):
        sys.exit(f'{SRC} not found: apt-get install libonnx-testdata')
    groups = {}
    full = {}
    for name in sorted(os.listdir(SRC)):
        if not os.path.exists(os.path.join(SRC, name, 'model.onnx')) or SKIP.search(name):
            continue
        case = load_case(name)
        if case is None:
            continue
        group = OPS[case['op']]
        full.setdefault(group, []).append(to_json(case))
        x = case['inputs'][0]
        if case['op'] in ('MaxPool', 'AveragePool') and x.shape[1] * x.shape[2] * x.shape[3] > 3 * CROP * CROP:
            if len(case['outputs']) > 1:
                continue  # indices of an uncut tensor would not match a cut one
            attrs, xc, yc, note = crop_pool(case['attributes'], x, case['outputs'][0])
            case = {**case, 'attributes': attrs, 'inputs': [xc], 'outputs': [yc], 'cut': note}
        groups.setdefault(group, []).append(to_json(case))
    targets = [(OUT, groups)] + ([(full_dir, full)] if full_dir else [])
    for directory, content in targets:
        os.makedirs(directory, exist_ok=True)
        for group, cases in sorted(content.items()):
            path = os.path.join(directory, f'{group}.json')
            with open(path, 'w') as f:
                json.dump({'source': f'libonnx-testdata {onnx.__version__} ({SRC})',
                           'generator': 'scripts/extract-onnx-cases.py', 'cases': cases}, f, separators=(',', ':'))
                f.write('\n')
            print(f'{os.path.relpath(path)}: {len(cases)} cases, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
