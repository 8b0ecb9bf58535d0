/**
 * Streaming gunzip, the same code in Node and in a page (fflate: synchronous, pure
 * TypeScript). The compressed bytes are fed in 16 KiB slices and each piece of output is
 * handed on as it appears, so a reader can parse, check and stop while inflating: memory
 * is what the reader keeps plus one piece (deflate expands at most 1032:1, so ≤ 17 MB),
 * whatever the data would expand to. Several gzip members one after the other are read as
 * one stream, as gunzip(1) does.
 */
import { Gunzip } from 'fflate';
import type { GunzipOutcome, InflateOutcome } from './contract.js';

const SLICE = 1 << 14;

/**
 * Inflates `bytes`, calling `onChunk` with each piece of output, and stops as soon as the
 * output passes `maxBytes` ('too-large'; the piece that passes it is not handed on). An
 * error thrown by `onChunk` stops inflation and propagates; data that is not gzip throws
 * an Error saying what is wrong.
 */
export function inflateGzip(
  bytes: Uint8Array,
  maxBytes: number,
  onChunk: (chunk: Uint8Array) => void,
): InflateOutcome {
  let total = 0;
  let over = false;
  let ended = false;
  let failure: { error: unknown } | null = null;
  const inflater = new Gunzip((chunk, final) => {
    if (over || failure) return;
    total += chunk.length;
    if (total > maxBytes) {
      over = true;
      return;
    }
    try {
      if (chunk.length > 0) onChunk(chunk);
    } catch (error) {
      failure = { error };
    }
    if (final) ended = true;
  });
  try {
    for (let at = 0; at < bytes.length && !over && !failure; at += SLICE)
      inflater.push(bytes.subarray(at, Math.min(bytes.length, at + SLICE)), at + SLICE >= bytes.length);
  } catch (error) {
    // fflate's code 0 is "unexpected EOF": the input ends inside the stream.
    if (failure) throw (failure as { error: unknown }).error;
    if ((error as { code?: number }).code !== 0 || over)
      throw new Error((error as Error).message, { cause: error });
  }
  if (failure) throw (failure as { error: unknown }).error;
  if (over) return 'too-large';
  return ended ? 'complete' : 'truncated';
}

/** The whole output of inflateGzip in one array (at most `maxBytes`), for small inputs. */
export function gunzip(bytes: Uint8Array, maxBytes: number): GunzipOutcome {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const outcome = inflateGzip(bytes, maxBytes, (chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  if (outcome === 'too-large') return { kind: 'too-large' };
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return { kind: outcome, bytes: out };
}

/** Whether bytes start with the gzip magic (1f 8b): how every reader recognises gzip, whatever the name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
