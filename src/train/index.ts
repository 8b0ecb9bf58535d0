/**
 * train: Model (compile/fit/evaluate/predict), callbacks (early stopping, reduce on plateau,
 * model checkpoints), metrics, history, weight snapshots, hyper-parameter search.
 * Importing this module also gives every Layer the Keras-style methods, so
 * `nn.sequential([...]).compile(...)` works: they delegate to a Model made on first use.
 */
import { Layer } from '../nn/layer.js';
import type { Tensor } from '../tensor/tensor.js';
import { Dataset } from '../data/dataset.js';
import { reshape } from '../ops/shape.js';
import { inputsFrom, type ArrayInput } from './inputs.js';
import type { History, Logs } from './callbacks.js';
import { Model, type CompileOptions, type EvaluateOptions, type FitOptions } from './model.js';

export { Model, type CompileOptions, type FitOptions, type EvaluateOptions } from './model.js';
export * from './callbacks.js';
export { normalizeFitOptions, type FitPlan } from './fit-options.js';
export { LoopState, runLoop, type LoopParts } from './loop.js';
export { makeStep, plainStep, closureStep, type StepFn, type StepParts } from './step.js';
export { EpochMeans, type Accumulator } from './accumulate.js';
export { CallbackList, statefulCallbacks, type StatefulCallback } from './callback-list.js';
export { HistoryRecorder } from './history.js';
export { checkpointing, type CheckpointingOptions } from './checkpointing.js';
export { Ensemble, ensemble, bootstrapSample, type EnsembleOptions } from './ensemble.js';
export { datasetFrom, type ArrayInput } from './inputs.js';
export * as metrics from './metrics.js';
export {
  accuracy,
  topKAccuracy,
  precision,
  recall,
  f1,
  mae,
  mse,
  r2,
  confusionMatrix,
  classificationReport,
  getMetric,
  metricNames,
  type Metric,
  type MetricName,
  type ClassScores,
} from './metrics.js';
export {
  analyzeEpoch,
  checkDiagnoseOptions,
  defaultDiagnoseOptions,
  nonFiniteDiagnostic,
  TrainingDiagnostics,
  type Diagnostic,
  type DiagnosticKind,
  type DiagnoseOptions,
  type DiagnoseThresholds,
  type EpochHealth,
  type LayerHealth,
} from './diagnose.js';
export { WeightsSnapshot, trainedTensors } from './weights.js';
export {
  gridSearch,
  searchConfigs,
  type SearchOptions,
  type SearchResult,
  type SearchRow,
  type SearchSpace,
  type SearchRange,
  type SearchConfig,
  type SearchValue,
} from './search.js';

const models = new WeakMap<Layer, Model>();

/** The Model that wraps `layer` (one per layer). */
export function modelOf(layer: Layer): Model {
  let model = models.get(layer);
  if (!model) models.set(layer, (model = new Model(layer)));
  return model;
}

declare module '../nn/layer.js' {
  interface Layer {
    compile(options: CompileOptions): Model;
    /** Keras's fit: a Dataset, or x and y as tensors or plain arrays (see train/inputs.ts). */
    fit(data: Dataset, options?: FitOptions): Promise<History>;
    fit(x: ArrayInput, y: ArrayInput, options?: FitOptions): Promise<History>;
    evaluate(data: Dataset, options?: EvaluateOptions): Promise<Logs>;
    evaluate(x: ArrayInput, y: ArrayInput, options?: EvaluateOptions): Promise<Logs>;
    predict(x: ArrayInput, options?: EvaluateOptions): Tensor;
  }
}

Layer.prototype.compile = function (this: Layer, options: CompileOptions) {
  return modelOf(this).compile(options);
};
Layer.prototype.fit = function (
  this: Layer,
  ...args: [Dataset | ArrayInput, (ArrayInput | FitOptions)?, FitOptions?]
) {
  return modelOf(this).fit(...(args as [Dataset, FitOptions?]));
} as Layer['fit'];
Layer.prototype.evaluate = function (
  this: Layer,
  ...args: [Dataset | ArrayInput, (ArrayInput | EvaluateOptions)?, EvaluateOptions?]
) {
  return modelOf(this).evaluate(...(args as [Dataset, EvaluateOptions?]));
} as Layer['evaluate'];
Layer.prototype.predict = function (this: Layer, x: ArrayInput, options?: EvaluateOptions) {
  const input = inputsFrom('predict', x);
  try {
    // One sample without its batch dimension (the model knows its input rank): one row out.
    const known = this.knownInputShape();
    if (known && input.x.rank === known.length - 1) {
      const batch = reshape(input.x, [1, ...input.x.shape]);
      const out = modelOf(this).predict(batch, options);
      const one = reshape(out, out.shape.slice(1));
      batch.dispose();
      if (one !== out) out.dispose();
      return one;
    }
    return modelOf(this).predict(input.x, options);
  } finally {
    input.release();
  }
};
