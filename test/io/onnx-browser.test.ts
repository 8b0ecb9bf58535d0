// io.exportOnnx / io.importOnnx in a web page (headless Chromium, when installed): the page
// script (test/browser/onnx-entry.ts) is bundled without Node stubs, so src/io/onnx and
// protobufjs must need nothing from Node; the page writes the same bytes as Node does for the
// same seeded network, and reads Node's file back to Node's predictions.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend } from '../../src/backend/registry.js';
import { exportOnnx } from '../../src/io/onnx/index.js';
import { setSeed } from '../../src/tensor/random.js';
import { browserSuiteMissing, bundle, openPage, type ServedPage } from '../browser/harness.js';
import type { OnnxPage } from '../browser/onnx-entry.js';
import { onnxTestNetwork } from '../browser/onnx-network.js';
import { predict } from './onnx-helpers.js';

const SHAPE = [2, 1, 6, 6];
const INPUT = (() => {
  let s = 99;
  return Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
})();

test('browser onnx: src/io/onnx and the page script bundle for browsers without any Node module', async () => {
  const code = await bundle('onnx-entry.js');
  assert.ok(!/from\s*["']node:/.test(code));
  assert.ok(code.includes('ModelProto'), 'the ONNX schema is in the bundle');
});

const missing = browserSuiteMissing();
if (missing) {
  test('browser onnx in headless Chromium', { skip: `browser onnx test skipped: ${missing}` }, () => {});
} else {
  describe('browser onnx in headless Chromium', () => {
    let served: ServedPage | null = null;
    after(() => served?.close());
    const call = async <K extends keyof OnnxPage>(name: K, ...args: Parameters<OnnxPage[K]>) => {
      served ??= await openPage(await bundle('onnx-entry.js'), 'descent onnx');
      const s = served;
      await s.page.waitForFunction(() => 'descentOnnx' in globalThis, undefined, { timeout: 60_000 });
      try {
        return (await s.page.evaluate(
          ({ name, args }) =>
            (
              globalThis as unknown as { descentOnnx: Record<string, (...a: unknown[]) => unknown> }
            ).descentOnnx[name](...args),
          { name: name as string, args: args as unknown[] },
        )) as Awaited<ReturnType<OnnxPage[K]>>;
      } catch (error) {
        throw new Error(`${String(error)}\npage log:\n${s.log.slice(-10).join('\n')}`, { cause: error });
      }
    };

    test(
      "the page exports the bytes Node exports, and imports Node's file to Node's predictions",
      { timeout: 120_000 },
      async () => {
        setBackend('cpu');
        setSeed(8);
        const net = onnxTestNetwork(INPUT, SHAPE);
        const nodeBytes = await exportOnnx(net);
        const nodePredictions = Array.from(predict(net, Float32Array.from(INPUT), SHAPE));
        const inPage = await call('exportNetwork', 8, INPUT, SHAPE);
        assert.deepEqual(inPage.predictions, nodePredictions);
        assert.equal(inPage.bytes.length, nodeBytes.length);
        assert.deepEqual(Uint8Array.from(inPage.bytes), nodeBytes);
        const read = await call('importAndPredict', Array.from(nodeBytes), INPUT, SHAPE);
        assert.deepEqual(read, nodePredictions);
      },
    );
  });
}
