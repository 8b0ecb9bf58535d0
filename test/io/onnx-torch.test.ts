// Models exported by torch.onnx.export (scripts/make-onnx-torch-fixtures.py: an MLP, LeNet-5,
// a CNN with 2-D and 1-D batch norm and a Pad + AveragePool, a residual block through Add),
// imported with io.importOnnx: the same outputs as PyTorch within 1e-5; fine-tuned a few SGD
// steps in descent, the same losses as PyTorch's at every step within 1e-5 (falling), the same
// outputs after; and the fine-tuned graph saves and loads as a descent model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { setBackend } from '../../src/backend/registry.js';
import { importOnnx } from '../../src/io/onnx/index.js';
import { loadModel, saveModel } from '../../src/io/model-io.js';
import { crossEntropy } from '../../src/losses/index.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import { sgd } from '../../src/optim/sgd.js';
import { fromArray } from '../../src/tensor/creation.js';
import { tidy } from '../../src/tensor/scope.js';
import { maxError, predict } from './onnx-helpers.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface Fixture {
  opset: number;
  ops: string[];
  input: Encoded;
  output: Encoded;
  finetune?: { input: Encoded; labels: number[]; lr: number; losses: number[]; outputAfter: Encoded };
}

const dir = new URL('../../../test/fixtures/onnx-torch/', import.meta.url);
const load = (name: string) => ({
  bytes: new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir))),
  fixture: JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Fixture,
});

const TOL = 1e-5;

for (const name of ['mlp', 'lenet5', 'bn-cnn', 'skip']) {
  describe(`torch.onnx.export ${name}`, () => {
    test("imported, it gives PyTorch's outputs", () => {
      setBackend('cpu');
      const { bytes, fixture } = load(name);
      const net = importOnnx(bytes, { source: `${name}.onnx` });
      assert.equal(net.description.opset, fixture.opset);
      assert.deepEqual(
        [...new Set(net.description.nodes.map((n) => n.op))].sort(),
        fixture.ops.filter((o) => o !== 'Constant'),
      );
      const got = predict(net, Float32Array.from(fixture.input.data), fixture.input.shape);
      assert.ok(
        maxError(got, fixture.output.data) <= TOL,
        `differs from PyTorch by ${maxError(got, fixture.output.data)}`,
      );
      net.dispose();
    });

    test('on the wasm backend too (the same ops, another backend): the same outputs', () => {
      setBackend('wasm');
      try {
        const { bytes, fixture } = load(name);
        const net = importOnnx(bytes);
        const got = predict(net, Float32Array.from(fixture.input.data), fixture.input.shape);
        assert.ok(
          maxError(got, fixture.output.data) <= TOL,
          `wasm differs from PyTorch by ${maxError(got, fixture.output.data)}`,
        );
        net.dispose();
      } finally {
        setBackend('cpu');
      }
    });

    const { fixture } = load(name);
    if (!fixture.finetune) return;
    test("fine-tuned with SGD, it follows PyTorch's losses step by step, and saves and loads", async () => {
      setBackend('cpu');
      const { bytes } = load(name);
      const ft = fixture.finetune!;
      const net = importOnnx(bytes, { name: 'tuned' });
      const opt = new Optimizer(sgd({ lr: ft.lr }), net.parameters());
      const x = fromArray(ft.input.data, ft.input.shape);
      const labels = fromArray(Int32Array.from(ft.labels), [ft.labels.length], { dtype: 'int32' });
      const losses: number[] = [];
      for (let step = 0; step < ft.losses.length; step++) {
        tidy(() => {
          opt.zeroGrad();
          const loss = crossEntropy(net.call(x, { training: true }), labels);
          losses.push(loss.item());
          loss.backward();
          opt.step();
        });
      }
      losses.forEach((l, i) =>
        assert.ok(Math.abs(l - ft.losses[i]) <= TOL, `step ${i}: loss ${l}, PyTorch's ${ft.losses[i]}`),
      );
      assert.ok(losses[losses.length - 1] < losses[0], `the loss falls: ${losses.join(', ')}`);
      const after = predict(net, Float32Array.from(fixture.input.data), fixture.input.shape);
      assert.ok(
        maxError(after, ft.outputAfter.data) <= TOL,
        `after fine-tuning: ${maxError(after, ft.outputAfter.data)}`,
      );
      const dirPath = mkdtempSync(join(tmpdir(), 'descent-onnx-torch-'));
      try {
        await saveModel(net, dirPath);
        const loaded = await loadModel(dirPath);
        assert.deepEqual(predict(loaded, Float32Array.from(fixture.input.data), fixture.input.shape), after);
        loaded.dispose();
      } finally {
        rmSync(dirPath, { recursive: true, force: true });
      }
      x.dispose();
      labels.dispose();
      opt.dispose();
      net.dispose();
    });
  });
}
