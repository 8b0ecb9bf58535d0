/**
 * io.exportTorch(model): a descent model as the files of a PyTorch project (Node and the
 * browser: contents only, nothing is written here):
 *
 *   model.py                 build_model(): the nn.Module equal to the model (io/torch/module.ts),
 *                            plus a safetensors reader/writer that needs only torch
 *   state_dict.safetensors   its weights under PyTorch's names (io/state-dict.ts)
 *   train_ddp.py             continues training with DistributedDataParallel (io/torch/train-ddp.ts)
 *
 *   const files = await io.exportTorch(net, { inputShape: [1, 8, 8], training: { loss: 'crossEntropy', … } });
 *
 * `descent export MODEL_DIR --torch OUT_DIR` writes them, with the training settings from
 * model.json and the data set the model was trained on (data.safetensors).
 */
import { ConfigError } from '../../errors.js';
import { Layer } from '../../nn/layer.js';
import { encodeStateDict } from '../state-dict.js';
import { torchModuleSource } from './module.js';
import { TORCH_LOSSES, TORCH_OPTIMIZERS, trainDdpSource, type TorchTrainingConfig } from './train-ddp.js';

export interface ExportTorchOptions {
  /** One sample's shape without the batch dimension ([1, 28, 28], [64]); default: what the model knows. */
  inputShape?: readonly number[];
  /** train_ddp.py's settings (default: cross-entropy classification with Adam, see torchTrainingConfig). */
  training?: Partial<TorchTrainingConfig>;
}

export interface TorchFiles {
  'model.py': string;
  'state_dict.safetensors': Uint8Array;
  'train_ddp.py': string;
}

function networkOf(model: unknown): Layer {
  if (model instanceof Layer) return model;
  const net = (model as { net?: unknown } | null)?.net;
  if (net instanceof Layer) return net;
  throw new ConfigError('exportTorch: expected a network (a Layer) or a train.Model.');
}

const DEFAULT_TRAINING: TorchTrainingConfig = {
  loss: 'crossEntropy',
  task: 'classification',
  numClasses: 0,
  optimizer: 'adam',
  lr: null,
  momentum: null,
  weightDecay: null,
  l1: null,
  l2: null,
  clipValue: null,
  clipNorm: null,
  batchSize: 32,
  epochs: 2,
  seed: 1,
  data: null,
  dataName: null,
  notMapped: [],
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A number from a saved flag ('0.9', 0.9) or null. */
function flagNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * train_ddp.py's settings from the metadata `descent train --save` records in model.json
 * (metadata.training, metadata.data, metadata.flags, metadata.seed); what does not carry
 * over to PyTorch is listed in notMapped.
 */
export function torchTrainingConfig(metadata: Record<string, unknown>): TorchTrainingConfig {
  const config: TorchTrainingConfig = { ...DEFAULT_TRAINING, notMapped: [] };
  const training = isRecord(metadata.training) ? metadata.training : {};
  const data = isRecord(metadata.data) ? metadata.data : {};
  const flags = isRecord(metadata.flags) ? metadata.flags : {};
  if (typeof training.loss === 'string') config.loss = training.loss;
  if (typeof training.optimizer === 'string') config.optimizer = training.optimizer;
  config.lr = flagNumber(training.lr);
  if (Number.isInteger(training.batchSize) && (training.batchSize as number) > 0)
    config.batchSize = training.batchSize as number;
  if (data.task === 'regression' || data.task === 'classification') config.task = data.task;
  if (Number.isInteger(data.numClasses)) config.numClasses = data.numClasses as number;
  if (typeof data.name === 'string') config.dataName = data.name;
  if (Number.isInteger(metadata.seed)) config.seed = metadata.seed as number;
  config.momentum = flagNumber(flags.momentum);
  config.weightDecay = flagNumber(flags.weightDecay);
  config.l1 = flagNumber(flags.l1);
  config.l2 = flagNumber(flags.l2);
  config.clipValue = flagNumber(flags.clipValue);
  config.clipNorm = flagNumber(flags.clipNorm);
  if (typeof flags.schedule === 'string' && flags.schedule !== '')
    config.notMapped.push(
      `the learning-rate schedule '${flags.schedule}' is not carried over: the learning rate stays at its base value`,
    );
  if (typeof training.augment === 'string' && training.augment !== '')
    config.notMapped.push(
      `augmentation (${training.augment}) is not carried over: the images are used as they are`,
    );
  if (!(TORCH_OPTIMIZERS as readonly string[]).includes(config.optimizer)) {
    config.notMapped.push(
      `descent's optimiser '${config.optimizer}' has no mini-batch torch.optim counterpart; Adam is used (--optimizer chooses another)`,
    );
    config.optimizer = 'adam';
    config.lr = null;
  }
  if (!(TORCH_LOSSES as readonly string[]).includes(config.loss))
    throw new ConfigError(
      `exportTorch: the loss '${config.loss}' the model was trained with is not mapped to PyTorch; mapped: ${TORCH_LOSSES.join(', ')}.`,
    );
  return config;
}

/** model.py, state_dict.safetensors and train_ddp.py for a model (see the file's header). */
export async function exportTorch(model: unknown, options: ExportTorchOptions = {}): Promise<TorchFiles> {
  const net = networkOf(model);
  const sample = options.inputShape ? [...options.inputShape] : net.knownInputShape()?.slice(1);
  if (!sample || sample.length === 0 || !sample.every((d) => Number.isInteger(d) && d > 0))
    throw new ConfigError(
      `exportTorch: the input shape of '${net.label}' is not known; pass { inputShape: [...] } (one sample's shape, e.g. [1, 28, 28]).`,
    );
  net.buildFor([1, ...sample]);
  const training: TorchTrainingConfig = {
    ...DEFAULT_TRAINING,
    ...options.training,
    notMapped: [...(options.training?.notMapped ?? [])],
  };
  if (!(TORCH_OPTIMIZERS as readonly string[]).includes(training.optimizer))
    throw new ConfigError(
      `exportTorch: training.optimizer '${training.optimizer}' is not mapped to torch.optim; mapped: ${TORCH_OPTIMIZERS.join(', ')}.`,
    );
  if (!(TORCH_LOSSES as readonly string[]).includes(training.loss))
    throw new ConfigError(
      `exportTorch: training.loss '${training.loss}' is not mapped; mapped: ${TORCH_LOSSES.join(', ')}.`,
    );
  const module = torchModuleSource(net, [1, ...sample]);
  if (training.task === 'classification' && training.numClasses === 0)
    training.numClasses = module.outputShape.at(-1) ?? 0;
  const stateDict = await encodeStateDict(net, { producer: 'descent export --torch' });
  return {
    'model.py': module.source,
    'state_dict.safetensors': stateDict,
    'train_ddp.py': trainDdpSource(training, net.label),
  };
}
