/**
 * One training run of the trainer: the data, the network and the Model, trained by the
 * library's own fit with a callback that reports every epoch and holds the run at the
 * epoch's end while it is paused. It runs wherever it is made — in the page's Web Worker
 * (web/src/worker.ts), on the main thread, or in Node for the tests — and only ever hands
 * out plain numbers and typed arrays.
 */
import { fromArray, io, lab, noGrad, Rng, setSeed, tidy, train, type Tensor } from 'descent';
import { prepareData, type CsvSource, type PreparedData } from './datasets.js';
import { buildNetwork, buildTrainerOptimizer, type Network } from './network.js';
import type { TrainerState } from './state.js';

/** The side of the grid on which the decision boundary and the neurons' outputs are drawn. */
export const GRID = 48;

export interface LayerView {
  name: string;
  inputs: number;
  units: number;
  /** weight[u * inputs + i]: from input i to unit u. */
  weight: Float32Array;
  bias: Float32Array;
  /** Each unit's output over the grid, GRID² values per unit (planar data only). */
  neurons: Float32Array | null;
  histogram: { lo: number; hi: number; counts: number[] };
}

export interface Snapshot {
  epoch: number;
  step: number;
  /** The learning rate in effect (schedule × any scale). */
  lr: number;
  /** The epoch's logs: loss, accuracy, valLoss, valAccuracy, gradNorm/<layer>, deadRelu/<layer>. */
  logs: Record<string, number>;
  /** The output over the grid: P(class 1), the winning class, or (sine) the curve's GRID values. */
  boundary: Float32Array | null;
  /** Null in the light reports between full ones (the page redraws the network a few times a second). */
  layers: LayerView[] | null;
  done: boolean;
}

/** A snapshot with the network in it (what the page draws). */
export type DrawnSnapshot = Omit<Snapshot, 'layers'> & { layers: LayerView[] };

/** The least time between two full snapshots while playing. */
const FULL_EVERY_MS = 200;

export interface DataView {
  name: string;
  task: 'classification' | 'regression';
  numClasses: number;
  planar: boolean;
  rawDims: number;
  inputs: string[];
  window: PreparedData['window'];
  train: { raw: Float32Array; y: Int32Array | Float32Array };
  test: { raw: Float32Array; y: Int32Array | Float32Array };
}

type Mode = 'paused' | 'playing' | 'stepping' | 'stopped';

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class TrainingSession {
  readonly data: PreparedData;
  readonly network: Network;
  readonly model: train.Model;
  private readonly schedule: (step: number) => number;
  private mode: Mode = 'paused';
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private step = 0;
  private epoch = 0;
  private lastLogs: Record<string, number> = {};
  /** Parameter snapshots at each epoch's end (the first is the initial one), for the landscape. */
  readonly path: lab.ParamVector[] = [];
  private gridInputs: Tensor | null = null;
  private lastFull = 0;

  constructor(
    readonly state: TrainerState,
    csv: CsvSource | null,
    private readonly report: (snapshot: Snapshot) => void,
    private readonly fail: (error: unknown) => void = () => undefined,
  ) {
    this.data = prepareData(state, csv);
    setSeed(state.seed);
    const outputs = this.data.task === 'regression' ? 1 : this.data.numClasses;
    this.network = buildNetwork(state, this.data.inputs.length, outputs);
    this.network.net.buildFor([1, this.data.inputs.length]);
    const { transform, schedule } = buildTrainerOptimizer(state);
    this.schedule = schedule;
    this.model = new train.Model(this.network.net);
    this.model.compile({
      optimizer: transform,
      lr: state.lr,
      loss: this.data.task === 'regression' ? ('mse' as const) : ('crossEntropy' as const),
      metrics: this.data.task === 'regression' ? [] : ['accuracy'],
    });
    if (this.data.planar) this.gridInputs = this.makeGrid();
    this.path.push(lab.readParams(this.network.net.parameters()));
  }

  /** Plain copies of the data for drawing. */
  dataView(): DataView {
    const d = this.data;
    return {
      name: d.name,
      task: d.task,
      numClasses: d.numClasses,
      planar: d.planar,
      rawDims: d.rawDims,
      inputs: d.inputs,
      window: d.window,
      train: { raw: d.train.raw, y: d.train.y },
      test: { raw: d.test.raw, y: d.test.y },
    };
  }

  get epochs(): number {
    return this.epoch;
  }

  play(): void {
    this.go('playing');
  }

  /** One epoch, then pause. */
  stepOnce(): void {
    this.go('stepping');
  }

  pause(): void {
    if (this.mode === 'playing') this.mode = 'paused';
  }

  /** Ends the run (at the next epoch's end); the session is disposed once fit returns. */
  async stop(): Promise<void> {
    this.mode = 'stopped';
    this.wake?.();
    await this.running?.catch(() => undefined);
    this.gridInputs?.dispose();
    this.gridInputs = null;
    this.model.dispose();
  }

  /** Resolves when the run has stopped (epochs done, early stopping, or stop()). */
  finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private go(mode: Mode): void {
    if (this.mode === 'stopped') return;
    this.mode = mode;
    if (this.wake) this.wake();
    else if (!this.running && this.epoch < this.state.epochs) this.running = this.fit();
  }

  private async fit(): Promise<void> {
    const callbacks: train.Callback[] = [
      {
        onBatchEnd: (info) => {
          this.step = info.step;
        },
        onEpochEnd: async (info, control) => {
          this.epoch = info.epoch + 1;
          this.lastLogs = info.logs;
          this.path.push(lab.readParams(control.net.parameters()));
          const done = this.epoch >= this.state.epochs;
          const full = done || this.mode !== 'playing' || performance.now() - this.lastFull >= FULL_EVERY_MS;
          this.report(this.snapshot(done, full));
          await yieldToEvents();
          if (this.mode === 'stepping') this.mode = 'paused';
          while (this.mode === 'paused') await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          if (this.mode === 'stopped') control.stop();
        },
      },
    ];
    if (this.state.patience > 0)
      callbacks.push(train.earlyStopping({ patience: this.state.patience, monitor: 'valLoss' }));
    const fullBatch = this.state.batchSize <= 0 || this.state.batchSize >= this.data.train.n;
    try {
      await this.model.fit(this.data.trainSet, {
        epochs: this.state.epochs,
        batchSize: fullBatch ? this.data.train.n : Math.round(this.state.batchSize),
        validationData: this.data.testSet,
        rng: new Rng(this.state.seed + 1),
        callbacks,
        diagnose: true,
        logEvery: 1_000_000,
      });
      // Early stopping ended it before the last epoch: say that the run is over.
      if (this.mode !== 'stopped' && this.epoch < this.state.epochs) this.report(this.snapshot(true));
    } catch (error) {
      if (this.mode !== 'stopped') this.fail(error);
    }
  }

  private makeGrid(): Tensor {
    const { x, y } = this.data.window;
    const regression = this.data.task === 'regression';
    const n = regression ? GRID : GRID * GRID;
    const raw = new Float32Array(n * this.data.rawDims);
    for (let j = 0; j < (regression ? 1 : GRID); j++)
      for (let i = 0; i < GRID; i++) {
        const k = j * GRID + i;
        raw[k * this.data.rawDims] = x[0] + ((i + 0.5) * (x[1] - x[0])) / GRID;
        // Row 0 at the top of the picture (y = y₁).
        if (!regression) raw[k * 2 + 1] = y[1] - ((j + 0.5) * (y[1] - y[0])) / GRID;
      }
    const inputs = this.data.featurize(raw, n);
    return fromArray(inputs, [n, this.data.inputs.length], { dtype: 'float32' });
  }

  /** What the page draws now: weights, each neuron over the grid, the boundary, the logs. */
  snapshot(done = false, full = true): Snapshot {
    const scale = this.model.optimizer?.lrScale ?? 1;
    const light = {
      epoch: this.epoch,
      step: this.step,
      lr: this.schedule(this.step) * scale,
      logs: { ...this.lastLogs },
      done,
    };
    if (!full) return { ...light, boundary: null, layers: null };
    this.lastFull = performance.now();
    const { net, dense, taps } = this.network;
    const neurons: (Float32Array | null)[] = dense.map(() => null);
    let boundary: Float32Array | null = null;
    if (this.gridInputs) {
      const grid = this.gridInputs;
      tidy(() =>
        noGrad(() => {
          let h = grid;
          net.layers.forEach((layer, index) => {
            h = layer.call(h, { training: false });
            const tap = taps.indexOf(index);
            if (tap >= 0) neurons[tap] = transpose(h.dataSync() as Float32Array, h.shape[0], h.shape[1]);
          });
          boundary = this.boundaryFrom(h.dataSync() as Float32Array, h.shape[1]);
        }),
      );
    }
    const layers: LayerView[] = dense.map((layer, k) => {
      const weight = Float32Array.from(layer.weight.dataSync());
      return {
        name: layer.name,
        inputs: layer.weight.shape[1],
        units: layer.weight.shape[0],
        weight,
        bias: layer.bias ? Float32Array.from(layer.bias.dataSync()) : new Float32Array(layer.units),
        neurons: neurons[k],
        histogram: histogram(weight, 24),
      };
    });
    return { ...light, boundary, layers };
  }

  private boundaryFrom(out: Float32Array, width: number): Float32Array {
    const n = out.length / width;
    const result = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      if (width === 1) {
        result[k] = out[k];
        continue;
      }
      let best = 0;
      let max = -Infinity;
      for (let c = 0; c < width; c++) {
        if (out[k * width + c] > max) {
          max = out[k * width + c];
          best = c;
        }
      }
      if (width === 2) {
        // P(class 1) by the softmax of the two logits.
        result[k] = 1 / (1 + Math.exp(out[k * 2] - out[k * 2 + 1]));
      } else result[k] = best;
    }
    return result;
  }

  /** Sets one weight (the page's click on a link): layer k, from input i to unit u. */
  setWeight(k: number, u: number, i: number, value: number): void {
    const layer = this.network.dense[k];
    if (!layer) throw new Error(`setWeight: no layer ${k}.`);
    const values = lab.readParams([layer.weight]);
    values[0][u * layer.weight.shape[1] + i] = value;
    lab.writeParams([layer.weight], values);
  }

  /** The model in descent's format: model.json's text and the safetensors bytes. */
  async exportModel(): Promise<{ json: string; weights: Uint8Array }> {
    const d = this.data;
    const s = this.state;
    // The record descent evaluate and predict read (as descent train --save writes it), and the
    // playground's own settings.
    const metadata = {
      seed: s.seed,
      data: {
        name: d.name,
        testFraction: 1 - Math.min(90, Math.max(10, s.ratio)) / 100,
        task: d.task,
        numFeatures: d.inputs.length,
        numClasses: d.numClasses,
        standardizer: d.rawInputs ? d.standardizer : null,
      },
      training: {
        loss: d.task === 'regression' ? 'mse' : 'crossEntropy',
        metrics: d.task === 'regression' ? [] : ['accuracy'],
        optimizer: s.optimizer,
        lr: s.lr,
        batchSize: s.batchSize,
        epochs: this.epoch,
      },
      playground: { ...s, inputs: d.inputs },
    };
    const { json, weights } = await io.encodeModel(this.network.net, {
      weightsFile: 'model.safetensors',
      metadata,
    });
    return { json, weights };
  }

  /** Predictions for the test inputs (class or value per row), for comparing with Node. */
  predictTest(): { inputs: Float32Array; width: number; values: number[] } {
    return { inputs: this.data.test.x, width: this.data.inputs.length, values: this.predictions() };
  }

  private predictions(): number[] {
    return tidy(() =>
      noGrad(() => {
        const out = this.network.net.call(this.data.testSet.x, { training: false });
        const v = out.dataSync() as Float32Array;
        const width = out.shape[1];
        return Array.from({ length: out.shape[0] }, (_, r) => {
          if (width === 1) return v[r];
          let best = 0;
          for (let c = 1; c < width; c++) if (v[r * width + c] > v[r * width + best]) best = c;
          return best;
        });
      }),
    );
  }

  /** The loss around the current weights: 1-D slices and the 2-D plane of the training path. */
  landscape(options: { points?: number; normalization?: 'filter' | 'layer' | 'none' } = {}) {
    const target: lab.LandscapeTarget = {
      net: this.network.net,
      data: this.data.trainSet,
      loss: this.data.task === 'regression' ? 'mse' : 'crossEntropy',
      maxSamples: 500,
    };
    const points = options.points ?? 21;
    const normalization = options.normalization ?? 'filter';
    const slices = lab.lossSlice1d(target, {
      points: 2 * points - 1,
      normalization,
      directions: 2,
      seed: this.state.seed,
    });
    const random = lab.lossSurface2d(target, { points, normalization, seed: this.state.seed });
    const plane = this.path.length >= 3 ? lab.pathSurface(target, this.path, { points }) : null;
    return { slices, random, plane, epoch: this.epoch };
  }
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

function histogram(values: Float32Array, bins: number): LayerView['histogram'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  return { lo, hi, counts };
}
