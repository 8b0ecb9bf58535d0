/**
 * safetensors files on disk (Node): the codec (safetensors-codec.ts, shared with the
 * browser) plus reading a file and writing one atomically.
 */
import type { DType } from '../backend/contract.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors-codec.js';
import { platform } from '#platform';

export {
  encodeSafetensors,
  decodeSafetensors,
  MAX_HEADER_BYTES,
  type TensorRecord,
  type SafetensorsContents,
} from './safetensors-codec.js';

/** Reads a .safetensors file (see decodeSafetensors). */
export function readSafetensors(path: string): SafetensorsContents {
  return decodeSafetensors(platform.readFile(path, 'safetensors file', Number.MAX_SAFE_INTEGER), path);
}

/** Writes a .safetensors file atomically (temporary file, fsync, rename). */
export function writeSafetensors(
  path: string,
  tensors: Iterable<[string, { dtype?: DType; shape: readonly number[]; data: ArrayLike<number> }]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const bytes = encodeSafetensors(tensors, metadata);
  platform.writeFileAtomic(path, bytes);
  return bytes;
}
