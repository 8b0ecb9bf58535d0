/**
 * PyTorch out and back: `exportTorch(model)` writes a descent model as model.py (the equal
 * nn.Module), state_dict.safetensors and train_ddp.py (DistributedDataParallel training);
 * io/state-dict.ts reads the trained state_dict back. Contents only: Node and the browser.
 */
export { exportTorch, torchTrainingConfig, type ExportTorchOptions, type TorchFiles } from './export.js';
export { torchModuleSource, type TorchModuleSource } from './module.js';
export { TORCH_LOSSES, TORCH_OPTIMIZERS, type TorchTrainingConfig } from './train-ddp.js';
