// ONNX's own test cases for the importer: every model in Debian's libonnx-testdata
// (data/node: one operator each; data/pytorch-converted and data/pytorch-operator: modules and
// operators exported by PyTorch) whose operators descent supports is imported with
// io.importOnnx, run on the case's inputs, and compared with the case's outputs within ONNX's
// backend-test tolerance (rtol 1e-3, atol 1e-7). Cases that use something descent does not run
// (a 3-D window, a subgraph, strings) must fail at import with an OnnxUnsupportedError naming
// the node — and only for a reason listed below. Skips with a message when the data is missing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setBackend } from '../../src/backend/registry.js';
import { noGrad } from '../../src/autograd/tape.js';
import {
  importOnnx,
  readOnnxTensor,
  OnnxUnsupportedError,
  supportedOnnxOps,
} from '../../src/io/onnx/index.js';
import { decodeOnnxModel } from '../../src/io/onnx/proto.js';
import type { HostArray } from '../../src/io/onnx/tensor.js';
import { fromArray } from '../../src/tensor/creation.js';
import { tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const ROOT = process.env.DESCENT_ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'];
const RTOL = 1e-3;
const ATOL = 1e-7;

/** Cases whose data cannot be matched, with the reason. */
const NOT_COMPARABLE: Array<[RegExp, string]> = [
  [
    /^test_(cast|castlike)_.*BFLOAT16/,
    "the data holds bfloat16 values as UINT16 bit patterns (onnx 1.12's generator)",
  ],
  [/^test_training_dropout(?!_zero_ratio)/, "the expected outputs come from ONNX's random mask"],
];

/** What descent does not run, as the importer words it: a case may be refused only for one of these. */
const KNOWN_LIMITS = [
  /a 3-D kernel/,
  /a 3-D input/,
  /select_last_index = 1/,
  /the Indices output|output 1 \('.*'\) is not supported; MaxPool/,
  /element type STRING/,
  /only tensor values are supported/,
  /no subgraphs/,
  /imports no opset of ONNX's default domain/,
];

function feed(h: HostArray): Tensor | HostArray {
  return h.type === 'int' ? h : fromArray(h.data, h.shape, { dtype: h.type });
}

function numbered(files: string[], prefix: string): string[] {
  return files
    .filter((f) => f.startsWith(prefix))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function compare(name: string, got: { shape: number[]; data: ArrayLike<number> }, want: HostArray): void {
  assert.deepEqual(got.shape, want.shape, `${name}: shape`);
  for (let k = 0; k < want.data.length; k++) {
    const a = got.data[k];
    const e = want.data[k];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= ATOL + RTOL * Math.abs(e)))
      assert.fail(`${name}[${k}]: got ${a}, expected ${e} (tolerance ${ATOL} + ${RTOL}·|expected|)`);
  }
}

const missing = !existsSync(join(ROOT, 'node'));
if (missing) {
  test(
    'ONNX test cases: skipped',
    { skip: `${ROOT} not found (apt-get install libonnx-testdata)` },
    () => {},
  );
}

const supported = new Set(supportedOnnxOps());
const refused = new Map<string, number>();
/** Cases with an op type descent does not run: checked together, below, to be refused by name. */
const otherOps: Array<{ name: string; bytes: Uint8Array; op: string }> = [];

for (const suite of missing ? [] : SUITES) {
  const dir = join(ROOT, suite);
  if (!existsSync(dir)) continue;
  describe(`ONNX ${suite} cases`, () => {
    for (const name of readdirSync(dir).sort()) {
      const caseDir = join(dir, name);
      const modelPath = join(caseDir, 'model.onnx');
      if (!existsSync(modelPath)) continue;
      const bytes = readFileSync(modelPath);
      const ops = decodeOnnxModel(bytes, name).graph?.node.map((n) => n.opType) ?? [];
      const other = ops.find((op) => !supported.has(op));
      if (other) {
        otherOps.push({ name, bytes, op: other });
        continue;
      }
      const skip = NOT_COMPARABLE.find(([re]) => re.test(name));
      test(name, { skip: skip?.[1] ?? false }, (t) => {
        setBackend('cpu');
        let graph;
        try {
          graph = importOnnx(bytes, { source: name });
        } catch (error) {
          if (!(error instanceof OnnxUnsupportedError)) throw error;
          const reason = KNOWN_LIMITS.find((re) => re.test(error.message));
          assert.ok(reason, `refused for a reason not listed as a known limit: ${error.message}`);
          assert.ok(error.message.startsWith(`${name}: `), `the error names the file: ${error.message}`);
          refused.set(reason.source, (refused.get(reason.source) ?? 0) + 1);
          t.skip(
            `refused at import, as expected: ${error.message.slice(name.length + 2, name.length + 122)}`,
          );
          return;
        }
        const sets = readdirSync(caseDir).filter((f) => f.startsWith('test_data_set'));
        assert.ok(sets.length > 0, 'the case has data');
        for (const set of sets) {
          const files = readdirSync(join(caseDir, set));
          const read = (f: string) =>
            readOnnxTensor(readFileSync(join(caseDir, set, f)), `${name}/${set}/${f}`);
          const inputs = numbered(files, 'input_').map(read);
          const outputs = numbered(files, 'output_').map(read);
          const given: Record<string, Tensor | HostArray> = {};
          graph.description.inputs.forEach((spec, i) => (given[spec.name] = feed(inputs[i])));
          tidy(() =>
            noGrad(() => {
              const result = graph.run(given);
              graph.description.outputs.forEach((spec, i) => {
                const t = result[spec.name];
                compare(
                  `${name}/${set} ${spec.name}`,
                  { shape: [...t.shape], data: t.dataSync() },
                  outputs[i],
                );
              });
            }),
          );
        }
        graph.dispose();
      });
    }
  });
}

if (!missing) {
  test('ONNX test cases with op types descent does not run are refused, naming the node and op type', () => {
    const counts = new Map<string, number>();
    for (const c of otherOps) {
      assert.throws(
        () => importOnnx(c.bytes, { source: c.name }),
        (e: unknown) =>
          e instanceof OnnxUnsupportedError &&
          e.message.startsWith(`${c.name}: `) &&
          (e.message.includes(`${c.op}): op type '${c.op}' is not supported. Supported: Abs, Add,`) ||
            KNOWN_LIMITS.some((re) => re.test(e.message))),
        c.name,
      );
      counts.set(c.op, (counts.get(c.op) ?? 0) + 1);
    }
    const ops = [...counts].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`);
    const reasons = [...refused].map(([reason, n]) => `  ${String(n).padStart(4)}  ${reason}`);
    process.stdout.write(
      `# ${otherOps.length} cases use op types descent does not run: ${ops.join(', ')}\n` +
        `# refused at import for a known limit:\n${reasons.join('\n')}\n`,
    );
    assert.ok(otherOps.length > 0);
  });
}
