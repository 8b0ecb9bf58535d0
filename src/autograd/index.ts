/**
 * autograd: the tape, backward(), noGrad(), gradcheck(), and the memory scopes
 * (tidy/keep/dispose/memory, implemented in tensor/ because every tensor registers).
 */
import { Tensor } from '../tensor/tensor.js';
import { backward } from './tape.js';

export { backward, noGrad, isGradEnabled, record } from './tape.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { tidy, keep, dispose, memory, type MemoryInfo } from '../tensor/scope.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Back-propagates from this tensor (a loss); see autograd/tape.ts. */
    backward(seed?: Tensor): void;
  }
}

Tensor.prototype.backward = function (this: Tensor, seed?: Tensor): void {
  backward(this, seed);
};
