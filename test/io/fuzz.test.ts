// Property tests (fast-check) over the readers of untrusted files: the safetensors reader,
// the model.json reader (with the layer rebuilding and weight matching behind it) and the
// checkpoint.json reader. Each gets ≥ 10,000 malformed inputs — random bytes, random JSON,
// mutations of valid files, and structured headers/topologies with wrong types, ranges,
// kinds and offsets. The property: the reader returns or throws a DescentError subclass —
// never another exception, never a hang (each input < 1 s), never output larger than the
// input, and no tensor leaked.
//
// Runs are seeded (DESCENT_FUZZ_SEED, default 20240607) so a failure reproduces; the run
// count scales with DESCENT_FUZZ_SCALE (default 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import { DescentError } from '../../src/errors.js';
import { activationNames } from '../../src/nn/activations.js';
import { memory } from '../../src/tensor/scope.js';
import { setSeed } from '../../src/tensor/random.js';

const SEED = Number(process.env.DESCENT_FUZZ_SEED ?? 20240607);
const SCALE = Number(process.env.DESCENT_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

// DESCENT_FUZZ_REPORT=1 prints, per reader, how often each kind of outcome occurred (to see
// that the generators reach deep into the readers, not only their first checks).
const REPORT = process.env.DESCENT_FUZZ_REPORT === '1';
const outcomes = new Map<string, Map<string, number>>();

function tally(what: string, outcome: string): void {
  if (!REPORT) return;
  const key = outcome.replace(/got .*|".*?"|'.*?'|0x[0-9a-f]+|-?[\d.]+(e[+-]?\d+)?/g, '…').slice(0, 100);
  const m = outcomes.get(what) ?? new Map<string, number>();
  outcomes.set(what, m.set(key, (m.get(key) ?? 0) + 1));
}

function report(what: string): void {
  const m = outcomes.get(what);
  if (!m) return;
  const lines = [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`);
  process.stdout.write(`# ${what}: ${m.size} kinds of outcome\n${lines.join('\n')}\n`);
}

/** Runs `read` and checks the property; returns what it returned (or null). */
function check<T>(read: () => T, what: string): T | null {
  const started = performance.now();
  let result: T | null = null;
  try {
    result = read();
    tally(what, 'read successfully');
  } catch (error) {
    if (!(error instanceof DescentError)) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`${what}: threw ${detail}, not a DescentError`, { cause: error });
    }
    if (!/\S/.test(error.message))
      throw new Error(`${what}: a DescentError with an empty message`, { cause: error });
    tally(what, `${error.name}: ${error.message.replace(/^[^:]*: /, '')}`);
  }
  const ms = performance.now() - started;
  if (ms > 1000) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
  return result;
}

// ---- mutations of valid files --------------------------------------------------------------

interface Mutation {
  op: 'flip' | 'set' | 'truncate' | 'insert' | 'delete' | 'duplicate' | 'zero';
  at: number;
  value: number;
  length: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'set', 'truncate', 'insert', 'delete', 'duplicate', 'zero'),
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
        b = Uint8Array.from([...b.subarray(0, at), ...new Array(m.length).fill(m.value), ...b.subarray(at)]);
        break;
      case 'delete':
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.length)]);
        break;
      case 'duplicate':
        b = Uint8Array.from([...b.subarray(0, at + m.length), ...b.subarray(at)]);
        break;
    }
  }
  return b;
}

/** Header length field + header bytes + data. */
function withLength(
  header: Uint8Array,
  data: Uint8Array,
  length: bigint = BigInt(header.length),
): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length, true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

// ---- safetensors ----------------------------------------------------------------------------

const validSafetensors = [
  io.encodeSafetensors(
    [
      ['w', { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['b', { dtype: 'float64', shape: [2], data: Float64Array.from([-1, 1]) }],
      ['i', { dtype: 'int32', shape: [], data: Int32Array.from([9]) }],
      ['e', { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) }],
    ],
    { format: 'pt', k: 'v' },
  ),
  io.encodeSafetensors([['x', { dtype: 'float32', shape: [1], data: Float32Array.from([0.5]) }]]),
  io.encodeSafetensors([]),
];

const oddNumber = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -0, 0.5, 1e-320),
  fc.double(),
);
const jsonish = fc.oneof(oddNumber, fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 8 }));
const tensorInfo = fc.record(
  {
    dtype: fc.oneof(
      fc.constantFrom('F32', 'F64', 'I32', 'F16', 'BF16', 'I64', 'BOOL', '', 'f32', 'toString', '__proto__'),
      jsonish,
    ),
    shape: fc.oneof(fc.array(oddNumber, { maxLength: 4 }), fc.array(fc.nat(6), { maxLength: 3 }), jsonish),
    data_offsets: fc.oneof(fc.tuple(fc.nat(80), fc.nat(80)), fc.array(oddNumber, { maxLength: 3 }), jsonish),
  },
  { requiredKeys: [] },
);
const headerObject = fc.dictionary(
  fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('__metadata__', '__proto__', 'constructor', 'hasOwnProperty'),
  ),
  fc.oneof(
    { weight: 4, arbitrary: tensorInfo },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), jsonish, { maxKeys: 3 }) },
    { weight: 1, arbitrary: jsonish },
  ),
  { maxKeys: 5 },
);
const lengthField = (actual: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(BigInt(actual)) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
    { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }).map((d) => BigInt(Math.max(0, actual + d))) },
  );

const WIDTH: Record<string, number> = { F32: 4, F64: 8, I32: 4 };

/** Valid-looking headers with consistent offsets, then a few small lies (offsets, dims, dtypes, data length). */
const nearlyValid = fc
  .record({
    tensors: fc.array(
      fc.record({
        name: fc.string({ maxLength: 3 }),
        dtype: fc.constantFrom('F32', 'F64', 'I32'),
        shape: fc.array(fc.nat(4), { maxLength: 3 }),
      }),
      { maxLength: 4 },
    ),
    lies: fc.array(
      fc.record({
        index: fc.nat(),
        field: fc.constantFrom('begin', 'end', 'dim', 'dtype', 'dropDim', 'addDim', 'swap'),
        delta: fc.integer({ min: -9, max: 9 }),
      }),
      { maxLength: 2 },
    ),
    extra: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -6, max: 6 }) },
    ),
  })
  .map(({ tensors, lies, extra }) => {
    let offset = 0;
    const entries = tensors.map((t) => {
      const bytes = t.shape.reduce((p, d) => p * d, 1) * WIDTH[t.dtype];
      const e = { name: t.name, dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
      offset += bytes;
      return e;
    });
    for (const lie of lies) {
      const e = entries[lie.index % Math.max(1, entries.length)];
      if (!e) break;
      if (lie.field === 'begin') e.data_offsets[0] = Math.max(0, e.data_offsets[0] + lie.delta);
      if (lie.field === 'end') e.data_offsets[1] = Math.max(0, e.data_offsets[1] + lie.delta);
      if (lie.field === 'dim' && e.shape.length > 0) e.shape[0] = Math.max(0, e.shape[0] + lie.delta);
      if (lie.field === 'dtype') e.dtype = e.dtype === 'F64' ? 'F32' : 'F64';
      if (lie.field === 'dropDim') e.shape.pop();
      if (lie.field === 'addDim') e.shape.push(Math.abs(lie.delta));
      if (lie.field === 'swap' && entries.length > 1) {
        const other = entries[(lie.index + 1) % entries.length];
        [e.data_offsets, other.data_offsets] = [other.data_offsets, e.data_offsets];
      }
    }
    const header = Object.fromEntries(
      entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape, data_offsets: e.data_offsets }]),
    );
    return withLength(
      Buffer.from(JSON.stringify(header)),
      new Uint8Array(Math.max(0, offset + extra)).map((_, i) => i * 37),
    );
  });

function readsSafetensors(bytes: Uint8Array): boolean {
  const result = check(() => io.decodeSafetensors(bytes, 'fuzz.safetensors'), 'decodeSafetensors');
  if (result) {
    let total = 0;
    for (const t of result.tensors.values()) total += t.data.byteLength;
    if (total > bytes.length)
      throw new Error(`decodeSafetensors: ${total} bytes of tensors from a ${bytes.length}-byte file`);
  }
  return true;
}

test('fuzz: the safetensors reader, ≥ 10,000 malformed inputs', () => {
  let count = 0;
  const property = <T>(arb: fc.Arbitrary<T>, toBytes: (v: T) => Uint8Array, numRuns: number) => {
    fc.assert(
      fc.property(arb, (v) => {
        count++;
        return readsSafetensors(toBytes(v));
      }),
      { numRuns, seed: SEED + count },
    );
  };
  // Random bytes, short and long.
  property(fc.uint8Array({ maxLength: 300 }), (b) => b, runs(1000));
  // Consistent headers with small lies.
  property(nearlyValid, (b) => b, runs(2500));
  // Random bytes behind a plausible length field.
  property(
    fc.tuple(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 40 })),
    ([h, d]) => withLength(h, d),
    runs(1000),
  );
  // Arbitrary JSON as the header.
  property(
    fc.tuple(fc.jsonValue(), fc.uint8Array({ maxLength: 40 })),
    ([j, d]) => withLength(Buffer.from(JSON.stringify(j) ?? ''), d),
    runs(1500),
  );
  // Structured headers: wrong dtypes, shapes, offsets, metadata; data of any length; lying length fields.
  property(
    fc.tuple(headerObject, fc.uint8Array({ maxLength: 96 })).chain(([h, d]) => {
      const header = Buffer.from(JSON.stringify(h));
      return fc.tuple(fc.constant(header), fc.constant(d), lengthField(header.length));
    }),
    ([h, d, n]) => withLength(h, d, n),
    runs(2500),
  );
  // Mutations of valid files.
  property(
    fc.tuple(fc.constantFrom(...validSafetensors), fc.array(mutation, { minLength: 1, maxLength: 4 })),
    ([file, ms]) => mutate(file, ms),
    runs(3000),
  );
  assert.ok(count >= runs(10_000), `${count} inputs`);
  report('decodeSafetensors');
});

// ---- model.json -----------------------------------------------------------------------------

setSeed(1);
const referenceNet = nn.sequential(
  [
    nn.dense({ units: 3, inFeatures: 2, activation: 'tanh' }),
    nn.relu(),
    nn.prelu(),
    nn.dense({ units: 2, useBias: false }),
  ],
  'mlp',
);
const reference = await io.encodeModel(referenceNet);
referenceNet.dispose();
const referenceJson = Buffer.from(reference.json);
const referenceInfo = JSON.parse(reference.json) as Record<string, unknown>;

const kinds = [...io.layerKinds(), 'conv2d', 'dropout', 'batchNorm1d', ''];
const smallInt = fc.oneof(
  fc.integer({ min: -1, max: 4 }),
  fc.constantFrom(2, 3, 1e6, 2 ** 31, 1e15, 2 ** 53, 1.5, -0),
);
const configValue = fc.oneof({ weight: 3, arbitrary: smallInt }, { weight: 1, arbitrary: jsonish });

const layerArb = fc.letrec<{ layer: unknown; config: unknown }>((tie) => ({
  layer: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record(
      {
        kind: fc.oneof(
          { weight: 5, arbitrary: fc.constantFrom(...kinds) },
          { weight: 1, arbitrary: jsonish },
        ),
        name: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom('dense_1', 'dense_2', 'relu_1', 'prelu_1', 'x', '', 'a.b'),
          },
          { weight: 1, arbitrary: jsonish },
        ),
        config: fc.oneof({ weight: 5, arbitrary: tie('config') }, { weight: 1, arbitrary: jsonish }),
      },
      { requiredKeys: [] },
    ),
    jsonish,
  ),
  config: fc.record(
    {
      units: configValue,
      inFeatures: configValue,
      activation: fc.oneof(fc.constantFrom(...activationNames, 'gelu'), jsonish),
      useBias: fc.oneof(fc.boolean(), jsonish),
      alpha: fc.oneof(fc.double(), jsonish),
      alphaPer: fc.oneof(fc.constantFrom('channel', 'shared', 'row'), jsonish),
      init: fc.oneof(fc.double(), jsonish),
      layers: fc.oneof(
        { weight: 4, arbitrary: fc.array(tie('layer'), { maxLength: 4 }) },
        { weight: 1, arbitrary: jsonish },
      ),
    },
    { requiredKeys: [] },
  ),
})).layer;

const envelope = fc.record(
  {
    format: fc.oneof(
      { weight: 8, arbitrary: fc.constant('descent-model') },
      { weight: 1, arbitrary: jsonish },
    ),
    formatVersion: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: jsonish }),
    descentVersion: fc.oneof(fc.constant('0.1.0'), jsonish),
    topology: layerArb,
    inputShape: fc.oneof(fc.array(smallInt, { maxLength: 3 }), jsonish),
    weights: fc.oneof(
      { weight: 8, arbitrary: fc.constant({ file: 'weights.safetensors' }) },
      { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('file', 'bytes', 'sha256'), jsonish) },
    ),
    state: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), jsonish, { maxKeys: 2 }), jsonish),
    metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), jsonish, { maxKeys: 2 }), jsonish),
  },
  { requiredKeys: ['format', 'formatVersion', 'topology', 'weights'] },
);

type Path = ReadonlyArray<string | number>;

/** Every path into a JSON value (each object key and array index, at every depth). */
function allPaths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value as Record<string, unknown>);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...allPaths(v, [...prefix, k])]);
}

/** A copy of `value` with the value at `path` replaced (or, with `remove`, deleted). */
function replaceAt(value: unknown, path: Path, replacement: unknown, remove = false): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON value being edited
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const [key, ...rest] = path;
  if (rest.length === 0 && remove) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1);
    else delete copy[key];
  } else {
    copy[key] = rest.length === 0 ? replacement : replaceAt(copy[key], rest, replacement, remove);
  }
  return copy;
}

/** One value anywhere in `valid` replaced by `values`, or deleted. */
const edits = (valid: unknown, values: fc.Arbitrary<unknown>) =>
  fc
    .tuple(fc.constantFrom(...allPaths(valid)), values, fc.boolean(), fc.nat(9))
    .map(([path, v, remove, n]) => replaceAt(valid, path, v, remove && n === 0));

function readsModel(json: Uint8Array | string): boolean {
  const result = check(
    () => io.decodeModel(json, reference.weights, { source: 'fuzz', checkIntegrity: false }),
    'decodeModel',
  );
  result?.layer.dispose();
  const alone = check(() => io.layerFromModelJson(json, 'fuzz/model.json', 1e5), 'layerFromModelJson');
  alone?.layer.dispose();
  return true;
}

test('fuzz: the model.json reader (and layer rebuilding, weight matching), ≥ 10,000 malformed inputs', () => {
  const live = memory().numTensors;
  let count = 0;
  const property = <T>(arb: fc.Arbitrary<T>, toJson: (v: T) => Uint8Array | string, numRuns: number) => {
    fc.assert(
      fc.property(arb, (v) => {
        count++;
        return readsModel(toJson(v));
      }),
      { numRuns, seed: SEED + 7 * count },
    );
  };
  property(fc.uint8Array({ maxLength: 200 }), (b) => b, runs(1000));
  property(fc.jsonValue(), (j) => JSON.stringify(j) ?? '', runs(1000));
  // Structured descriptions with wrong kinds, names, configs and nesting.
  property(envelope, (e) => JSON.stringify(e), runs(3500));
  // One value anywhere in a valid model.json replaced by something else.
  property(
    edits(referenceInfo, fc.oneof(configValue, layerArb, fc.constant(undefined))),
    (e) => JSON.stringify(e) ?? '',
    runs(2500),
  );
  // Byte mutations of the valid model.json.
  property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => mutate(referenceJson, ms), runs(2000));
  assert.ok(count >= runs(10_000), `${count} inputs`);
  assert.equal(memory().numTensors, live, 'tensors leaked by failed loads');
  report('decodeModel');
  report('layerFromModelJson');
});

test('fuzz: the checkpoint.json reader, mutations of a valid description', async () => {
  const info = {
    format: 'descent-checkpoint',
    formatVersion: 3,
    descentVersion: '0.1.0',
    epoch: 2,
    step: 10,
    states: {
      loop: { epoch: 2, step: 10 },
      history: { epochs: [0, 1], history: { loss: [0.5, { $number: 'NaN' }] } },
      shuffleRng: { words: [1, -2, 3, 4], spareNormal: { $number: 'NaN' } },
      optimizer: { steps: 10, lrScale: 1, state: [{ count: 10 }, { $tensor: 0 }] },
    },
    files: Object.fromEntries(
      ['model.json', 'weights.safetensors', 'state.safetensors'].map((f) => [
        f,
        { bytes: 1, sha256: 'a'.repeat(64) },
      ]),
    ),
    metadata: {},
  };
  assert.equal(io.parseCheckpointInfo(Buffer.from(JSON.stringify(info)), 'c').step, 10);
  const bytes = Buffer.from(JSON.stringify(info));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => mutate(bytes, ms)),
        edits(info, fc.oneof(jsonish, fc.constant(undefined))).map((e) =>
          Buffer.from(JSON.stringify(e) ?? ''),
        ),
      ),
      (b) => {
        check(() => io.parseCheckpointInfo(b, 'fuzz/checkpoint.json'), 'parseCheckpointInfo');
        return true;
      },
    ),
    { numRuns: runs(3000), seed: SEED },
  );
  report('parseCheckpointInfo');
});
