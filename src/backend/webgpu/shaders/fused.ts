/**
 * WGSL for a fused element-wise program (Backend.fused): one thread per element evaluates
 * the registers in order — the same f32 expressions as the unary and binary kernels — and
 * stores the outputs. Parameter words: 0 the count, 1 + s the bits of scalar s.
 *
 * Buffers. Each distinct storage is bound once, read_write when the program writes it: an
 * output that is also an input is read and written through the same binding (WebGPU forbids
 * binding one buffer twice when one binding is writable), and each thread reads its element
 * before writing it.
 */
import type { FusedProgram } from '../../contract.js';
import { f32Bits, header, main1d, type BindingDecl } from '../wgsl.js';
import { BINARY_F32, NAN_TO_ZERO, UNARY } from './elementwise.js';

/** The most scalars one program may have (parameter words after the count). */
export const MAX_FUSED_SCALARS = 63;

const bitsLiteral = (x: number) => `bitcast<f32>(${f32Bits(x)}u)`;

/**
 * `inputBinding[k]` / `outputBinding[j]`: the binding of input k / output j; `writable[b]`
 * whether binding b is written.
 */
export function fusedSource(
  program: FusedProgram,
  inputBinding: readonly number[],
  outputBinding: readonly number[],
  writable: readonly boolean[],
): string {
  const bindings: BindingDecl[] = writable.map((w, b) => ({
    name: `B${b}`,
    type: 'f32',
    access: w ? 'read_write' : 'read',
  }));
  const functions: string[] = [];
  const body: string[] = [];
  program.instructions.forEach((ins, k) => {
    switch (ins.kind) {
      case 'input': {
        const index = ins.period === 0 ? 'i' : `(i / ${ins.every}u) % ${ins.period}u`;
        body.push(`  let r${k} = B${inputBinding[ins.input]}[${index}];`);
        return;
      }
      case 'scalar':
        body.push(`  let r${k} = pf(${1 + ins.scalar}u);`);
        return;
      case 'unary': {
        const nan = NAN_TO_ZERO.has(ins.op) ? '0.0' : 'x';
        functions.push(
          `fn f${k}(x: f32) -> f32 {\n  let p0 = ${bitsLiteral(ins.p0)};\n  let p1 = ${bitsLiteral(ins.p1)};\n` +
            `  _ = p0;\n  _ = p1;\n  if (isNan(x)) { return ${nan}; }\n  return ${UNARY[ins.op]};\n}`,
        );
        body.push(`  let r${k} = f${k}(r${ins.a});`);
        return;
      }
      case 'binary':
        functions.push(`fn f${k}(a: f32, b: f32) -> f32 { return ${BINARY_F32[ins.op]}; }`);
        body.push(`  let r${k} = f${k}(r${ins.a}, r${ins.b});`);
        return;
    }
  });
  program.outputs.forEach((k, j) => body.push(`  B${outputBinding[j]}[i] = r${k};`));
  return header(bindings) + functions.join('\n') + main1d(body.join('\n'));
}
