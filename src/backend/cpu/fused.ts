/**
 * The cpu backend's fused element-wise kernel (Backend.fused). The program runs over tiles
 * of TILE elements; each instruction is one of the unary/binary loops over the tile, so no
 * closure is called per element and every register is rounded to the dtype exactly as the
 * separate kernels round it. Registers that do not depend on any input (scalar arithmetic,
 * a bias correction 1 − β₁ᵗ) are computed once, as one-element arrays read with stride 0.
 */
import type { DType, FusedProgram, TypedArray } from '../contract.js';
import { binaryRun, unaryKernel } from './elementwise.js';

const TILE = 512;

/** Tile registers, reused across calls (grown on demand, never per element). */
const scratch: Partial<Record<DType, TypedArray[]>> = {};

function register(dtype: DType, k: number): TypedArray {
  const list = (scratch[dtype] ??= []);
  while (list.length <= k) list.push(dtype === 'float64' ? new Float64Array(TILE) : new Float32Array(TILE));
  return list[k];
}

/** Which registers hold one value for every element (they depend on no input). */
export function scalarRegisters(program: FusedProgram): boolean[] {
  const scalar: boolean[] = [];
  for (const ins of program.instructions) {
    if (ins.kind === 'input') scalar.push(false);
    else if (ins.kind === 'scalar') scalar.push(true);
    else if (ins.kind === 'unary') scalar.push(scalar[ins.a]);
    else scalar.push(scalar[ins.a] && scalar[ins.b]);
  }
  return scalar;
}

export function fusedKernel(
  program: FusedProgram,
  inputs: readonly TypedArray[],
  scalars: readonly number[],
  outputs: readonly TypedArray[],
  dtype: DType,
  size: number,
): void {
  const code = program.instructions;
  const isScalar = scalarRegisters(program);
  const regs = code.map((_, k) => register(dtype, k));
  // Registers that are the same for every element: once, before the tiles.
  code.forEach((ins, k) => {
    if (!isScalar[k]) return;
    const r = regs[k];
    if (ins.kind === 'scalar') r[0] = scalars[ins.scalar];
    else if (ins.kind === 'unary') unaryKernel(ins.op, regs[ins.a], r, 1, ins.p0, ins.p1);
    else if (ins.kind === 'binary') binaryRun(ins.op, regs[ins.a], 0, 0, regs[ins.b], 0, 0, r, 0, 1);
  });
  for (let start = 0; start < size; start += TILE) {
    const n = Math.min(TILE, size - start);
    code.forEach((ins, k) => {
      if (isScalar[k]) return;
      const r = regs[k];
      switch (ins.kind) {
        case 'input': {
          const x = inputs[ins.input];
          if (ins.period === 0) {
            r.set(x.subarray(start, start + n));
          } else {
            // x[⌊i / every⌋ mod period] as runs: one repeated value, or a contiguous piece of x.
            for (let t = 0; t < n;) {
              const q = Math.floor((start + t) / ins.every);
              const j = q % ins.period;
              if (ins.every === 1) {
                const len = Math.min(ins.period - j, n - t);
                r.set(x.subarray(j, j + len), t);
                t += len;
              } else {
                const len = Math.min(ins.every - (start + t - q * ins.every), n - t);
                r.fill(x[j], t, t + len);
                t += len;
              }
            }
          }
          return;
        }
        case 'unary':
          unaryKernel(ins.op, regs[ins.a], r, n, ins.p0, ins.p1);
          return;
        case 'binary':
          binaryRun(
            ins.op,
            regs[ins.a],
            0,
            isScalar[ins.a] ? 0 : 1,
            regs[ins.b],
            0,
            isScalar[ins.b] ? 0 : 1,
            r,
            0,
            n,
          );
          return;
      }
    });
    // Every input of this tile has been read: the outputs may overwrite them now.
    program.outputs.forEach((k, j) => {
      if (isScalar[k]) outputs[j].fill(regs[k][0], start, start + n);
      else outputs[j].set(regs[k].subarray(0, n), start);
    });
  }
}
