/**
 * A training step, as a strategy chosen once per run from the optimiser:
 *
 *   plain step     ŷ = net(x);  C = loss(ŷ, y);  ∇C by backpropagation;  w ← w + update(∇C)
 *   closure step   the optimiser calls the closure (zero the gradients, forward, backward)
 *                  as often as it needs (L-BFGS's line search, Newton), as torch.optim.LBFGS;
 *                  the step's prediction is then the network's after the step
 *
 * Either returns the prediction and the loss, for the metrics and the log.
 */
import { noGrad } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import type { LossFn } from '../losses/index.js';
import type { Layer } from '../nn/layer.js';
import { usesClosure, type Optimizer } from '../optim/index.js';
import { scalar } from '../tensor/creation.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainingDiagnostics } from './diagnose.js';

/** One step on a batch; `w` the batch's sample weights (fit's classWeight and sampleWeight), if any. */
export type StepFn = (x: Tensor, y: Tensor, w?: Tensor) => { prediction: Tensor; loss: Tensor };

export interface StepParts {
  net: Layer;
  lossFn: LossFn;
  lossName: string;
  optimizer: Optimizer;
  /** With fit({ diagnose }): forwards layer by layer, recording each output and gradient. */
  diagnostics: TrainingDiagnostics | null;
}

export function makeStep(parts: StepParts): StepFn {
  return usesClosure(parts.optimizer.transform) ? closureStep(parts) : plainStep(parts);
}

function lossOf({ lossFn, lossName }: StepParts, prediction: Tensor, y: Tensor, w?: Tensor): Tensor {
  const loss = w ? lossFn(prediction, y, w) : lossFn(prediction, y);
  if (loss.size !== 1)
    throw new ShapeError(
      `loss '${lossName}' returned shape ${formatShape(loss.shape)}; a loss must be a scalar.`,
    );
  return loss;
}

export function plainStep(parts: StepParts): StepFn {
  const { net, optimizer, diagnostics } = parts;
  return (x, y, w) => {
    optimizer.zeroGrad();
    const prediction = diagnostics
      ? diagnostics.forward(x, { training: true })
      : net.call(x, { training: true });
    const loss = lossOf(parts, prediction, y, w);
    loss.backward();
    diagnostics?.afterBackward();
    optimizer.step();
    return { prediction, loss };
  };
}

export function closureStep(parts: StepParts): StepFn {
  const { net, optimizer, diagnostics } = parts;
  return (x, y, w) => {
    // The closure's repeated evaluations are not recorded by the diagnostics.
    const value = optimizer.step(() => {
      optimizer.zeroGrad();
      const loss = lossOf(parts, net.call(x, { training: true }), y, w);
      loss.backward();
      return loss;
    });
    diagnostics?.afterBackward();
    const prediction = noGrad(() =>
      diagnostics ? diagnostics.forward(x, { training: false }) : net.call(x, { training: false }),
    );
    return { prediction, loss: scalar(value ?? NaN) };
  };
}
