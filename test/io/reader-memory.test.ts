// Every file reader against its stated memory limit (issue 15, acceptance): fast-check
// builds hostile inputs — gzip bombs, headers promising far more than they hold, deep
// nesting, long lines, random damage — and each case must return or throw a named
// DescentError while process.memoryUsage() (array buffers + JS heap) grows by no more than
// the reader's limit:
//
//   CSV            8 × the text read (≤ maxBytes) + one line + one inflated piece (data/csv.ts)
//   IDX            2 × the size the header declares, capped by the data present (data/idx.ts)
//   safetensors    the file + its tensors (≤ 2 × the file) (io/safetensors-codec.ts)
//   model.json, checkpoint.json, safetensors header: the parsed JSON, depth ≤ 512 (io/json.ts)
//
// The slack of 48 MiB covers garbage the collector has not yet reclaimed and fflate's
// working buffers; the inputs inflate to up to 32 MiB, so a reader holding them whole would show it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import '../../src/autograd/index.js';
import * as io from '../../src/io/index.js';
import { parseCsvBytes } from '../../src/data/csv.js';
import { parseIdx } from '../../src/data/idx.js';
import { DescentError } from '../../src/errors.js';

const MiB = 2 ** 20;
const SLACK = 48 * MiB;

function grown(read: () => unknown, what: string): number {
  const before = process.memoryUsage();
  try {
    read();
  } catch (error) {
    if (!(error instanceof DescentError)) throw new Error(`${what}: ${String(error)}`, { cause: error });
    assert.ok(error.message.length > 0 && error.message.length < 2000, `${what}: ${error.message}`);
  }
  const after = process.memoryUsage();
  return after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
}

/** gzip members of `unit`, `copies` times: small input, copies × unit.length inflated. */
function members(unit: Uint8Array, copies: number): Uint8Array {
  const member = gzipSync(unit, { level: 9 });
  const out = new Uint8Array(member.length * copies);
  for (let i = 0; i < copies; i++) out.set(member, i * member.length);
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

test('CSV: bombs, long lines and damaged gzip stay within 8 × the text read (≤ maxBytes) + slack', () => {
  const shapes = fc.record({
    unit: fc.constantFrom('0,1\n', '1,2,3,0\n', '7'.repeat(999) + '\n', '0', '1e39,2\n', ',,,\n', '\r'),
    copies: fc.integer({ min: 1, max: 8 }),
    maxBytes: fc.constantFrom(MiB, 4 * MiB, 16 * MiB),
    cut: fc.option(fc.nat(), { nil: undefined }),
  });
  fc.assert(
    fc.property(shapes, ({ unit, copies, maxBytes, cut }) => {
      let bytes = members(text(unit.repeat(Math.ceil((4 * MiB) / unit.length))), copies);
      if (cut !== undefined) bytes = bytes.subarray(0, cut % bytes.length);
      const growth = grown(() => parseCsvBytes(bytes, { maxBytes, source: 'fuzz.csv.gz' }), unit.slice(0, 9));
      assert.ok(growth < 8 * maxBytes + SLACK, `${(growth / MiB).toFixed(1)} MiB for maxBytes ${maxBytes}`);
    }),
    { numRuns: 25, seed: 15 },
  );
});

test('IDX: headers promising gigabytes and bombs stay within 2 × the declared size + slack', () => {
  const shapes = fc.record({
    dims: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 3 }),
    type: fc.constantFrom(0x08, 0x0b, 0x0d, 0x0e),
    body: fc.constantFrom(0, 100, 64 * MiB),
    zip: fc.boolean(),
  });
  fc.assert(
    fc.property(shapes, ({ dims, type, body, zip }) => {
      const header = new Uint8Array(4 + 4 * dims.length);
      header[2] = type;
      header[3] = dims.length;
      dims.forEach((d, i) => new DataView(header.buffer).setUint32(4 + 4 * i, d));
      const raw = new Uint8Array(header.length + (zip ? body : Math.min(body, 100)));
      raw.set(header);
      const input = zip ? gzipSync(raw) : raw;
      const declared =
        dims.reduce((a, b) => a * b, 1) * (type === 0x08 ? 1 : type === 0x0b ? 2 : type === 0x0d ? 4 : 8);
      const growth = grown(() => parseIdx(input, 'fuzz.idx'), `dims ${dims.join('×')}`);
      assert.ok(growth < 2 * Math.min(declared, raw.length) + SLACK, `${(growth / MiB).toFixed(1)} MiB`);
    }),
    { numRuns: 60, seed: 16 },
  );
});

test('JSON readers (model.json, checkpoint.json, safetensors header): deep, wide and duplicated stay within 4 × the input + slack', () => {
  const shapes = fc.record({
    depth: fc.integer({ min: 1, max: 200_000 }),
    width: fc.integer({ min: 0, max: 200_000 }),
    duplicate: fc.boolean(),
  });
  fc.assert(
    fc.property(shapes, ({ depth, width, duplicate }) => {
      const deep = '['.repeat(depth) + ']'.repeat(depth);
      const wide = `[${Array.from({ length: width }, (_, i) => i).join(',')}]`;
      const body = `{"format":${deep},"topology":${wide}${duplicate ? ',"format":1' : ''}}`;
      const bytes = text(body);
      const limit = 4 * bytes.length + SLACK;
      for (const [what, read] of [
        ['model.json', () => io.parseModelInfo(bytes, 'model.json')],
        ['checkpoint.json', () => io.parseCheckpointInfo(bytes, 'checkpoint.json')],
        [
          'safetensors',
          () => {
            const file = new Uint8Array(8 + bytes.length);
            new DataView(file.buffer).setBigUint64(0, BigInt(bytes.length), true);
            file.set(bytes, 8);
            return io.decodeSafetensors(file, 'x.safetensors');
          },
        ],
      ] as const) {
        const growth = grown(read, what);
        assert.ok(growth < limit, `${what}: ${(growth / MiB).toFixed(1)} MiB for ${bytes.length} bytes`);
      }
    }),
    { numRuns: 40, seed: 17 },
  );
});
