/**
 * PyTorch state_dicts: a descent model's weights under PyTorch's names and layouts, in a
 * safetensors file that `model.load_state_dict(...)` takes, and back.
 *
 *   await io.saveStateDict(net, 'state_dict.safetensors');
 *   io.loadStateDict(net, 'trained.safetensors');                  // strict: every key, no other
 *   const bytes = await io.encodeStateDict(net);                    // the browser: bytes only
 *   io.loadStateDictFromBytes(net, bytes, { strict: false });       // { missingKeys, unexpectedKeys }
 *
 * The keys and tensors are `Layer.stateDict()`'s (nn/layer.ts), which are PyTorch's own for
 * the same layers, and the module tree of the nn.Module that `descent export --torch` writes
 * (io/torch/module.ts):
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
 * predicts what descent does; num_batches_tracked is written as int32 (PyTorch's int64 reads
 * back as int32). Loading copies PyTorch's running statistics and restarts descent's
 * population average, so inference uses what was loaded.
 *
 * Loading is strict by default, as PyTorch's: missing and unexpected keys are listed in
 * the error, and a mis-shaped tensor is an error even when not strict.
 */
import type { DType } from '../backend/contract.js';
import { ConfigError, FormatError } from '../errors.js';
import { BatchNorm } from '../nn/batchnorm.js';
import { Layer } from '../nn/layer.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { walkLayers } from './model-format.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors-codec.js';
import { platform } from '#platform';

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

function networkOf(model: unknown, where: string): Layer {
  if (model instanceof Layer) return model;
  const net = (model as { net?: unknown } | null)?.net;
  if (net instanceof Layer) return net;
  throw new ConfigError(`${where}: expected a network (a Layer) or a train.Model.`);
}

/** A lazily built model is built from the input shape it knows (else stateDict says how to build it). */
function built(model: unknown, where: string): Layer {
  const net = networkOf(model, where);
  const shape = net.knownInputShape();
  if (shape) net.buildFor(shape);
  return net;
}

function batchNorms(net: Layer): BatchNorm[] {
  const out: BatchNorm[] = [];
  walkLayers(net, (l) => {
    if (l instanceof BatchNorm) out.push(l);
  });
  return out;
}

/** The state_dict's values, read from the model: key → { dtype, shape, data }, in stateDict's order. */
export async function stateDictTensors(
  model: unknown,
): Promise<Map<string, { dtype: DType; shape: number[]; data: ArrayLike<number> }>> {
  const net = built(model, 'stateDict');
  const sd = net.stateDict();
  // Batch norms that infer with their population statistics: those stand in for running_*.
  const substitutes = new Map<Tensor, Tensor>();
  for (const bn of batchNorms(net)) {
    if (bn.inference !== 'population' || !bn.isBuilt) continue;
    const stats = bn.populationStatistics();
    if (!stats) continue;
    substitutes.set(bn.runningMean, stats.mean);
    substitutes.set(bn.runningVar, stats.variance);
  }
  try {
    const out = new Map<string, { dtype: DType; shape: number[]; data: ArrayLike<number> }>();
    for (const [key, own] of Object.entries(sd)) {
      const t = substitutes.get(own) ?? own;
      const data = await t.data();
      // The batch count is an integer in PyTorch whatever dtype the backend kept it in.
      const count = key === 'num_batches_tracked' || key.endsWith('.num_batches_tracked');
      out.set(key, {
        dtype: count ? 'int32' : t.dtype,
        shape: [...t.shape],
        data: count ? Int32Array.from(data) : data,
      });
    }
    return out;
  } finally {
    for (const t of substitutes.values()) t.dispose();
  }
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

/**
 * Loads a PyTorch state_dict (safetensors bytes) into the model, in place, through
 * Layer.loadStateDict: nothing is copied unless every shape fits and, when strict, every
 * key matches; the error (a FormatError naming the file) lists what did not.
 */
export function loadStateDictFromBytes(
  model: unknown,
  bytes: Uint8Array,
  options: LoadStateDictOptions = {},
): LoadStateDictResult {
  const source = options.source ?? '<state_dict>';
  const net = built(model, `loadStateDict(${source})`);
  const contents = decodeSafetensors(bytes, source);
  const sd: Record<string, Tensor> = {};
  try {
    for (const [key, t] of contents.tensors)
      Object.defineProperty(sd, key, {
        value: fromArray(t.data, t.shape, { dtype: t.dtype }),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    let result: LoadStateDictResult;
    try {
      result = net.loadStateDict(sd, { strict: options.strict ?? true });
    } catch (error) {
      if (error instanceof ConfigError) {
        const keys = Object.keys(net.stateDict());
        throw new FormatError(
          `${source}: ${error.message}` +
            (/Missing key|Unexpected key/.test(error.message)
              ? `\n\tThe model's keys: ${keys.map((k) => `"${k}"`).join(', ')}.`
              : ''),
        );
      }
      throw error;
    }
    // The population averages were of descent's batches; the statistics now are the file's.
    for (const bn of batchNorms(net)) bn.resetPopulationStatistics();
    return result;
  } finally {
    for (const t of Object.values(sd)) t.dispose();
  }
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
