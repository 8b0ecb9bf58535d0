// The lecture's Keras script, as written there: a 784-500-500-10 sigmoid network trained by
// SGD (η = 0.1) on MNIST-shaped images, then its "choosing the proper loss" comparison — mean
// squared error against cross-entropy behind the softmax output — and the same with dropout.
//
//   npm run build && node dist/examples/keras-lecture.js
//
// The images are the bundled UCI digits (8×8, 0–16) enlarged to 28×28 and scaled to [0, 1], so
// the script runs anywhere; the targets are one-hot rows, as Keras's to_categorical makes.
import { data, nn, optim, setSeed } from '../src/index.js';

export interface LectureOptions {
  /** Units in each hidden layer (the lecture's 500). */
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  /** Use only the first this many training images (default all 1,437). */
  limit?: number;
  seed?: number;
}

export interface LectureResult {
  /** Test accuracy after training with each loss. */
  mse: number;
  crossEntropy: number;
  crossEntropyWithDropout: number;
}

/** MNIST-shaped digits: rows of 784 pixels in [0, 1], one-hot labels, train and test. */
export function mnistShapedDigits(seed = 1): {
  xTrain: number[][];
  yTrain: number[][];
  xTest: number[][];
  yTest: number[][];
} {
  const table = data.loadDigitsRaw();
  const toImage = (row: number) =>
    Array.from({ length: 28 * 28 }, (_, i) => {
      const [r, c] = [Math.floor(i / 28), i % 28];
      return table.features[row * 64 + Math.floor((r * 8) / 28) * 8 + Math.floor((c * 8) / 28)] / 16;
    });
  const oneHot = (label: number) => Array.from({ length: 10 }, (_, c) => (c === label ? 1 : 0));
  setSeed(seed);
  const { train, test } = data.trainTestSplitIndices(table.count, 0.2);
  return {
    xTrain: Array.from(train, toImage),
    yTrain: Array.from(train, (i) => oneHot(table.labels[i])),
    xTest: Array.from(test, toImage),
    yTest: Array.from(test, (i) => oneHot(table.labels[i])),
  };
}

export async function lecture(options: LectureOptions = {}): Promise<LectureResult> {
  const { hidden = 500, epochs = 20, batchSize = 100, seed = 1 } = options;
  const sets = mnistShapedDigits(seed);
  const xTrain = sets.xTrain.slice(0, options.limit);
  const yTrain = sets.yTrain.slice(0, options.limit);
  const { xTest, yTest } = sets;

  const run = async (loss: 'mse' | 'categoricalCrossEntropy', dropout: boolean): Promise<number> => {
    setSeed(seed);
    const model = nn.sequential();
    model.add(nn.dense({ units: hidden, inputDim: 28 * 28, activation: 'sigmoid' }));
    if (dropout) model.add(nn.dropout(0.7)); // Keras's Dropout(0.7): drops 70% of the units
    model.add(nn.dense({ units: hidden, activation: 'sigmoid' }));
    if (dropout) model.add(nn.dropout(0.7));
    model.add(nn.dense({ units: 10, activation: 'softmax' }));
    model.compile({ loss, optimizer: optim.sgd({ lr: 0.1 }), metrics: ['accuracy'] });
    await model.fit(xTrain, yTrain, { batchSize, epochs });
    const score = await model.evaluate(xTest, yTest);
    model.dispose();
    return score.accuracy;
  };
  return {
    mse: await run('mse', false),
    crossEntropy: await run('categoricalCrossEntropy', false),
    crossEntropyWithDropout: await run('categoricalCrossEntropy', true),
  };
}

// Run as a script: the lecture's full configuration.
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await lecture();
  console.log(`test accuracy, mean squared error:      ${(100 * result.mse).toFixed(1)}%`);
  console.log(`test accuracy, cross-entropy:           ${(100 * result.crossEntropy).toFixed(1)}%`);
  console.log(
    `test accuracy, cross-entropy + dropout: ${(100 * result.crossEntropyWithDropout).toFixed(1)}%`,
  );
}
