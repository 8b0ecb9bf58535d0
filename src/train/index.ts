/**
 * train: Model (compile/fit/evaluate/predict), callbacks (early stopping, reduce on plateau,
 * model checkpoints), metrics, history, weight snapshots, hyper-parameter search.
 * Importing this module also gives every Layer the Keras-style methods, so
 * `nn.sequential([...]).compile(...)` works: they delegate to a Model made on first use.
 */
import { Layer } from '../nn/layer.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Dataset } from '../data/dataset.js';
import type { History, Logs } from './callbacks.js';
import { Model, type CompileOptions, type EvaluateOptions, type FitOptions } from './model.js';

export { Model, type CompileOptions, type FitOptions, type EvaluateOptions } from './model.js';
export * from './callbacks.js';
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
    fit(data: Dataset, options?: FitOptions): Promise<History>;
    evaluate(data: Dataset, options?: EvaluateOptions): Promise<Logs>;
    predict(x: Tensor, options?: EvaluateOptions): Tensor;
  }
}

Layer.prototype.compile = function (this: Layer, options: CompileOptions) {
  return modelOf(this).compile(options);
};
Layer.prototype.fit = function (this: Layer, data: Dataset, options?: FitOptions) {
  return modelOf(this).fit(data, options);
};
Layer.prototype.evaluate = function (this: Layer, data: Dataset, options?: EvaluateOptions) {
  return modelOf(this).evaluate(data, options);
};
Layer.prototype.predict = function (this: Layer, x: Tensor, options?: EvaluateOptions) {
  return modelOf(this).predict(x, options);
};
