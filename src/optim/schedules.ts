/** Learning-rate schedules: plain functions of the step count t = 0, 1, 2, … */
import type { Schedule } from './transform.js';

/** η(t) = η₀. */
export function constant(lr: number): Schedule {
  return () => lr;
}
