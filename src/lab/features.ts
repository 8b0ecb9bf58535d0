/**
 * What a convolutional network learns: the first layer's filters before and after training,
 * and the feature maps a few test images produce in the first two convolutional layers.
 *
 * The network is the lectures' LeNet (LeCun et al., 1990; `nn.lenet1990`): 4 feature maps of
 * 5×5 tanh stencils, average pooling, 12 maps of 5×5 stencils, average pooling, a dense
 * output layer. On the bundled 8×8 digits both convolutions pad by 2 (8×8 → 8×8 → 4×4 →
 * 4×4 → 2×2); on Fashion-MNIST's 28×28 images they do not (28 → 24 → 12 → 8 → 4), as in
 * the paper. The filters start as noise; after training they are small edge and blob
 * detectors, and each feature map lights up where its filter's pattern occurs in the image.
 *
 * Trained with descent's loop (Adam); the maps are the layers' real outputs (after tanh).
 */
import { noGrad } from '../autograd/tape.js';
import { Dataset } from '../data/dataset.js';
import { loadDigitsRaw } from '../data/digits.js';
import { splitTable } from '../data/sets.js';
import { ConfigError } from '../errors.js';
import type { Conv2d } from '../nn/conv2d.js';
import { glorotUniform } from '../nn/initializers.js';
import { lenet1990 } from '../nn/zoo.js';
import { gather } from '../ops/shape.js';
import { Rng } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { errorRate } from './divergence.js';
import { readParams, writeParams } from './landscape.js';
import { evaluateNet, trainLoop } from './loop.js';

/** One image: height × width values, row-major, top row first. */
export interface Picture {
  height: number;
  width: number;
  values: number[];
}

export interface FeatureExample {
  index: number;
  label: number;
  /** The class's name, where the data set has names. */
  labelName: string;
  predicted: number;
  input: Picture;
  /** The first convolution's maps (after tanh), one per filter, and the second's. */
  maps1: Picture[];
  maps2: Picture[];
}

export interface FeaturesStudy {
  dataName: string;
  imageShape: [number, number, number];
  padding: number;
  epochs: number;
  trainSamples: number;
  /** Training loss (whole training set) after each epoch. */
  epochLoss: number[];
  testAccuracy: number;
  /** First-layer filters [channel 0 only, 5 × 5 each], before and after training. */
  filtersBefore: Picture[];
  filtersAfter: Picture[];
  /** The second layer's filters after training, averaged over their input channels. */
  secondLayer: Picture[];
  examples: FeatureExample[];
}

export interface ImageData {
  train: Dataset;
  test: Dataset;
  numClasses: number;
  name: string;
  classNames?: readonly string[];
}

export interface FeaturesOptions {
  /** Images to train on ([N, 1, H, W], integer labels); default the bundled digits scaled to [0, 1]. */
  data?: ImageData;
  epochs?: number;
  /** Train on at most this many samples (default all). */
  trainLimit?: number;
  /** Test images whose maps are shown (default 4, of different classes). */
  examples?: number;
  lr?: number;
  seed?: number;
}

/** The bundled digits as [N, 1, 8, 8] images in [0, 1], split 80/20 (stratified) with the seed. */
export function digitImages(seed = 1): ImageData {
  const table = loadDigitsRaw();
  const sets = splitTable(table, 'digits', { standardize: false, rng: new Rng(seed) });
  const asImages = (d: Dataset, name: string) => {
    const x = Float32Array.from(d.x.dataSync(), (v) => v / 16);
    return Dataset.fromArrays(x, [1, 8, 8], Int32Array.from(d.y.dataSync()), { numClasses: 10, name });
  };
  try {
    return {
      train: asImages(sets.train, 'digits 8×8 (train)'),
      test: asImages(sets.test, 'digits 8×8 (test)'),
      numClasses: 10,
      name: 'the bundled 8×8 digits',
    };
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
}

/** Splits [C, H, W] values into C pictures. */
function pictures(values: ArrayLike<number>, channels: number, height: number, width: number): Picture[] {
  return Array.from({ length: channels }, (_, c) => ({
    height,
    width,
    values: Array.from({ length: height * width }, (_, i) => values[c * height * width + i]),
  }));
}

function firstFilters(conv: Conv2d): Picture[] {
  const [out, , kh, kw] = conv.weight.shape;
  const w = conv.weight.dataSync();
  const inC = conv.weight.shape[1];
  return Array.from({ length: out }, (_, o) => ({
    height: kh,
    width: kw,
    values: Array.from({ length: kh * kw }, (_, i) => w[o * inC * kh * kw + i]),
  }));
}

/**
 * Redraws every weight tensor (rank ≥ 2: dense [out, in], convolution [out, in, kH, kW]) with
 * Glorot-uniform values from `rng` — the zoo's own initialiser and fans — leaving biases as they are.
 */
function redrawWeights(params: readonly Tensor[], rng: Rng): void {
  const values = readParams(params);
  params.forEach((p, i) => {
    if (p.rank < 2) return;
    const area = p.shape.slice(2).reduce((a, b) => a * b, 1);
    const drawn = tidy(() =>
      Float64Array.from(
        glorotUniform()(p.shape, { fanIn: p.shape[1] * area, fanOut: p.shape[0] * area, rng }).dataSync(),
      ),
    );
    values[i] = drawn;
  });
  writeParams(params, values);
}

/** Trains LeNet-1990 and reads its filters and feature maps; see the file comment. */
export function featuresStudy(options: FeaturesOptions = {}): FeaturesStudy {
  const seed = options.seed ?? 1;
  const owned = options.data ? null : digitImages(seed);
  const data = options.data ?? owned!;
  const shape = data.train.x.shape;
  if (shape.length !== 4 || shape[1] !== 1)
    throw new ConfigError(
      `featuresStudy: needs single-channel images shaped [N, 1, H, W], got [${shape.join(', ')}] (${data.name}).`,
    );
  const [, , height, width] = shape;
  const padding = Math.min(height, width) < 28 ? 2 : 0;
  const limit = Math.min(options.trainLimit ?? data.train.length, data.train.length);
  const train =
    limit < data.train.length
      ? data.train.subset(
          Int32Array.from({ length: limit }, (_, i) => i),
          `${limit} images of ${data.train.name}`,
        )
      : data.train;
  const epochs = options.epochs ?? 15;
  const net = lenet1990({ inputShape: [1, height, width], numClasses: data.numClasses, padding });
  // The zoo draws from the global generator: redraw the weights from the experiment's own.
  redrawWeights(net.parameters(), new Rng(seed));
  const conv1 = net.layers[0] as Conv2d;
  const conv2 = net.layers[2] as Conv2d;
  try {
    const filtersBefore = firstFilters(conv1);
    const epochLoss: number[] = [];
    trainLoop({
      net,
      data: train,
      optimizer: 'adam',
      lr: options.lr ?? 0.01,
      batchSize: 32,
      epochs,
      rng: new Rng(seed + 1),
      onEpochEnd: () => epochLoss.push(evaluateNet(net, train).loss),
    });
    const testAccuracy = 1 - errorRate(net, data.test);
    // Examples: the first test images of different classes.
    const labels = data.test.y.dataSync();
    const wanted = options.examples ?? 4;
    const chosen: number[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < data.test.length && chosen.length < wanted; i++) {
      if (seen.has(labels[i])) continue;
      seen.add(labels[i]);
      chosen.push(i);
    }
    const examples = tidy(() =>
      noGrad(() => {
        const x = gather(data.test.x, Int32Array.from(chosen));
        const a1 = conv1.call(x, { training: false });
        const a2 = conv2.call(net.layers[1].call(a1, { training: false }), { training: false });
        const logits = net.call(x, { training: false }).dataSync();
        const [, c1, h1, w1] = a1.shape;
        const [, c2, h2, w2] = a2.shape;
        const v0 = x.dataSync();
        const v1 = a1.dataSync();
        const v2 = a2.dataSync();
        const k = data.numClasses;
        return chosen.map((index, e) => {
          let predicted = 0;
          for (let j = 1; j < k; j++) if (logits[e * k + j] > logits[e * k + predicted]) predicted = j;
          return {
            index,
            label: labels[index],
            labelName: data.classNames?.[labels[index]] ?? String(labels[index]),
            predicted,
            input: pictures(v0.subarray(e * height * width, (e + 1) * height * width), 1, height, width)[0],
            maps1: pictures(v1.subarray(e * c1 * h1 * w1, (e + 1) * c1 * h1 * w1), c1, h1, w1),
            maps2: pictures(v2.subarray(e * c2 * h2 * w2, (e + 1) * c2 * h2 * w2), c2, h2, w2),
          };
        });
      }),
    );
    const [o2, i2, kh, kw] = conv2.weight.shape;
    const w2 = conv2.weight.dataSync();
    const secondLayer = Array.from({ length: o2 }, (_, o) => ({
      height: kh,
      width: kw,
      values: Array.from({ length: kh * kw }, (_, p) => {
        let s = 0;
        for (let c = 0; c < i2; c++) s += w2[(o * i2 + c) * kh * kw + p];
        return s / i2;
      }),
    }));
    return {
      dataName: data.name,
      imageShape: [1, height, width],
      padding,
      epochs,
      trainSamples: train.length,
      epochLoss,
      testAccuracy,
      filtersBefore,
      filtersAfter: firstFilters(conv1),
      secondLayer,
      examples,
    };
  } finally {
    net.dispose();
    if (train !== data.train) train.dispose();
    if (owned) {
      owned.train.dispose();
      owned.test.dispose();
    }
  }
}
