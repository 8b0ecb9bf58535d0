/**
 * Streaming gunzip, the same code in Node and in a page (fflate: synchronous, pure
 * TypeScript; about 3× slower than Node's zlib, which is why Node's one-shot
 * `platform.gunzip` stays on zlib and the IDX reader, which knows its size from the header,
 * uses that). The compressed bytes are fed in 16 KiB slices and each piece of output is
 * handed on as it appears, so a reader can parse, check and stop while inflating: memory
 * is what the reader keeps plus one piece (deflate expands at most 1032:1, so ≤ 17 MB; fflate holds about 3× that while making it),
 * whatever the data would expand to. Several gzip members one after the other are read as
 * one stream, as gunzip(1) does. fflate does not check the members' trailers, so this does:
 * each member's output must match its CRC-32 and length, which also catches a file cut
 * inside its last 8 bytes and bytes after the last member.
 */
import { Gunzip } from 'fflate';
import type { GunzipOutcome, InflateOutcome } from './contract.js';

const SLICE = 1 << 14;
/** Input bytes kept from before the current slice: a member's trailer and the next header. */
const TAIL = 4096;

/** The CRC-32 of gzip (and PNG, zip): reflected polynomial 0xEDB88320. */
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(crc: number, bytes: Uint8Array): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * A gunzip fed piece by piece (a file read in chunks): each piece of output goes to
 * `onChunk` as it appears, and inflation stops as soon as the output passes `maxBytes`
 * (`outcome` is then 'too-large'; the piece that passes it is not handed on). An error
 * thrown by `onChunk` stops inflation and propagates; data that is not gzip throws an Error
 * saying what is wrong. After the final push, `outcome` is 'complete' or 'truncated'.
 */
export class GzipStream {
  private readonly inflater: Gunzip;
  private total = 0;
  private over = false;
  private ended = false;
  private failure: { error: unknown } | null = null;

  // The current member's output so far, and the last input bytes before the current slice
  // (the next member's header may end a slice later), to check each member's trailer:
  // CRC-32, then length mod 2^32, little-endian.
  private crc = 0;
  private size = 0;
  private before: Uint8Array = new Uint8Array(0);
  private slice: Uint8Array = new Uint8Array(0);
  private sliceStart = 0;

  constructor(
    private readonly maxBytes: number,
    onChunk: (chunk: Uint8Array) => void,
  ) {
    this.inflater = new Gunzip((chunk, final) => {
      if (this.over || this.failure) return;
      this.total += chunk.length;
      if (this.total > this.maxBytes) {
        this.over = true;
        return;
      }
      this.crc = crc32(this.crc, chunk);
      this.size += chunk.length;
      try {
        if (chunk.length > 0) onChunk(chunk);
      } catch (error) {
        this.failure = { error };
      }
      if (final) this.ended = true;
    });
    // A new member starts at input byte `offset`: the one before ends with its trailer.
    this.inflater.onmember = (offset) => {
      if (!this.over && !this.failure && !this.trailerMatches(offset))
        throw new Error(
          `the CRC-32 or length in the gzip trailer before byte ${offset} does not match the data (the file is corrupt)`,
        );
    };
  }

  /** The input byte at `offset` (in the current slice or the 8 bytes before it). */
  private inputByte(offset: number): number {
    const i = offset - this.sliceStart;
    return i >= 0 ? this.slice[i] : this.before[this.before.length + i];
  }

  /** Whether the 8 input bytes before `end` are the trailer of the member's output. */
  private trailerMatches(end: number): boolean {
    if (end - 8 < this.sliceStart - this.before.length) return true; // a header too long to look back past
    let stored = 0;
    let length = 0;
    for (let k = 3; k >= 0; k--) {
      stored = stored * 256 + this.inputByte(end - 8 + k);
      length = length * 256 + this.inputByte(end - 4 + k);
    }
    const matches = stored === this.crc && length === this.size % 2 ** 32;
    this.crc = 0;
    this.size = 0;
    return matches;
  }

  /** Whether more input is wanted (false once the limit is passed). */
  get open(): boolean {
    return !this.over;
  }

  get outcome(): InflateOutcome {
    return this.over ? 'too-large' : this.ended ? 'complete' : 'truncated';
  }

  push(bytes: Uint8Array, final: boolean): void {
    try {
      for (
        let at = 0;
        (at < bytes.length || (final && at === 0)) && !this.over && !this.failure;
        at += SLICE
      ) {
        const end = Math.min(bytes.length, at + SLICE);
        const last = final && end === bytes.length;
        this.slice = bytes.subarray(at, end);
        this.inflater.push(this.slice, last);
        // fflate reports the end of any input as the end of the stream: only a matching
        // trailer says that the stream is whole (not cut short, nor followed by other bytes).
        if (last && this.ended && !this.trailerMatches(this.sliceStart + this.slice.length))
          this.ended = false;
        this.keepTail();
      }
    } catch (error) {
      if (this.failure) throw this.failure.error;
      // fflate's code 0 is "unexpected EOF": the input ends inside the stream.
      if ((error as { code?: number }).code !== 0 || this.over)
        throw new Error((error as Error).message, { cause: error });
    }
    if (this.failure) throw this.failure.error;
  }

  /** Moves the last TAIL input bytes into `before` as the next slice starts. */
  private keepTail(): void {
    const joined = new Uint8Array(Math.min(TAIL, this.before.length + this.slice.length));
    const fromSlice = Math.min(joined.length, this.slice.length);
    joined.set(this.before.subarray(this.before.length - (joined.length - fromSlice)), 0);
    joined.set(this.slice.subarray(this.slice.length - fromSlice), joined.length - fromSlice);
    this.before = joined;
    this.sliceStart += this.slice.length;
    this.slice = new Uint8Array(0);
  }
}

/** Inflates all of `bytes` through a GzipStream (see there). */
export function inflateGzip(
  bytes: Uint8Array,
  maxBytes: number,
  onChunk: (chunk: Uint8Array) => void,
): InflateOutcome {
  const stream = new GzipStream(maxBytes, onChunk);
  stream.push(bytes, true);
  return stream.outcome;
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
