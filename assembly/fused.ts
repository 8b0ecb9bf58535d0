// The fused element-wise kernel (Backend.fused) for float32. The host encodes the program
// as 8 i32 slots per instruction (see encodeFused in src/backend/wasm/backend.ts):
//   [kind, op | every, a | period, b, p0 (f32 bits), p1 (f32 bits), isScalar, input pointer]
// kind 0 input (slot 3: read in place), 1 scalar (its value in p0), 2 unary, 3 binary; then one [register, pointer]
// pair per output. The program runs over tiles of TILE elements, each instruction one
// SIMD loop over the tile (the same loops as unaryF32 and binaryF32), with registers in
// `regs` (TILE floats each). Scalar registers are computed once, in slot 0 of theirs.
import { binaryF32, unaryF32 } from './elementwise';

const TILE = 1024;
const INPUT = 0, SCALAR = 1, UNARY = 2, BINARY = 3;

// Copies n floats with SIMD loads and stores (memory.copy on a shared memory is a runtime
// call in V8, far slower than this for a tile).
// @ts-ignore: decorator
@inline function copy(to: usize, from: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(to + (<usize>i << 2), v128.load(from + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(to + (<usize>i << 2), load<f32>(from + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function fill(to: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(to + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(to + (<usize>i << 2), value);
}

// @ts-ignore: decorator
@inline function reg(regs: usize, k: i32): usize {
  return regs + (<usize>k * TILE << 2);
}

/** Bytes of register space a program of `count` instructions needs (tiles, then a pointer per register). */
export function fusedScratchBytes(count: i32): i32 {
  return count * TILE * 4 + count * 4;
}

// Where register k's values are for the current tile: its own tile slot, or — for an input
// that no output overwrites (the host sets slot 3, "direct") — the input's memory itself.
// @ts-ignore: decorator
@inline function at(ptrs: usize, k: i32): usize {
  return <usize>load<u32>(ptrs + (<usize>k << 2));
}

export function fusedF32(code: usize, count: i32, outs: usize, nOut: i32, size: i32, regs: usize): void {
  const ptrs = regs + (<usize>count * TILE << 2);
  for (let k = 0; k < count; k++) store<u32>(ptrs + (<usize>k << 2), <u32>reg(regs, k));
  // Registers that depend on no input: once.
  for (let k = 0; k < count; k++) {
    const ins = code + (<usize>k << 5);
    if (load<i32>(ins, 24) == 0) continue;
    const kind = load<i32>(ins);
    const r = reg(regs, k);
    if (kind == SCALAR) store<f32>(r, load<f32>(ins, 16));
    else if (kind == UNARY) unaryF32(load<i32>(ins, 4), at(ptrs, load<i32>(ins, 8)), r, 1, load<f32>(ins, 16), load<f32>(ins, 20));
    else if (kind == BINARY) binaryF32(load<i32>(ins, 4), at(ptrs, load<i32>(ins, 8)), 0, 0, at(ptrs, load<i32>(ins, 12)), 0, 0, r, 1, 1);
  }
  for (let start = 0; start < size; start += TILE) {
    const n = min(TILE, size - start);
    for (let k = 0; k < count; k++) {
      const ins = code + (<usize>k << 5);
      if (load<i32>(ins, 24) != 0) continue;
      const kind = load<i32>(ins);
      const r = reg(regs, k);
      if (kind == INPUT) {
        const x = <usize>load<u32>(ins, 28);
        const every = load<i32>(ins, 4);
        const period = load<i32>(ins, 8);
        if (period == 0 && load<i32>(ins, 12) != 0) {
          store<u32>(ptrs + (<usize>k << 2), <u32>(x + (<usize>start << 2)));
        } else if (period == 0) {
          copy(r, x + (<usize>start << 2), n);
        } else {
          // A broadcast input (a bias): x[⌊i / every⌋ mod period], written as runs — a
          // stretch of one repeated value (every > 1) or a contiguous piece of x (every = 1).
          let t = 0;
          while (t < n) {
            const i = start + t;
            const q = i / every;
            const j = q % period;
            if (every == 1) {
              const len = min(period - j, n - t);
              copy(r + (<usize>t << 2), x + (<usize>j << 2), len);
              t += len;
            } else {
              const len = min(every - (i - q * every), n - t);
              fill(r + (<usize>t << 2), load<f32>(x + (<usize>j << 2)), len);
              t += len;
            }
          }
        }
      } else if (kind == UNARY) {
        unaryF32(load<i32>(ins, 4), at(ptrs, load<i32>(ins, 8)), r, n, load<f32>(ins, 16), load<f32>(ins, 20));
      } else if (kind == BINARY) {
        const a = load<i32>(ins, 8);
        const b = load<i32>(ins, 12);
        const as = load<i32>(code + (<usize>a << 5), 24) != 0 ? 0 : 1;
        const bs = load<i32>(code + (<usize>b << 5), 24) != 0 ? 0 : 1;
        binaryF32(load<i32>(ins, 4), at(ptrs, a), 0, as, at(ptrs, b), 0, bs, r, 1, n);
      }
    }
    // Every input of this tile has been read: the outputs may overwrite them now.
    for (let j = 0; j < nOut; j++) {
      const k = load<i32>(outs + (<usize>j << 3));
      const out = <usize>load<u32>(outs + (<usize>j << 3), 4) + (<usize>start << 2);
      const r = at(ptrs, k);
      if (load<i32>(code + (<usize>k << 5), 24) != 0) {
        const bits = load<i32>(r);
        for (let t = 0; t < n; t++) store<i32>(out + (<usize>t << 2), bits);
      } else {
        copy(out, r, n);
      }
    }
  }
}
