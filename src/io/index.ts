/**
 * io: saving and loading models (topology JSON + safetensors weights) in a folder, in the
 * browser's IndexedDB or as downloads, checkpoints that resume a run exactly, and the
 * safetensors reader/writer itself. Everything here bundles for browsers: the file functions
 * go through '#platform' (src/platform/), which in a page says to use the IndexedDB, download
 * and File functions of io/browser.ts instead.
 *
 *   await model.save('out/mlp');                 // or io.saveModel(net, 'out/mlp')
 *   const net = await io.loadModel('out/mlp');
 *   await model.fit(data, { epochs: 50, checkpoint: { dir: 'ckpt' }, resumeFrom: 'ckpt' });
 *
 * Importing this module also gives every Layer `save(dir, options?)`.
 */
import { Layer } from '../nn/layer.js';
import { saveModel, type ModelInfo, type SaveModelOptions } from './model-io.js';

export {
  saveModel,
  loadModel,
  loadModelWithInfo,
  readModelInfo,
  encodeModel,
  decodeModel,
  parseModelInfo,
  layerFromModelJson,
  namedTensors,
  loadWeightsInto,
  MODEL_FILE,
  WEIGHTS_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelInfo,
  type LayerSpec,
  type SaveModelOptions,
  type LoadModelOptions,
  type NamedTensor,
} from './model-io.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  readCheckpointInfo,
  parseCheckpointInfo,
  resolveCheckpoint,
  checkCheckpointOptions,
  CHECKPOINT_FILE,
  STATE_FILE,
  type SaveCheckpointOptions,
  type CheckpointOptions,
  type CheckpointInfo,
  type LoadedCheckpoint,
} from './checkpoint.js';
export { encodeStates, decodeStates } from './state-codec.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  readSafetensors,
  writeSafetensors,
  MAX_HEADER_BYTES,
  type TensorRecord,
  type SafetensorsContents,
} from './safetensors.js';
export {
  saveModelToIndexedDB,
  loadModelFromIndexedDB,
  loadModelWithInfoFromIndexedDB,
  listModelsInIndexedDB,
  deleteModelFromIndexedDB,
  downloadModel,
  loadModelFromFiles,
  loadModelWithInfoFromFiles,
  INDEXEDDB_NAME,
  type IndexedDBOptions,
  type StoredModelSummary,
  type Saveable,
} from './browser.js';
export { sha256Hex } from '../platform/sha256.js';
export { registerLayer, layerKinds, ConfigReader, type LayerEntry, type LayerContext } from './layers.js';
export {
  exportOnnx,
  importOnnx,
  readOnnxTensor,
  OnnxGraph,
  OnnxUnsupportedError,
  supportedOnnxOps,
  EXPORT_OPSET as ONNX_EXPORT_OPSET,
  ONNX_MIN_OPSET,
  ONNX_MAX_OPSET,
  type ExportOnnxOptions,
  type ImportOnnxOptions,
} from './onnx/index.js';

export {
  saveStateDict,
  loadStateDict,
  encodeStateDict,
  loadStateDictFromBytes,
  stateDictTensors,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './state-dict.js';
export {
  exportTorch,
  torchTrainingConfig,
  TORCH_LOSSES,
  TORCH_OPTIMIZERS,
  type ExportTorchOptions,
  type TorchFiles,
  type TorchTrainingConfig,
} from './torch/index.js';

declare module '../nn/layer.js' {
  interface Layer {
    /** Saves the layer (model.json + weights.safetensors) to the folder `dir`. */
    save(dir: string, options?: SaveModelOptions): Promise<ModelInfo>;
  }
}

Layer.prototype.save = function (this: Layer, dir: string, options?: SaveModelOptions) {
  return saveModel(this, dir, options);
};
