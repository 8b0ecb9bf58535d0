/**
 * A fused element-wise program (Backend.fused) evaluated as a chain of the contract's own
 * `unary` and `binary` kernels, one register at a time: what fusion saves, spelled out. A
 * backend uses it where it cannot run a program in one pass (WebGPU when a program needs
 * more storage buffers than a shader stage may bind). Registers are rounded to the dtype
 * after every instruction, as in the one-pass kernels.
 */
import type { Backend, DType, FusedProgram, Storage } from './contract.js';

export function fusedByKernels(
  backend: Backend,
  program: FusedProgram,
  inputs: readonly Storage[],
  scalars: readonly number[],
  outputs: readonly Storage[],
  dtype: DType,
  size: number,
): void {
  const code = program.instructions;
  // A register holds one value when it depends on no input, else `size` values.
  const scalar: boolean[] = [];
  const regs: Storage[] = [];
  const lengthOf = (k: number) => (scalar[k] ? 1 : size);
  try {
    code.forEach((ins, k) => {
      scalar.push(
        ins.kind === 'scalar' ||
          (ins.kind === 'unary' && scalar[ins.a]) ||
          (ins.kind === 'binary' && scalar[ins.a] && scalar[ins.b]),
      );
      const r = backend.alloc(dtype, lengthOf(k));
      regs.push(r);
      switch (ins.kind) {
        case 'input': {
          const x = inputs[ins.input];
          if (ins.period === 0) {
            backend.cast(x, dtype, r, dtype, size);
          } else {
            // x repeated: read as [1, period, 1] under [size / (period·every), period, every].
            const zero = backend.upload(dtype, [0]);
            const outer = size / (ins.period * ins.every);
            backend.binary('add', x, [1, ins.period, 1], zero, [1], r, [outer, ins.period, ins.every], dtype);
            backend.free(zero);
          }
          return;
        }
        case 'scalar':
          backend.fill(r, dtype, 1, scalars[ins.scalar]);
          return;
        case 'unary':
          backend.unary(ins.op, regs[ins.a], r, dtype, lengthOf(k), ins.p0, ins.p1);
          return;
        case 'binary':
          backend.binary(
            ins.op,
            regs[ins.a],
            [lengthOf(ins.a)],
            regs[ins.b],
            [lengthOf(ins.b)],
            r,
            [lengthOf(k)],
            dtype,
          );
          return;
      }
    });
    program.outputs.forEach((k, j) => {
      if (scalar[k]) {
        const zero = backend.upload(dtype, [0]);
        backend.binary('add', regs[k], [1], zero, [1], outputs[j], [size], dtype);
        backend.free(zero);
      } else {
        backend.cast(regs[k], dtype, outputs[j], dtype, size);
      }
    });
  } finally {
    for (const r of regs) backend.free(r);
  }
}
