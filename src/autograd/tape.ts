/**
 * Reverse-mode automatic differentiation.
 *
 * Every op that sees an input requiring a gradient records a `GradFn` on its output:
 * the inputs and a backward function (written next to the op's forward in ops/). The
 * recorded ops form the tape — a graph whose reverse topological order is the order
 * of the backward pass:
 *
 *   backward(L):  ∂L/∂L = 1;  for each recorded op y = f(x₁…xₙ), latest first:
 *                 ∂L/∂xᵢ += backwardᵢ(∂L/∂y)
 *
 * Leaves (tensors made by the user with requiresGrad, i.e. parameters) accumulate
 * ∂L/∂leaf into `.grad`, like PyTorch: call `zeroGrad` between steps.
 */
import { DescentError, ShapeError } from '../errors.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { keep, tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording: for inference, metrics and optimiser updates. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Records how `out` was made, if any input needs a gradient. Ops call this last:
 * `return record(out, 'mul', [a, b], (dy) => [mul(dy, b), mul(dy, a)])`.
 */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: (dy: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

/** A same-backend copy of `t`, untouched by later in-place updates. */
function copyOf(t: Tensor): Tensor {
  const storage = t.backend.alloc(t.dtype, t.size);
  t.backend.cast(t.storage, t.dtype, storage, t.dtype, t.size);
  return new Tensor(storage, t.shape, t.dtype, t.backend);
}

function sumOf(a: Tensor, b: Tensor): Tensor {
  const storage = a.backend.alloc(a.dtype, a.size);
  a.backend.binary('add', a.storage, a.shape, b.storage, b.shape, storage, a.shape, a.dtype);
  return new Tensor(storage, a.shape, a.dtype, a.backend);
}

/** The recorded tensors reachable from `root`, inputs before the ops that used them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative depth-first search, so deep networks cannot overflow the call stack.
  const stack: Array<{ t: Tensor; next: number }> = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const inputs = frame.t.gradFn?.inputs ?? [];
    if (frame.next < inputs.length) {
      const input = inputs[frame.next++];
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push({ t: input, next: 0 });
      }
    } else {
      order.push(frame.t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Back-propagates from `root`. `seed` is ∂L/∂root; it defaults to 1 and may be
 * omitted only for a one-element root (a loss), as in PyTorch.
 */
export function backward(root: Tensor, seed?: Tensor): void {
  root.assertAlive('backward()');
  if (!root.requiresGrad) {
    throw new DescentError(
      'backward(): this tensor does not require a gradient — no input of the computation had requiresGrad ' +
        '(were the parameters created with requiresGrad, and was the loss computed outside noGrad()?).',
    );
  }
  let ownSeed = false;
  if (!seed) {
    if (root.size !== 1) {
      throw new ShapeError(
        `backward(): the root has shape ${formatShape(root.shape)}; pass ∂L/∂root explicitly for non-scalar roots.`,
      );
    }
    const storage = root.backend.alloc(root.dtype, 1);
    root.backend.fill(storage, root.dtype, 1, 1);
    seed = new Tensor(storage, root.shape, root.dtype, root.backend);
    ownSeed = true;
  } else if (!sameShape(seed.shape, root.shape)) {
    throw new ShapeError(
      `backward(): seed shape ${formatShape(seed.shape)} must equal the root's ${formatShape(root.shape)}.`,
    );
  }

  // Pending gradients, with a count of how many entries hold each tensor so that a
  // gradient can be freed the moment nothing will read it again.
  const grads = new Map<Tensor, Tensor>();
  const holders = new Map<Tensor, number>();
  const hold = (t: Tensor) => holders.set(t, (holders.get(t) ?? 0) + 1);
  const release = (t: Tensor) => holders.set(t, (holders.get(t) ?? 1) - 1);
  const freeIfUnused = (t: Tensor) => {
    if ((holders.get(t) ?? 0) <= 0 && (ownSeed || t !== seed) && !t.kept) t.dispose();
  };
  grads.set(root, seed);
  hold(seed);

  const order = topologicalOrder(root);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    release(g);
    const fn = t.gradFn;
    if (!fn) {
      // A leaf: accumulate into .grad, which belongs to the leaf from now on.
      if (t.grad && !t.grad.isDisposed) {
        t.backend.binary(
          'add',
          t.grad.storage,
          t.shape,
          g.storage,
          g.shape,
          t.grad.storage,
          t.shape,
          t.dtype,
        );
      } else {
        t.grad = keep(copyOf(g));
      }
      freeIfUnused(g);
      continue;
    }
    // tidy frees the op's temporaries (reshapes, masks, constants) as soon as its gradients exist.
    const inputGrads = tidy(() => noGrad(() => fn.backward(g)));
    for (let k = 0; k < fn.inputs.length; k++) {
      const input = fn.inputs[k];
      const gi = inputGrads[k];
      if (!gi || !input.requiresGrad) continue;
      if (!sameShape(gi.shape, input.shape)) {
        throw new ShapeError(
          `backward of '${fn.op}': gradient for input ${k} has shape ${formatShape(gi.shape)}, ` +
            `expected ${formatShape(input.shape)} (a bug in the op's backward).`,
        );
      }
      const existing = grads.get(input);
      if (existing) {
        const total = sumOf(existing, gi);
        release(existing);
        grads.set(input, total);
        hold(total);
        freeIfUnused(existing);
      } else {
        grads.set(input, gi);
        hold(gi);
      }
    }
    for (const gi of inputGrads) if (gi) freeIfUnused(gi);
    freeIfUnused(g);
  }
}
