// Property tests (fast-check) over the ONNX reader, io.importOnnx: ≥ 10,000 malformed inputs —
// random bytes, mutations of valid files (descent's exports and torch.onnx.export's), and
// structurally valid protobuf whose contents lie (unknown ops, wrong attribute types, dims
// that do not match the data, undefined inputs, odd opsets), which are then also run. The
// property: importOnnx returns a graph or throws a DescentError with a message — never another
// exception, never a hang (each input < 1 s) — and what it takes in memory stays within twice
// the input plus the reader's fixed allowance (process.memoryUsage(), heap + external + array
// buffers). Crafted inputs that claim far more than they hold (a million empty nodes, a tensor
// of 2³⁰ values with no data, nesting past the recursion limit) are refused by name, and the
// memory they leave behind, after a garbage collection, is measured exactly.
//
// Seeded (DESCENT_FUZZ_SEED, default 20240607); the run count scales with DESCENT_FUZZ_SCALE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import protobuf from 'protobufjs/light.js';
import '../../src/autograd/index.js';
import { setBackend } from '../../src/backend/registry.js';
import { DescentError, FormatError } from '../../src/errors.js';
import { exportOnnx, importOnnx, OnnxGraph, supportedOnnxOps } from '../../src/io/onnx/index.js';
import { DECODE_ALLOWANCE, encodeOnnxModel } from '../../src/io/onnx/proto.js';
import * as nn from '../../src/nn/index.js';
import { fromArray } from '../../src/tensor/creation.js';
import { setSeed } from '../../src/tensor/random.js';
import { memory, tidy } from '../../src/tensor/scope.js';

const SEED = Number(process.env.DESCENT_FUZZ_SEED ?? 20240607);
const SCALE = Number(process.env.DESCENT_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
};

/** What importing may take beyond the decoder's budget: the layer and its tensors, a few small arrays. */
const IMPORT_SLACK = 2 * 1024 * 1024;

// DESCENT_FUZZ_REPORT=1 prints how often each kind of outcome occurred (to see that the
// generators reach past the first checks).
const REPORT = process.env.DESCENT_FUZZ_REPORT === '1';
const outcomes = new Map<string, number>();
function tally(outcome: string): void {
  if (!REPORT) return;
  const key = outcome.replace(/'.*?'|\[.*?\]|-?\d+(\.\d+)?(e[+-]?\d+)?/g, '…').slice(0, 110);
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}
function report(what: string): void {
  if (!REPORT) return;
  const lines = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`);
  process.stdout.write(`# ${what}: ${outcomes.size} kinds of outcome\n${lines.join('\n')}\n`);
  outcomes.clear();
}

/** A thrown value must be a DescentError with a message. */
function named(error: unknown, what: string): void {
  if (!(error instanceof DescentError)) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
    throw new Error(`${what}: threw ${detail}, not a DescentError`, { cause: error });
  }
  if (!/\S/.test(error.message)) throw new Error(`${what}: a DescentError with an empty message`);
  tally(`${error.name}: ${error.message.replace(/^fuzz\.onnx: |^model\.onnx: /, '')}`);
}

/**
 * Imports `bytes` — measuring what reading takes — and, when it imports and `runIt`, runs the
 * graph (running is a program's semantics, so only errors and time are checked there).
 * Returns whether it imported.
 */
function check(bytes: Uint8Array, what: string, runIt = false): boolean {
  const started = performance.now();
  const before = used();
  const tensorsBefore = memory().numTensors;
  let graph: OnnxGraph | null = null;
  try {
    graph = importOnnx(bytes, { source: 'fuzz.onnx' });
    tally('imported');
  } catch (error) {
    named(error, what);
  }
  const grew = used() - before;
  const limit = 2 * bytes.length + DECODE_ALLOWANCE + IMPORT_SLACK;
  if (grew > limit)
    throw new Error(`${what}: reading took ${grew} bytes for a ${bytes.length}-byte input (limit ${limit})`);
  if (graph && runIt) {
    try {
      runGraph(graph);
      tally('ran');
    } catch (error) {
      named(error, `${what} (running it)`);
    }
  }
  graph?.dispose();
  if (memory().numTensors !== tensorsBefore)
    throw new Error(`${what}: ${memory().numTensors - tensorsBefore} tensors leaked`);
  const ms = performance.now() - started;
  if (ms > 1000) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
  return graph !== null;
}

/** Runs a graph that imported on small inputs of its declared shapes (dynamic dimensions as 2). */
function runGraph(graph: OnnxGraph): void {
  const inputs = graph.description.inputs;
  tidy(() => {
    const given: Record<string, ReturnType<typeof fromArray>> = {};
    for (const spec of inputs) {
      const shape = (spec.shape ?? [2]).map((d) => (typeof d === 'number' ? Math.min(d, 6) : 2));
      const n = shape.reduce((a, b) => a * b, 1);
      given[spec.name] = fromArray(
        Array.from({ length: n }, (_, i) => ((i * 7) % 5) - 2),
        shape,
        { dtype: spec.type === 'int' ? 'int32' : spec.type },
      );
    }
    graph.run(given, { training: false });
    graph.run(given, { training: true });
  });
}

// ---- valid files to start from -------------------------------------------------------------

async function validFiles(): Promise<Uint8Array[]> {
  setSeed(3);
  const small = nn.sequential([
    nn.conv2d({ outChannels: 3, kernelSize: 3, padding: 1, inputShape: [1, 5, 5], activation: 'prelu' }),
    nn.batchNorm2d(3),
    nn.maxPool2d({ kernelSize: 2, ceilMode: true }),
    nn.dropout(0.5),
    nn.flatten(),
    nn.dense({ units: 4, activation: 'step' }),
    nn.dense({ units: 2 }),
    nn.softmax(),
  ]);
  const table = nn.sequential([
    nn.dense({ units: 3, inFeatures: 2, activation: 'elu' }),
    nn.batchNorm1d(3),
    nn.dense({ units: 1 }),
  ]);
  const pool = nn.sequential([
    nn.avgPool2d({ kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    nn.globalAvgPool2d(),
  ]);
  const torch = (name: string): Uint8Array =>
    new Uint8Array(readFileSync(new URL(`../../../test/fixtures/onnx-torch/${name}.onnx`, import.meta.url)));
  return [
    await exportOnnx(small),
    await exportOnnx(table),
    await exportOnnx(pool, { inputShape: [2, 6, 6] }),
    torch('mlp'),
    torch('skip'),
    torch('bn-cnn'),
  ];
}

interface Mutation {
  op: 'flip' | 'set' | 'truncate' | 'insert' | 'delete' | 'duplicate' | 'zero' | 'varint';
  at: number;
  value: number;
  length: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'set', 'truncate', 'insert', 'delete', 'duplicate', 'zero', 'varint'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  length: fc.integer({ min: 1, max: 24 }),
});

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (at < b.length) b[at] ^= 1 << (m.value % 8);
        break;
      case 'set':
        if (at < b.length) b[at] = m.value;
        break;
      case 'zero':
        b.fill(0, at, at + m.length);
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = Uint8Array.from([
          ...b.subarray(0, at),
          ...new Array<number>(m.length).fill(m.value),
          ...b.subarray(at),
        ]);
        break;
      case 'delete':
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.length)]);
        break;
      case 'duplicate':
        b = Uint8Array.from([...b.subarray(0, at + m.length), ...b.subarray(at)]);
        break;
      case 'varint':
        // A long varint (a huge length or value) where a byte was.
        b = Uint8Array.from([
          ...b.subarray(0, at),
          0xff,
          0xff,
          0xff,
          0xff,
          m.value & 0x0f,
          ...b.subarray(at + 1),
        ]);
        break;
    }
  }
  return b;
}

// ---- structurally valid models with lying contents ------------------------------------------

const names = ['x', 'w', 'b', 'c', '', 'y0', 'y1', 'y2', 'out', 'zz'];
const attrNames = [
  'axis',
  'axes',
  'pads',
  'kernel_shape',
  'strides',
  'dilations',
  'alpha',
  'beta',
  'perm',
  'to',
  'mode',
  'value',
  'epsilon',
  'shape',
  'allowzero',
  'group',
  'transA',
  'transB',
  'ratio',
  'keepdims',
  'auto_pad',
  'ceil_mode',
  'count_include_pad',
  'momentum',
  'training_mode',
  'split',
  'starts',
  'ends',
  'unknown',
];
const smallInt = fc.integer({ min: -3, max: 9 });
const tensorProto = fc.record(
  {
    name: fc.constantFrom(...names),
    dims: fc.array(fc.oneof(smallInt, fc.constantFrom(2 ** 31, 2 ** 40, -1)), { maxLength: 4 }),
    dataType: fc.integer({ min: 0, max: 17 }),
    rawData: fc.uint8Array({ maxLength: 48 }),
    floatData: fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 8 }),
    int64Data: fc.array(smallInt, { maxLength: 8 }),
    int32Data: fc.array(smallInt, { maxLength: 8 }),
    dataLocation: fc.constantFrom(0, 0, 0, 1),
  },
  { requiredKeys: ['name', 'dims', 'dataType'] },
);
const attribute = fc.record(
  {
    name: fc.constantFrom(...attrNames),
    type: fc.integer({ min: 0, max: 14 }),
    f: fc.float(),
    i: smallInt,
    s: fc
      .constantFrom('constant', 'reflect', 'edge', 'SAME_UPPER', 'VALID', 'NOTSET', 'bogus')
      .map((t) => new TextEncoder().encode(t)),
    ints: fc.array(smallInt, { maxLength: 6 }),
    floats: fc.array(fc.float(), { maxLength: 4 }),
    t: tensorProto,
  },
  { requiredKeys: ['name'] },
);
const ops = [...supportedOnnxOps(), 'Foo', 'If', 'LSTM'];
const common = [
  'Relu',
  'Add',
  'Mul',
  'Gemm',
  'MatMul',
  'Reshape',
  'Flatten',
  'Transpose',
  'Softmax',
  'Concat',
  'Pad',
  'Slice',
  'Gather',
  'Squeeze',
  'Unsqueeze',
  'Clip',
  'ReduceMean',
  'Shape',
  'Cast',
  'Dropout',
  'BatchNormalization',
  'Conv',
  'MaxPool',
];
const node = fc.record({
  opType: fc.oneof(fc.constantFrom(...ops), fc.constantFrom(...common)),
  input: fc.array(fc.constantFrom(...names), { maxLength: 4 }),
  output: fc.array(fc.constantFrom('y0', 'y1', 'y2', 'out', ''), { maxLength: 3 }),
  attribute: fc.oneof(fc.constant([]), fc.array(attribute, { maxLength: 3 })),
  domain: fc.constantFrom('', '', '', 'ai.onnx', 'com.microsoft'),
});
const dim = fc.oneof(
  fc.record({ dimParam: fc.constantFrom('batch', 'n') }),
  fc.record({ dimValue: fc.integer({ min: 0, max: 5 }) }),
);
const valueInfo = (name: fc.Arbitrary<string>) =>
  fc.record({
    name,
    type: fc.record({
      tensorType: fc.record({
        elemType: fc.constantFrom(1, 1, 1, 7, 11, 8, 0, 99),
        shape: fc.record({ dim: fc.array(dim, { maxLength: 4 }) }),
      }),
    }),
  });
const opset = fc.oneof(
  { weight: 4, arbitrary: fc.constant([{ domain: '', version: 17 }]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record({
        domain: fc.constantFrom('', '', 'ai.onnx', 'x.y'),
        version: fc.integer({ min: -1, max: 30 }),
      }),
      { maxLength: 2 },
    ),
  },
);
/** Anything goes: random wiring, attributes, initialisers and outputs. */
const looseModel = fc.record({
  irVersion: fc.integer({ min: 0, max: 9 }),
  opsetImport: opset,
  graph: fc.record({
    node: fc.array(node, { maxLength: 6 }),
    initializer: fc.array(tensorProto, { maxLength: 3 }),
    input: fc.array(valueInfo(fc.constantFrom('x', 'c', 'w')), { maxLength: 2 }),
    output: fc.array(valueInfo(fc.constantFrom('y0', 'y1', 'out', 'x')), { minLength: 0, maxLength: 2 }),
  }),
});
/** A chain x → y0 → y1 …, each node reading the last value and maybe an initialiser: these import often, then run. */
const chainModel = fc
  .record({
    steps: fc.array(
      fc.record({
        op: fc.constantFrom(...common),
        attribute: fc.oneof(fc.constant([]), fc.array(attribute, { maxLength: 2 })),
        extra: fc.constantFrom('', 'w', 'c'),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    w: fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record({
            dims: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
            values: fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 64, maxLength: 64 }),
          })
          .map(({ dims, values }) => ({
            name: 'w',
            dims,
            dataType: 1,
            floatData: values.slice(
              0,
              dims.reduce((a, b) => a * b, 1),
            ),
          })),
      },
      { weight: 1, arbitrary: tensorProto.map((t) => ({ ...t, name: 'w' })) },
    ),
    c: fc.record({
      dims: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      values: fc.array(smallInt, { minLength: 9, maxLength: 9 }),
    }),
    inputDims: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ steps, w, c, inputDims }) => {
    const cCount = c.dims.reduce((a, b) => a * b, 1);
    return {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        node: steps.map((s, i) => ({
          opType: s.op,
          input: [i === 0 ? 'x' : `y${i - 1}`, ...(s.extra ? [s.extra] : [])],
          output: [`y${i}`],
          attribute: s.attribute,
          domain: '',
        })),
        initializer: [w, { name: 'c', dims: c.dims, dataType: 7, int64Data: c.values.slice(0, cCount) }],
        input: [
          {
            name: 'x',
            type: {
              tensorType: {
                elemType: 1,
                shape: { dim: [{ dimParam: 'batch' }, ...inputDims.map((d) => ({ dimValue: d }))] },
              },
            },
          },
        ],
        output: [{ name: `y${steps.length - 1}`, type: { tensorType: { elemType: 1 } } }],
      },
    };
  });
const modelObject = fc.oneof(looseModel, chainModel);

// ---- the tests ---------------------------------------------------------------------------------

test('importOnnx: random bytes (3,000 inputs) are refused with a named error', () => {
  setBackend('cpu');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      check(bytes, 'random bytes');
    }),
    { seed: SEED, numRuns: runs(3000) },
  );
  report('random bytes');
});

test('importOnnx: mutated valid files (4,000 inputs) import or are refused by name', async () => {
  setBackend('cpu');
  const files = await validFiles();
  for (const f of files) check(f, 'a valid file', true);
  fc.assert(
    fc.property(fc.nat(files.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
      // Reading only: a flipped bit can ask a valid graph for a 10⁸-wide pad, a program's choice.
      check(mutate(files[i], ms), `mutation of file ${i}: ${JSON.stringify(ms)}`);
    }),
    { seed: SEED + 1, numRuns: runs(4000) },
  );
  report('mutations');
});

test('importOnnx: valid protobuf with lying contents (4,000 models) imports, runs or is refused by name', () => {
  setBackend('cpu');
  let imported = 0;
  fc.assert(
    fc.property(modelObject, (model) => {
      const bytes = encodeOnnxModel(model);
      if (check(bytes, `model ${JSON.stringify(model).slice(0, 400)}`, true)) imported++;
    }),
    { seed: SEED + 2, numRuns: runs(4000) },
  );
  report('structured models');
  // The generator reaches past the first checks: some of these graphs import and run.
  assert.ok(imported > runs(4000) / 100, `only ${imported} of the structured models imported`);
});

/** Bytes of a ModelProto whose graph (field 7) holds `graph`. */
function modelWithGraph(graph: Uint8Array, opset = true): Uint8Array {
  const w = protobuf.Writer.create();
  if (opset)
    w.uint32((8 << 3) | 2)
      .fork()
      .uint32((2 << 3) | 0)
      .int64(17)
      .ldelim();
  w.uint32((7 << 3) | 2).bytes(graph);
  return w.finish();
}

/** Memory still held after decoding `bytes` (garbage collected before and after). */
function retained(bytes: Uint8Array): { grew: number; error: unknown } {
  gc();
  const before = used();
  let error: unknown = null;
  let result: unknown = null;
  try {
    result = importOnnx(bytes);
  } catch (e) {
    error = e;
  }
  gc();
  const grew = used() - before;
  (result as OnnxGraph | null)?.dispose();
  return { grew, error };
}

test('importOnnx: crafted inputs that claim more than they hold are refused, within twice their size', () => {
  setBackend('cpu');
  // A million empty nodes (2 bytes each): the message tree would be ~100× the file.
  const empty = new Uint8Array(2_000_000);
  for (let i = 0; i < empty.length; i += 2) empty[i] = 0x0a;
  const cases: Array<[string, Uint8Array, RegExp]> = [
    [
      'a million empty nodes',
      modelWithGraph(empty),
      /byte \d+ of \d+: the file's message tree would take more than twice its size/,
    ],
  ];
  // A tensor that claims 2³⁰ floats and holds none.
  const huge = protobuf.Writer.create();
  huge.uint32((5 << 3) | 2).fork();
  for (const d of [1024, 1024, 1024]) huge.uint32(8).int64(d);
  huge
    .uint32(16)
    .int32(1)
    .uint32((8 << 3) | 2)
    .string('w')
    .ldelim();
  cases.push([
    'a 2³⁰-value initializer without data',
    modelWithGraph(huge.finish()),
    /initializer\[0\] 'w': shape \[1024, 1024, 1024\] needs 1073741824 values, but its float_data holds 0/,
  ]);
  // A length prefix far past the end of the file.
  const long = protobuf.Writer.create();
  long.uint32((7 << 3) | 2).uint32(0x7fffffff);
  cases.push([
    'a length past the end',
    Uint8Array.from([...long.finish(), 1, 2, 3]),
    /not a valid ONNX \(protobuf\) file: reading stopped at byte \d+ of 9 \(a length or value runs past the end/,
  ]);
  // Graphs nested in attributes past protobufjs's recursion limit.
  let nested: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 150; i++) {
    const attr = protobuf.Writer.create()
      .uint32((6 << 3) | 2)
      .bytes(nested)
      .finish();
    const nodeBytes = protobuf.Writer.create()
      .uint32((5 << 3) | 2)
      .bytes(attr)
      .finish();
    nested = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(nodeBytes)
      .finish();
  }
  cases.push([
    'graphs nested 150 deep',
    modelWithGraph(nested),
    /not a valid ONNX \(protobuf\) file: reading stopped at byte \d+.*max depth exceeded/,
  ]);
  // External data: nothing is read outside the bytes given.
  const external = protobuf.Writer.create();
  external
    .uint32((5 << 3) | 2)
    .fork()
    .uint32(8)
    .int64(4)
    .uint32(16)
    .int32(1)
    .uint32((8 << 3) | 2)
    .string('w');
  external
    .uint32((13 << 3) | 2)
    .fork()
    .uint32(10)
    .string('location')
    .uint32(18)
    .string('/etc/passwd')
    .ldelim();
  external
    .uint32(14 << 3)
    .int32(1)
    .ldelim();
  cases.push([
    'external data',
    modelWithGraph(external.finish()),
    /values are in an external file \(location=\/etc\/passwd\); descent reads only the bytes it is given/,
  ]);

  for (const [what, bytes, message] of cases) {
    const { grew, error } = retained(bytes);
    assert.ok(error instanceof FormatError, `${what}: ${String(error)}`);
    assert.match((error as Error).message, message, what);
    assert.ok(
      grew <= 2 * bytes.length + DECODE_ALLOWANCE,
      `${what}: kept ${grew} bytes for a ${bytes.length}-byte input`,
    );
    check(bytes, what);
  }
});

test('importOnnx: a valid file takes at most twice its size to decode (1M float_data values)', () => {
  setBackend('cpu');
  // float_data (packed floats) is the costliest legal encoding: one 8-byte number per 4-byte value.
  const w = protobuf.Writer.create();
  w.uint32((5 << 3) | 2)
    .fork()
    .uint32(8)
    .int64(1_000_000)
    .uint32(16)
    .int32(1)
    .uint32((8 << 3) | 2)
    .string('w');
  w.uint32((4 << 3) | 2).fork();
  for (let i = 0; i < 1_000_000; i++) w.float(i % 7);
  w.ldelim().ldelim();
  const bytes = modelWithGraph(w.finish());
  const { error } = retained(bytes);
  // No node reads 'w', so the graph has no outputs: refused — after decoding all of it, within budget.
  assert.ok(error instanceof FormatError && /the graph has no outputs/.test(error.message), String(error));
});

// ---- the onnxGraph layer in model.json -----------------------------------------------------------

/** Every [path, value] of a JSON tree, for picking a place to damage. */
function places(
  value: unknown,
  path: (string | number)[] = [],
  out: Array<(string | number)[]> = [],
): Array<(string | number)[]> {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => places(v, [...path, i], out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) places(v, [...path, k], out);
  return out;
}

function replaced(value: unknown, path: readonly (string | number)[], by: unknown, remove: boolean): unknown {
  if (path.length === 0) return by;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) }) as Record<
    string | number,
    unknown
  >;
  const [head, ...rest] = path;
  if (rest.length === 0 && remove) {
    if (Array.isArray(copy)) (copy as unknown[]).splice(head as number, 1);
    else delete copy[head];
  } else copy[head] = replaced(copy[head], rest, by, remove);
  return copy;
}

test("decodeModel: an imported graph's model.json, damaged at a random place (2,000 times), loads or is refused by name", async () => {
  setBackend('cpu');
  const { encodeModel, decodeModel } = await import('../../src/io/model-format.js');
  const bytes = new Uint8Array(
    readFileSync(new URL('../../../test/fixtures/onnx-torch/bn-cnn.onnx', import.meta.url)),
  );
  const net = importOnnx(bytes, { name: 'bn' });
  const { json, weights } = await encodeModel(net);
  net.dispose();
  const tree = JSON.parse(json) as Record<string, unknown>;
  const all = places(tree.topology).map((p) => ['topology', ...p]);
  const junk = fc.oneof(
    fc.constantFrom(
      null,
      -1,
      0,
      1.5,
      2 ** 31,
      2 ** 53 + 2,
      'Infinity',
      'NaN',
      '',
      'Conv',
      'tensor',
      [],
      {},
      [1, 2],
      { type: 'int', value: 3 },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  );
  let loaded = 0;
  fc.assert(
    fc.property(fc.nat(all.length - 1), junk, fc.boolean(), (i, value, remove) => {
      const damaged = JSON.stringify(replaced(tree, all[i], value, remove));
      try {
        decodeModel(damaged, weights, { checkIntegrity: false }).layer.dispose();
        loaded++;
      } catch (error) {
        named(
          error,
          `model.json damaged at ${all[i].join('.')} with ${JSON.stringify(value)}${remove ? ' (removed)' : ''}`,
        );
      }
    }),
    { seed: SEED + 3, numRuns: runs(2000) },
  );
  assert.ok(loaded > 0, 'some damage is harmless (a name, a producer string)');
});
