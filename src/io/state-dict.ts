/**
 * PyTorch state_dicts: a descent model's weights under PyTorch's names and layouts, in a
 * safetensors file that `model.load_state_dict(...)` takes, and back.
 *
 *   await io.saveStateDict(net, 'state_dict.safetensors');
 *   io.loadStateDict(net, 'trained.safetensors');                  // strict: every key, no other
 *   const bytes = await io.encodeStateDict(net);                    // the browser: bytes only
 *   io.loadStateDictFromBytes(net, bytes, { strict: false });       // { missingKeys, unexpectedKeys }
 *
 * Names follow the module tree of the nn.Module that `descent export --torch` writes
 * (io/torch/module.ts), which is PyTorch's own for the same layers:
 *
 *   sequential     its children by index: '0.', '1.', …  (nested: '2.0.weight'); the root has no prefix
 *   dense          weight [out, in] (nn.Linear's), bias [out]
 *   conv2d         weight [out, in/groups, kH, kW] (OIHW, nn.Conv2d's), bias [out]
 *   batch norm     weight (γ), bias (β), running_mean, running_var, num_batches_tracked
 *   prelu          weight [C] or [1] (nn.PReLU's); inside a dense or conv2d: '<i>.activation.weight'
 *   others         no tensors (activations, pooling, flatten, dropout)
 *
 * A dense or conv2d with a built-in activation is one index, as in descent. descent's
 * layouts are PyTorch's (NCHW, [out, in]), so values are copied as they are and a round
 * trip is bit-exact. Batch norm: a layer that infers with its population statistics
 * (inference 'population') writes them as running_mean/running_var, so that PyTorch
 * predicts what descent does; num_batches_tracked is the count of batches descent has
 * averaged (PyTorch reads it only when momentum is None). Loading copies PyTorch's running
 * statistics and restarts descent's population average, so inference uses what was loaded.
 *
 * Loading is strict by default, as PyTorch's: missing and unexpected keys are listed in
 * the error, and a mis-shaped tensor is an error even when not strict.
 */
import type { DType } from '../backend/contract.js';
import { ConfigError, FormatError } from '../errors.js';
import { Activation, PRelu } from '../nn/activations.js';
import { BatchNorm } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import { Dropout } from '../nn/dropout.js';
import { Flatten } from '../nn/flatten.js';
import { Layer } from '../nn/layer.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../nn/pool.js';
import { Sequential } from '../nn/sequential.js';
import type { Tensor } from '../tensor/tensor.js';
import { assignValues } from './model-format.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors-codec.js';
import { platform } from '#platform';

/** One entry of the state_dict: a descent tensor under its PyTorch key, or batch norm's counter. */
export interface TorchEntry {
  key: string;
  layer: Layer;
  /** The tensor that holds it (null for num_batches_tracked, which descent keeps as a number). */
  tensor: Tensor | null;
  shape: number[];
  kind: 'parameter' | 'buffer';
}

export interface LoadStateDictOptions {
  /** Every key of the model must be in the file and no other (default true, as PyTorch). */
  strict?: boolean;
  /** The file's name in messages. */
  source?: string;
}

/** What a load did not match (both empty after a strict load). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

function unsupported(layer: Layer, prefix: string): ConfigError {
  return new ConfigError(
    `state_dict: layer '${prefix || layer.label}' (${layer.kind}) has no PyTorch counterpart here; the PyTorch names cover ` +
      'sequential, dense, conv2d, batchNorm1d/2d, prelu, the activations, maxPool2d, avgPool2d, globalAvgPool2d, flatten and dropout.',
  );
}

function weightAndBias(out: TorchEntry[], layer: Dense | Conv2d, prefix: string): void {
  out.push({
    key: join(prefix, 'weight'),
    layer,
    tensor: layer.weight,
    shape: [...layer.weight.shape],
    kind: 'parameter',
  });
  if (layer.bias)
    out.push({
      key: join(prefix, 'bias'),
      layer,
      tensor: layer.bias,
      shape: [...layer.bias.shape],
      kind: 'parameter',
    });
  const act = layer.children()[0];
  if (act instanceof PRelu) visit(out, act, join(prefix, 'activation'));
}

function visit(out: TorchEntry[], layer: Layer, prefix: string): void {
  if (layer instanceof Sequential) {
    layer.layers.forEach((child, i) => visit(out, child, join(prefix, String(i))));
    return;
  }
  if (layer instanceof Dense || layer instanceof Conv2d) return weightAndBias(out, layer, prefix);
  if (layer instanceof BatchNorm) {
    const add = (name: string, tensor: Tensor, kind: TorchEntry['kind']) =>
      out.push({ key: join(prefix, name), layer, tensor, shape: [...tensor.shape], kind });
    if (layer.gamma) add('weight', layer.gamma, 'parameter');
    if (layer.beta) add('bias', layer.beta, 'parameter');
    add('running_mean', layer.runningMean, 'buffer');
    add('running_var', layer.runningVar, 'buffer');
    out.push({ key: join(prefix, 'num_batches_tracked'), layer, tensor: null, shape: [], kind: 'buffer' });
    return;
  }
  if (layer instanceof PRelu) {
    out.push({
      key: join(prefix, 'weight'),
      layer,
      tensor: layer.alpha,
      shape: [...layer.alpha.shape],
      kind: 'parameter',
    });
    return;
  }
  const stateless =
    layer instanceof Activation ||
    layer instanceof Dropout ||
    layer instanceof Flatten ||
    layer instanceof MaxPool2d ||
    layer instanceof AvgPool2d ||
    layer instanceof GlobalAvgPool2d;
  if (!stateless) throw unsupported(layer, prefix);
}

const hasTensors = (l: Layer) =>
  l instanceof Dense || l instanceof Conv2d || l instanceof BatchNorm || l instanceof PRelu;

/** Builds a lazily built model from its known input shape, or says how to. */
function ensureBuilt(model: Layer, where: string): void {
  let unbuilt: Layer | null = null;
  const check = (l: Layer) => {
    if (unbuilt) return;
    if (l instanceof Sequential) l.layers.forEach(check);
    else if (!l.isBuilt && hasTensors(l)) unbuilt = l;
  };
  check(model);
  if (!unbuilt) return;
  const shape = model.knownInputShape();
  if (shape) return model.buildFor(shape);
  const layer = unbuilt as Layer;
  throw new ConfigError(
    `${where}: layer '${layer.label}' (${layer.kind}) is not built yet, so its tensors have no shape. ` +
      'Call the model once, or build it with model.buildFor([1, ...inputShape]).',
  );
}

/** The model's state_dict entries in PyTorch's order (the module tree, depth first). */
export function torchEntries(model: Layer, where = 'state_dict'): TorchEntry[] {
  if (!(model instanceof Layer)) throw new ConfigError(`${where}: expected a network (a Layer).`);
  ensureBuilt(model, where);
  const out: TorchEntry[] = [];
  visit(out, model, '');
  return out;
}

function networkOf(model: unknown, where: string): Layer {
  if (model instanceof Layer) return model;
  const net = (model as { net?: unknown } | null)?.net;
  if (net instanceof Layer) return net;
  throw new ConfigError(`${where}: expected a network (a Layer) or a train.Model.`);
}

/** The state_dict's tensors, read from the model: key → { dtype, shape, data }. */
export async function stateDictTensors(
  model: unknown,
): Promise<Map<string, { dtype: DType; shape: number[]; data: ArrayLike<number> }>> {
  const net = networkOf(model, 'state_dict');
  const out = new Map<string, { dtype: DType; shape: number[]; data: ArrayLike<number> }>();
  for (const e of torchEntries(net)) {
    if (e.tensor === null) {
      const bn = e.layer as BatchNorm;
      out.set(e.key, { dtype: 'int32', shape: [], data: Int32Array.of(bn.populationBatches) });
      continue;
    }
    let tensor = e.tensor;
    let owned: Tensor | null = null;
    const bn = e.layer instanceof BatchNorm ? e.layer : null;
    if (bn && bn.inference === 'population' && (tensor === bn.runningMean || tensor === bn.runningVar)) {
      const stats = bn.populationStatistics();
      if (stats) {
        owned = tensor === bn.runningMean ? stats.mean : stats.variance;
        (tensor === bn.runningMean ? stats.variance : stats.mean).dispose();
        tensor = owned;
      }
    }
    try {
      const dtype = tensor.dtype;
      out.set(e.key, { dtype, shape: [...e.shape], data: await tensor.data() });
    } finally {
      owned?.dispose();
    }
  }
  return out;
}

/** The bytes of a safetensors file holding the model's PyTorch state_dict. */
export async function encodeStateDict(
  model: unknown,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  return encodeSafetensors(await stateDictTensors(model), { format: 'pt', ...metadata });
}

/** Writes the model's PyTorch state_dict as a safetensors file, atomically. */
export async function saveStateDict(
  model: unknown,
  path: string,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const bytes = await encodeStateDict(model, metadata);
  platform.writeFileAtomic(path, bytes);
  return bytes;
}

const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(', ');

/**
 * Loads a PyTorch state_dict (safetensors bytes) into the model, in place. Nothing is
 * copied unless every shape fits (and, when strict, every key matches).
 */
export function loadStateDictFromBytes(
  model: unknown,
  bytes: Uint8Array,
  options: LoadStateDictOptions = {},
): LoadStateDictResult {
  const source = options.source ?? '<state_dict>';
  const strict = options.strict ?? true;
  const net = networkOf(model, `loadStateDict(${source})`);
  const contents = decodeSafetensors(bytes, source);
  const entries = torchEntries(net, `loadStateDict(${source})`);
  const wanted = new Set(entries.map((e) => e.key));
  const missingKeys = entries.filter((e) => !contents.tensors.has(e.key)).map((e) => e.key);
  const unexpectedKeys = [...contents.tensors.keys()].filter((k) => !wanted.has(k));
  const problems: string[] = [];
  for (const e of entries) {
    const saved = contents.tensors.get(e.key);
    if (!saved) continue;
    const same = saved.shape.length === e.shape.length && saved.shape.every((d, i) => d === e.shape[i]);
    if (!same)
      problems.push(
        `size mismatch for ${e.key}: copying a param with shape [${saved.shape.join(', ')}] from checkpoint, ` +
          `the shape in current model is [${e.shape.join(', ')}] (layer '${e.layer.label}', ${e.layer.kind}).`,
      );
    else if (e.tensor && (saved.dtype === 'int32') !== (e.tensor.dtype === 'int32'))
      problems.push(
        `dtype mismatch for ${e.key}: the file holds ${saved.dtype}, the model ${e.tensor.dtype}.`,
      );
  }
  if (strict) {
    if (missingKeys.length > 0) problems.unshift(`Missing key(s) in state_dict: ${quoted(missingKeys)}.`);
    if (unexpectedKeys.length > 0)
      problems.splice(
        missingKeys.length > 0 ? 1 : 0,
        0,
        `Unexpected key(s) in state_dict: ${quoted(unexpectedKeys)}.`,
      );
  }
  if (problems.length > 0)
    throw new FormatError(
      `Error(s) in loading state_dict for ${net.label} from ${source}:\n\t${problems.join('\n\t')}` +
        (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)
          ? `\n\tThe model's keys: ${quoted(entries.map((e) => e.key))}.`
          : ''),
    );
  const restarted = new Set<BatchNorm>();
  for (const e of entries) {
    const saved = contents.tensors.get(e.key);
    if (!saved) continue;
    if (e.tensor) assignValues(e.tensor, saved.data);
    if (e.layer instanceof BatchNorm && !restarted.has(e.layer)) {
      // The population average was of descent's batches; the statistics now are PyTorch's.
      e.layer.resetPopulationStatistics();
      restarted.add(e.layer);
    }
  }
  return { missingKeys, unexpectedKeys };
}

/** Reads a PyTorch state_dict saved as safetensors into the model (see loadStateDictFromBytes). */
export function loadStateDict(
  model: unknown,
  path: string,
  options: Omit<LoadStateDictOptions, 'source'> = {},
): LoadStateDictResult {
  const bytes = platform.readFile(path, 'state_dict (safetensors)', Number.MAX_SAFE_INTEGER);
  return loadStateDictFromBytes(model, bytes, { ...options, source: path });
}
