// `descent export MODEL_DIR --onnx OUT.onnx` and `descent import MODEL.onnx OUT_DIR`: a model
// trained by `descent train --save` (an MLP on digits, and LeNet-5's shapes on images) exports
// to a file onnxruntime runs to the saved model's predictions; importing it gives a model
// folder that loads to the same predictions. Bad arguments are ConfigErrors naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/autograd/index.js';
import { runExport } from '../../src/cli/export.js';
import { runImport } from '../../src/cli/import.js';
import { runTrain, type TrainFlags } from '../../src/cli/train.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/io/model-io.js';
import * as nn from '../../src/nn/index.js';
import { Rng, setSeed } from '../../src/tensor/random.js';
import { captured } from '../helpers/stdout.js';
import { maxError, ortRun, ortSession, predict, uniformInput } from './onnx-helpers.js';

const trainFlags: TrainFlags = {
  data: 'digits',
  hidden: '24',
  activation: 'tanh',
  optimizer: 'sgd',
  lr: '0.1',
  batchSize: '32',
  epochs: '2',
  seed: '2',
  testFraction: '0.2',
  json: true,
};

test('descent export --onnx: a trained model runs in onnxruntime to its predictions; descent import reads it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-onnx-cli-'));
  try {
    await captured(() => runTrain({ ...trainFlags, save: join(dir, 'model') }));
    const file = join(dir, 'digits.onnx');
    const { value, out } = await captured(() => runExport(join(dir, 'model'), { onnx: file }));
    assert.match(
      out,
      /^wrote .*digits\.onnx \(\d+ bytes, ONNX opset 17, 3 nodes\): input 'input' \[batch, 64\] → output 'output' \[batch, 10\]/,
    );
    assert.match(out, /trained on standardised inputs/);
    assert.deepEqual(value.input, { name: 'input', shape: ['batch', 64] });

    const saved = await loadModel(join(dir, 'model'));
    const x = uniformInput(new Rng(1), 5 * 64);
    const want = predict(saved, x, [5, 64]);
    const got = await ortRun(await ortSession(new Uint8Array(readFileSync(file))), x, [5, 64]);
    assert.ok(maxError(got, want) <= 1e-5, `onnxruntime differs by ${maxError(got, want)}`);

    const imported = await captured(() => runImport(file, join(dir, 'imported'), {}));
    assert.match(
      imported.out,
      /^imported .*digits\.onnx \(descent [\d.]+, opset 17\): 3 nodes, 1810 trainable parameters; 'input' \[batch, 64\] → 'output' \[batch, 10\]; saved to /,
    );
    const back = await loadModel(join(dir, 'imported'));
    assert.deepEqual(predict(back, x, [5, 64]), want);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('descent export: --input-shape for a model that did not record one; bad arguments name themselves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-onnx-cli-'));
  try {
    setSeed(4);
    const cnn = nn.sequential([
      nn.conv2d({ outChannels: 2, kernelSize: 3 }),
      nn.flatten(),
      nn.dense({ units: 3 }),
    ]);
    cnn.buildFor([1, 1, 6, 6]);
    await saveModel(cnn, join(dir, 'cnn'));
    await assert.rejects(
      runExport(join(dir, 'cnn'), { onnx: join(dir, 'a.onnx') }),
      (e: unknown) => e instanceof ConfigError && /pass \{ inputShape/.test(e.message),
    );
    const { value } = await captured(() =>
      runExport(join(dir, 'cnn'), { onnx: join(dir, 'a.onnx'), inputShape: '1,6,6', json: true }),
    );
    assert.deepEqual(value.output, { name: 'output', shape: ['batch', 3] });
    await assert.rejects(
      runExport(join(dir, 'cnn'), { onnx: join(dir, 'b.onnx'), inputShape: '1,x' }),
      /--input-shape must be one sample's dimensions/,
    );
    await assert.rejects(runExport(join(dir, 'cnn'), {}), /say what to write, e.g. --onnx model.onnx/);
    await assert.rejects(
      runImport(join(dir, 'cnn', 'model.json'), join(dir, 'c'), {}),
      /expected an \.onnx file/,
    );
    await assert.rejects(runImport(join(dir, 'none.onnx'), join(dir, 'c'), {}), /cannot open the ONNX model/);
    // Not an ONNX file: the error names the file and the byte where reading stopped.
    const garbage = join(dir, 'weights.onnx');
    writeFileSync(garbage, readFileSync(join(dir, 'cnn', 'weights.safetensors')));
    await assert.rejects(
      runImport(garbage, join(dir, 'c'), {}),
      (e: unknown) =>
        e instanceof FormatError && e.message.startsWith(`${garbage}: `) && /byte \d+/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
