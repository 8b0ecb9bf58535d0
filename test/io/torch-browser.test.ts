// io.exportTorch and io.loadStateDictFromBytes in a web page (headless Chromium, when
// installed): the page script (test/io/torch-entry.ts) is bundled without Node stubs, so
// src/io/torch and src/io/state-dict.ts must need nothing from Node; the page writes the
// model.py and state_dict bytes Node writes for the same seeded network, and loads another
// network's state_dict to Node's predictions.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend } from '../../src/backend/registry.js';
import { encodeStateDict, loadStateDictFromBytes } from '../../src/io/state-dict.js';
import { exportTorch } from '../../src/io/torch/index.js';
import { setSeed } from '../../src/tensor/random.js';
import { browserSuiteMissing, bundle, openPage, type ServedPage } from '../browser/harness.js';
import { onnxTestNetwork } from '../browser/onnx-network.js';
import { predict } from './onnx-helpers.js';
import type { TorchPage } from './torch-entry.js';

const SHAPE = [2, 1, 6, 6];
const INPUT = (() => {
  let s = 7;
  return Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
})();
const ENTRY = '../io/torch-entry.js';

test('browser torch: src/io/torch, src/io/state-dict and the page script bundle without any Node module', async () => {
  const code = await bundle(ENTRY);
  assert.ok(!/from\s*["']node:/.test(code));
  assert.ok(code.includes('DistributedDataParallel'), 'train_ddp.py is in the bundle');
});

const missing = browserSuiteMissing();
if (missing) {
  test('browser torch in headless Chromium', { skip: `browser torch test skipped: ${missing}` }, () => {});
} else {
  describe('browser torch in headless Chromium', () => {
    let served: ServedPage | null = null;
    after(() => served?.close());
    const call = async <K extends keyof TorchPage>(name: K, ...args: Parameters<TorchPage[K]>) => {
      served ??= await openPage(await bundle(ENTRY), 'descent torch');
      const s = served;
      await s.page.waitForFunction(() => 'descentTorch' in globalThis, undefined, { timeout: 60_000 });
      try {
        return (await s.page.evaluate(
          ({ name, args }) =>
            (
              globalThis as unknown as { descentTorch: Record<string, (...a: unknown[]) => unknown> }
            ).descentTorch[name](...args),
          { name: name as string, args: args as unknown[] },
        )) as Awaited<ReturnType<TorchPage[K]>>;
      } catch (error) {
        throw new Error(`${String(error)}\npage log:\n${s.log.slice(-10).join('\n')}`, { cause: error });
      }
    };

    test(
      "the page writes Node's model.py and state_dict, and loads Node's state_dict to Node's predictions",
      { timeout: 120_000 },
      async () => {
        setBackend('cpu');
        setSeed(4);
        const files = await exportTorch(onnxTestNetwork(INPUT, SHAPE));
        const inPage = await call('exportNetwork', 4, INPUT, SHAPE);
        assert.equal(inPage.modelPy, files['model.py']);
        assert.deepEqual(Uint8Array.from(inPage.stateDict), files['state_dict.safetensors']);
        // Another seed's weights, loaded over the seed-4 network in the page and in Node.
        setSeed(5);
        const other = await encodeStateDict(onnxTestNetwork(INPUT, SHAPE));
        setSeed(4);
        const net = onnxTestNetwork(INPUT, SHAPE);
        const own = Array.from(predict(net, Float32Array.from(INPUT), SHAPE));
        loadStateDictFromBytes(net, other);
        const want = Array.from(predict(net, Float32Array.from(INPUT), SHAPE));
        assert.notDeepEqual(want, own, 'the loaded weights change the predictions');
        assert.deepEqual(await call('loadAndPredict', 4, Array.from(other), INPUT, SHAPE), want);
      },
    );
  });
}
