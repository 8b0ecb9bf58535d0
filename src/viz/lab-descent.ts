/**
 * Figures of the lectures' gradient-descent demonstrations: the worked linear-regression
 * example, local minima and starting points, the noise of a mini-batch gradient, the order of
 * presentation, the choice of divergence, and the separable set MSE backprop fails on. Each
 * takes the plain data its lab/ experiment returned; the captions quote this run's numbers.
 */
import type { RegressionStudy } from '../lab/regression.js';
import type { MinimaStudy } from '../lab/minima.js';
import type { GradientNoiseStudy } from '../lab/gradient-noise.js';
import { logLogSlope } from '../lab/gradient-noise.js';
import type { OrderStudy } from '../lab/order.js';
import type { DivergenceStudy } from '../lab/divergence.js';
import type { SeparationStudy } from '../lab/mse-separation.js';
import type { Grid } from '../lab/functions.js';
import { lineChart, type Series } from './charts.js';
import { contourChart, type ContourGrid } from './contour.js';
import { fieldPanels } from './images.js';
import { lineInBox } from './lab.js';
import { palette } from './render.js';
import { stripChart } from './strips.js';
import { percent, short, sig, type Figure } from './figure.js';

/** A lab grid drawn over the window [x₀, x₁] × [y₀, y₁]. */
export function contourGridOf(
  grid: Grid,
  x: readonly [number, number],
  y: readonly [number, number],
): ContourGrid {
  return { nx: grid.xs.length, ny: grid.ys.length, values: grid.values, x, y };
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const steps = (n: number) => Array.from({ length: n }, (_, k) => k);

/** J(θ₁) with its table, the J(θ₀, θ₁) contour with gradient descent, and J against step. */
export function regressionFigures(study: RegressionStudy): Figure[] {
  const { one, two } = study;
  const last = two.path[two.path.length - 1];
  const gap = two.cost[two.cost.length - 1] - two.optimumCost;
  const oneEnd = one.descent.theta1[one.descent.theta1.length - 1];
  return [
    {
      id: 'regression-one-parameter',
      title: 'J(θ₁) for h(x) = θ₁x on three points',
      caption:
        `The lecture’s opening example: the points (1, 1), (2, 2), (3, 3) fitted by h(x) = θ₁x, with the cost J(θ₁) = 1/(2m) Σ (θ₁xᵢ − yᵢ)². ` +
        `J is a parabola with its minimum J(1) = 0 — the table reads off the slide’s values (J(0.5) ≈ ${sig(one.table.find((r) => r.theta1 === 0.5)?.cost ?? NaN, 3)}, J(0) ≈ ${sig(one.table.find((r) => r.theta1 === 0)?.cost ?? NaN, 3)}). ` +
        `Gradient descent (η = ${one.descent.lr}) from θ₁ = 0 takes large steps where the slope is steep and ever smaller ones as it nears the bottom: after ${one.descent.theta1.length - 1} steps θ₁ = ${sig(oneEnd, 3)}.`,
      chart: lineChart({
        title: 'J(θ₁) and gradient descent on it',
        xTitle: 'θ₁',
        yTitle: 'J(θ₁)',
        series: [
          { name: 'J(θ₁)', x: one.curve.theta1, y: one.curve.cost, color: '#4e79a7' },
          {
            name: `gradient descent, η = ${one.descent.lr}`,
            x: one.descent.theta1,
            y: one.descent.cost,
            mark: 'linepoint',
            color: '#e15759',
          },
        ],
        width: 460,
        height: 280,
      }),
      table: {
        columns: ['θ₁', 'J(θ₁)'],
        rows: one.table.map((r) => [r.theta1, r.cost]),
        digits: 3,
      },
    },
    {
      id: 'regression-contour',
      title: 'J(θ₀, θ₁) with gradient descent',
      caption:
        `With both parameters, on ${two.data.x.length} noisy points of a line, J(θ₀, θ₁) is a bowl; its contours are long ellipses because x is not centred (θ₀ and θ₁ are coupled). ` +
        `Gradient descent (η = ${two.lr}, descent’s sgd, the gradient by autograd) first falls across the valley, then creeps along it towards the least-squares solution of the normal equations, θ* = (${sig(two.optimum[0], 3)}, ${sig(two.optimum[1], 3)}). ` +
        `After ${two.path.length - 1} steps it is at (${sig(last[0], 3)}, ${sig(last[1], 3)}).`,
      chart: contourChart({
        title: 'J(θ₀, θ₁) and the gradient-descent path',
        subtitle: `${two.data.x.length} points of y ≈ 0.8 + 1.5x; η = ${two.lr}, ${two.path.length - 1} steps`,
        grid: contourGridOf(two.grid, two.window.theta0, two.window.theta1),
        paths: [{ name: `gradient descent, η = ${two.lr}`, points: two.path, color: '#e15759' }],
        markers: [{ x: two.optimum[0], y: two.optimum[1], label: 'least squares', shape: 'star' }],
        logLevels: true,
        levels: 18,
        xTitle: 'θ₀ (intercept)',
        yTitle: 'θ₁ (slope)',
        valueTitle: 'J(θ₀, θ₁)',
        width: 440,
        showSteps: true,
      }),
    },
    {
      id: 'regression-cost',
      title: 'J(θₖ) − J(θ*) against step',
      caption:
        `The same descent as a curve: the gap to the least-squares cost falls geometrically — a straight line on the log scale, its slope set by the bowl’s smallest curvature, the long axis of the ellipses. ` +
        `After ${two.cost.length - 1} steps the gap is ${short(gap)}.`,
      chart: lineChart({
        title: 'Cost gap during gradient descent',
        xTitle: 'step k',
        yTitle: 'J(θₖ) − J(θ*)',
        series: [
          {
            name: 'gap',
            x: steps(two.cost.length),
            y: two.cost.map((c) => Math.max(c - two.optimumCost, 1e-16)),
            color: '#e15759',
          },
        ],
        logY: true,
        width: 460,
        height: 260,
      }),
    },
  ];
}

const minimumColors = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#e15759', '#76b7b2'];

/** Starts in 1-D and 2-D by the minimum they end in, escapes from a shallow well, the spread over seeds. */
export function minimaFigures(study: MinimaStudy): Figure[] {
  const { oneD, escape, twoD, seeds } = study;
  const label = (pts: readonly number[], value: number) =>
    `(${pts.map((v) => sig(v, 2)).join(', ')}), f = ${sig(value, 2)}`;
  const counts = (runs: ReadonlyArray<{ minimum: number }>, k: number) =>
    runs.filter((r) => r.minimum === k).length;
  const oneName = (k: number) => `ended in minimum ${k + 1} at x = ${sig(oneD.minima[k].point[0], 2)}`;
  const series1: Series[] = [
    { name: 'f(x)', x: oneD.curve!.x, y: oneD.curve!.f, color: '#999999' },
    ...oneD.minima
      .map((_, k) => k)
      .filter((k) => counts(oneD.runs, k) > 0)
      .map((k) => {
        const runs = oneD.runs.filter((r) => r.minimum === k);
        return {
          name: oneName(k),
          x: runs.map((r) => r.start[0]),
          y: runs.map((r) => r.losses[0]),
          mark: 'point' as const,
          color: minimumColors[k % minimumColors.length],
        };
      }),
  ];
  const deepest = oneD.minima.reduce((b, m, k) => (m.value < oneD.minima[b].value ? k : b), 0);
  const escapeNames = escape.runs
    .map((r) => `${r.label} ends at x = ${sig(r.points[r.points.length - 1], 2)} (minimum ${r.minimum + 1})`)
    .join('; ');
  const plain = escape.runs[0];
  const seedOk = seeds.finalAccuracy.filter((a) => a >= 0.99).length;
  const sortedLoss = [...seeds.finalLoss].sort((a, b) => a - b);
  return [
    {
      id: 'minima-1d',
      title: 'Where gradient descent ends depends on where it starts (1-D)',
      caption:
        `${oneD.fn.formula}: three minima of different depths (${oneD.minima.map((m, k) => `${k + 1}: ${label(m.point, m.value)}`).join('; ')}). ` +
        `Gradient descent (η = ${oneD.lr}, ${oneD.steps} steps) from ${oneD.runs.length} evenly spread starts: each dot is a start, coloured by the minimum it rolled into — ` +
        `${oneD.minima.map((_, k) => `${counts(oneD.runs, k)} into minimum ${k + 1}`).join(', ')}. Only the starts inside the deep well’s basin find the global minimum.`,
      chart: lineChart({
        title: 'Starts coloured by the minimum gradient descent reaches',
        subtitle: oneD.fn.formula,
        xTitle: 'x (start)',
        yTitle: 'f(x)',
        series: series1,
        width: 520,
        height: 280,
      }),
    },
    {
      id: 'minima-escape',
      title: 'Escaping a shallow minimum: momentum and a larger step',
      caption:
        `All three start at x = ${escape.start}, high on the right-hand slope, just above the shallow, narrow well (minimum ${oneD.minima.length}). ` +
        `Plain gradient descent with a small step rolls into the first dip it meets and stays there (x = ${sig(plain.points[plain.points.length - 1], 2)}). ` +
        `Momentum arrives with speed, overshoots the shallow well’s rim and settles further on; a step too large for the narrow well’s curvature (η > 2/f″) cannot settle in it but can in a wide one. Endings: ${escapeNames}. The deepest minimum is number ${deepest + 1}.`,
      chart: lineChart({
        title: 'Position against step from the same start',
        xTitle: 'step k',
        yTitle: 'xₖ',
        series: escape.runs.map((r, i) => ({
          name: r.label,
          x: steps(r.points.length),
          y: r.points,
          color: palette[i % palette.length],
        })),
        width: 520,
        height: 280,
      }),
    },
    {
      id: 'minima-2d',
      title: 'Basins of attraction in the plane',
      caption:
        `${twoD.fn.formula}, with four wells. Gradient descent (η = ${twoD.lr}) from a ${Math.round(Math.sqrt(twoD.runs.length))} × ${Math.round(Math.sqrt(twoD.runs.length))} grid of starts; each path is coloured by the minimum it ends in — ` +
        `${twoD.minima.map((m, k) => `${counts(twoD.runs, k)} paths end at ${label(m.point, m.value)}`).join('; ')}. ` +
        `The plane splits into basins, and only the starts in one of them find the lowest point.`,
      chart: contourChart({
        title: 'Gradient descent from a grid of starts',
        subtitle: twoD.fn.formula,
        grid: contourGridOf(twoD.grid!, twoD.fn.window[0], twoD.fn.window[1]),
        paths: [...twoD.runs]
          .sort((a, b) => a.minimum - b.minimum)
          .map((r) => ({
            name: `start ${r.start.map((v) => sig(v, 2)).join(', ')}`,
            points: r.points.filter((_, i) => i < 40 || i % 10 === 0 || i === r.points.length - 1),
            group: `ends in minimum ${r.minimum + 1} (f = ${sig(twoD.minima[r.minimum].value, 2)})`,
            color: minimumColors[r.minimum % minimumColors.length],
          })),
        markers: twoD.minima.map((m, k) => ({
          x: m.point[0],
          y: m.point[1],
          label: `${k + 1}`,
          shape: 'star' as const,
        })),
        levels: 16,
        xTitle: 'x',
        yTitle: 'y',
        valueTitle: 'f(x, y)',
        legendTitle: 'path',
        width: 440,
      }),
    },
    {
      id: 'minima-seeds',
      title: 'A small network’s final loss over seeds',
      caption:
        `${capitalised(seeds.description)}, once per seed of the initial weights (${seeds.seeds.length} seeds). Same data, same optimiser, same number of steps — ` +
        `and the final training loss ranges from ${short(sortedLoss[0])} to ${short(sortedLoss[sortedLoss.length - 1])} (median ${short(sortedLoss[Math.floor(sortedLoss.length / 2)])}): ` +
        `${seedOk} of ${seeds.seeds.length} seeds classify every training point, the others end on a plateau or in a poorer minimum of the network’s loss.`,
      chart: stripChart({
        title: 'Final training loss, one dot per seed',
        groups: [{ category: 'final training loss', values: seeds.finalLoss }],
        xTitle: seeds.description.split(',')[0],
        yTitle: 'training loss (cross-entropy)',
        logY: true,
        width: 320,
      }),
    },
  ];
}

/** Measured mini-batch gradient and loss variance against b, and the error estimate against N. */
export function noiseFigures(study: GradientNoiseStudy): Figure[] {
  const b = study.rows.map((r) => r.batchSize);
  const n = study.trainSamples;
  const fpc = (v: number) => (n - v) / (n - 1);
  const slope = logLogSlope(
    b,
    study.rows.map((r) => r.gradientVariance),
  );
  const ratio = study.rows.map((r) => (r.gradientVariance * r.batchSize) / study.traceSigma);
  const p = study.testError;
  const errorSlope = logLogSlope(
    study.errorRows.map((r) => r.samples),
    study.errorRows.map((r) => r.std),
  );
  return [
    {
      id: 'noise-gradient',
      title: 'Variance of the mini-batch gradient against batch size',
      caption:
        `${capitalised(study.description)}: N = ${n} training samples, ${study.parameters} parameters. From N single-sample gradients, the per-sample spread tr Σ = ${short(study.traceSigma)} (for scale, ‖ḡ‖² = ${short(study.fullGradientNormSquared)}). ` +
        `Each dot is the mean of ‖g_b − ḡ‖² over ${study.draws} real mini-batch gradients. Drawn with replacement they lie on the slides’ line tr Σ / b (fitted log-log slope ${sig(slope, 3)}; measured ÷ predicted between ${sig(Math.min(...ratio), 2)} and ${sig(Math.max(...ratio), 2)}). ` +
        `Drawn without replacement, as a batch of a shuffled epoch is, they follow tr Σ / b · (N − b)/(N − 1), which falls to 0 at b = N: quadrupling the batch halves the gradient’s noise (standard deviation), no more.`,
      chart: lineChart({
        title: 'E‖g_b − ḡ‖² against b',
        xTitle: 'batch size b',
        yTitle: 'E‖g_b − ḡ‖²',
        series: [
          { name: 'tr Σ / b', x: b, y: b.map((v) => study.traceSigma / v), color: '#999999', dashed: true },
          {
            name: 'tr Σ / b · (N − b)/(N − 1)',
            x: b,
            y: b.map((v) => (study.traceSigma / v) * fpc(v)),
            color: '#f28e2b',
            dashed: true,
          },
          {
            name: 'measured, with replacement',
            x: b,
            y: study.rows.map((r) => r.gradientVariance),
            mark: 'point',
            color: '#4e79a7',
          },
          {
            name: 'measured, without replacement',
            x: b,
            y: study.rows.map((r) => r.gradientVarianceWithout),
            mark: 'point',
            color: '#e15759',
          },
        ],
        logX: true,
        logY: true,
        xDomain: [0.7, 1.5 * Math.max(...b)],
        width: 460,
        height: 300,
      }),
    },
    {
      id: 'noise-loss',
      title: 'Variance of the mini-batch loss against batch size',
      caption:
        `The mini-batch loss L_b is an average of b per-sample losses too: its variance is σ²_ℓ / b with σ²_ℓ = ${short(study.lossSigma2)} (the full training loss is L = ${sig(study.fullLoss, 3)}). ` +
        `A training curve drawn from mini-batch losses is this noisy around the true loss.`,
      chart: lineChart({
        title: 'E(L_b − L)² against b',
        xTitle: 'batch size b',
        yTitle: 'E(L_b − L)²',
        series: [
          { name: 'σ²_ℓ / b', x: b, y: b.map((v) => study.lossSigma2 / v), color: '#999999', dashed: true },
          {
            name: 'measured, with replacement',
            x: b,
            y: study.rows.map((r) => r.lossVariance),
            mark: 'point',
            color: '#4e79a7',
          },
          {
            name: 'measured, without replacement',
            x: b,
            y: study.rows.map((r) => r.lossVarianceWithout),
            mark: 'point',
            color: '#e15759',
          },
        ],
        logX: true,
        logY: true,
        xDomain: [0.7, 1.5 * Math.max(...b)],
        width: 460,
        height: 300,
      }),
    },
    {
      id: 'noise-error',
      title: 'How exact is an error rate measured on N samples?',
      caption:
        `The network’s error on all ${study.testSamples} test samples is p = ${percent(p)}. Measured instead on N random test samples, the estimate is unbiased but scatters with standard deviation √(p(1 − p)/N): ` +
        `fitted slope ${sig(errorSlope, 3)} on the log-log plot (−0.5 expected). On ${study.errorRows[0]?.samples} samples the estimate is off by about ${percent(study.errorRows[0]?.std ?? NaN)}; a difference of a fraction of a percent between two models needs thousands of test samples to mean anything.`,
      chart: lineChart({
        title: 'Standard deviation of the estimated error rate',
        xTitle: 'test samples N',
        yTitle: 'std of the error estimate',
        series: [
          {
            name: '√(p(1 − p)/N)',
            x: study.errorRows.map((r) => r.samples),
            y: study.errorRows.map((r) => Math.sqrt((p * (1 - p)) / r.samples)),
            color: '#999999',
            dashed: true,
          },
          {
            name: 'measured (400 draws each)',
            x: study.errorRows.map((r) => r.samples),
            y: study.errorRows.map((r) => r.std),
            mark: 'point',
            color: '#4e79a7',
          },
        ],
        logX: true,
        logY: true,
        xDomain: [
          0.7 * study.errorRows[0].samples,
          1.5 * study.errorRows[study.errorRows.length - 1].samples,
        ],
        width: 460,
        height: 280,
      }),
    },
  ];
}

/** The loss after every step at the end of training, and the lag that matches it best. */
export function orderFigures(study: OrderStudy): Figure[] {
  const n = study.epochLength;
  const shown = 3 * n;
  const tail = (loss: readonly number[]) => {
    const from = loss.length - shown - 1;
    return { x: steps(shown + 1).map((k) => (from + k) / n), y: loss.slice(from) };
  };
  const lags = study.fixed.mismatch.map((_, k) => k + 1);
  const at = (r: { mismatch: number[] }, lag: number) => r.mismatch[lag - 1];
  return [
    {
      id: 'order-loss',
      title: 'Fixed order against reshuffling: the loss after every step',
      caption:
        `Softmax regression on ${n} points in two overlapping classes, sorted by class, trained by SGD one sample per step (η = ${study.lr}) for ${study.epochs} epochs. Shown: the training loss on the whole set after every step of the last three epochs. ` +
        `In a fixed order, each epoch first pulls the model towards class 0, then towards class 1: the loss traces the same wave every epoch — a cycle with a period of exactly one epoch (${n} steps), never settling. ` +
        `Reshuffled every epoch, it jitters without a pattern.`,
      chart: lineChart({
        title: 'Training loss after every SGD step (last three epochs)',
        xTitle: 'epoch',
        yTitle: 'training loss',
        series: [
          { name: study.fixed.label, ...tail(study.fixed.loss), color: '#e15759' },
          { name: study.shuffled.label, ...tail(study.shuffled.loss), color: '#4e79a7' },
        ],
        width: 560,
        height: 280,
      }),
    },
    {
      id: 'order-period',
      title: 'The period of the cycle',
      caption:
        `How far the loss curve is from itself shifted by a lag: the mean |L(t + lag) − L(t)| over the last ${study.tailEpochs} epochs. ` +
        `For the fixed order it drops to ${short(at(study.fixed, n))} at lag ${n} — one epoch — against ${short(at(study.fixed, Math.round(n / 2)))} half an epoch away; the smallest mismatch is at lag ${study.period.fixed}. ` +
        `The reshuffled run has no such dip (${short(at(study.shuffled, n))} at lag ${n}).`,
      chart: lineChart({
        title: 'Mean |L(t + lag) − L(t)| against lag',
        xTitle: 'lag (steps)',
        yTitle: 'mean |L(t + lag) − L(t)|',
        series: [
          { name: study.fixed.label, x: lags, y: study.fixed.mismatch, color: '#e15759' },
          { name: study.shuffled.label, x: lags, y: study.shuffled.mismatch, color: '#4e79a7' },
        ],
        markers: [{ x: n, label: 'one epoch' }],
        width: 560,
        height: 260,
      }),
    },
  ];
}

/** The error surfaces of one sigmoid unit under L2 and cross-entropy, and a network's curves. */
export function divergenceFigures(study: DivergenceStudy): Figure[] {
  const { unit, network } = study;
  const moved = unit.surfaces.map((s) => {
    const end = s.path[s.path.length - 1];
    return `${s.label}: from loss ${sig(s.losses[0], 3)} to ${sig(s.losses[s.losses.length - 1], 3)}, ending at (w, b) = (${sig(end[0], 2)}, ${sig(end[1], 2)})`;
  });
  const finalError = (c: (typeof network.curves)[number]) => c.testError[c.testError.length - 1];
  return [
    {
      id: 'divergence-surfaces',
      title: 'One sigmoid unit: the L2 surface against the cross-entropy surface',
      caption:
        `The loss of p = σ(wx + b) on ${unit.x.length} points of two classes, over (w, b). Under L2 the gradient carries σ′ = p(1 − p), which vanishes where the unit saturates — also where it is confidently wrong: the surface has wide flat plateaus. ` +
        `Under cross-entropy σ′ cancels (∂/∂z = p − y) and the surface is a convex bowl. Gradient descent (η = ${unit.lr}, ${unit.steps} steps) from the same confidently wrong start (${unit.start.join(', ')}): ${moved.join('; ')}.`,
      chart: fieldPanels({
        title: 'Loss of one sigmoid unit over (w, b)',
        subtitle: `gradient descent from (${unit.start.join(', ')}), η = ${unit.lr}, ${unit.steps} steps`,
        panels: unit.surfaces.map((s) => ({
          name: s.label,
          grid: contourGridOf(s.grid, unit.window.w, unit.window.b),
          paths: [{ name: 'gradient descent', points: s.path, color: '#e15759' }],
          markers: [{ x: unit.start[0], y: unit.start[1], label: 'start' }],
        })),
        xTitle: 'w',
        yTitle: 'b',
        valueTitle: 'loss',
        width: 280,
        height: 260,
        scheme: 'viridis',
      }),
    },
    {
      id: 'divergence-curves',
      title: 'The same network trained under L2 and under cross-entropy',
      caption:
        `${capitalised(network.description)}: the same initial weights under each loss. ${network.curves.map((c) => `${c.label}: ${percent(finalError(c))} test error after ${network.epochs} epochs`).join('; ')}. ` +
        `From large initial weights the softmax saturates and L2’s gradient nearly vanishes — it learns slowly or not at all — while cross-entropy is barely slowed.`,
      chart: lineChart({
        title: 'Test error against epoch',
        xTitle: 'epoch',
        yTitle: 'test error',
        series: network.curves.map((c, i) => ({
          name: c.label,
          x: steps(c.testError.length),
          y: c.testError,
          mark: 'linepoint' as const,
          color: ['#e15759', '#4e79a7', '#f28e2b', '#59a14f'][i % 4],
          dashed: c.init === 'saturating',
        })),
        width: 520,
        height: 300,
      }),
    },
  ];
}

/** The separable set with the three learned lines, and the training errors per epoch. */
export function separationFigures(study: SeparationStudy): Figure[] {
  const xs = study.points.map((p) => p.x);
  const ys = study.points.map((p) => p.y);
  const box = {
    x: [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5] as [number, number],
    y: [Math.min(...ys) - 0.5, Math.max(...ys) + 0.5] as [number, number],
  };
  const outlier = study.points[study.outlier];
  const colors = { perceptron: '#e15759', mse: '#333333', crossEntropy: '#59a14f' } as const;
  const series: Series[] = [0, 1].map((label) => ({
    name: `class ${label}`,
    x: study.points.filter((p, i) => p.label === label && i !== study.outlier).map((p) => p.x),
    y: study.points.filter((p, i) => p.label === label && i !== study.outlier).map((p) => p.y),
    mark: 'point' as const,
    color: label === 0 ? '#4e79a7' : '#f28e2b',
  }));
  series.push({
    name: 'the extra class-1 point',
    x: [outlier.x],
    y: [outlier.y],
    mark: 'point',
    color: '#b07aa1',
  });
  for (const r of study.runs)
    series.push({
      name: r.label,
      ...lineInBox(r.w, r.b, box),
      color: colors[r.name],
      dashed: r.name === 'mse',
    });
  const last = (r: (typeof study.runs)[number]) => r.errors[r.errors.length - 1];
  const mistakes = (n: number) => `${n} mistake${n === 1 ? '' : 's'}`;
  const byName = (name: string) => study.runs.find((r) => r.name === name)!;
  const mse = byName('mse');
  const perceptron = byName('perceptron');
  const ce = byName('crossEntropy');
  const mseOut = mse.outlierOutput[mse.outlierOutput.length - 1];
  return [
    {
      id: 'separation-lines',
      title: 'A separable set that MSE backprop fails to separate',
      caption:
        `Two boxes of ${(study.points.length - 1) / 2} points each and one extra point of class 1 at (${outlier.x}, ${outlier.y}). A line separates all of them (margin ${sig(study.separator.margin, 2)}), but the bulk alone is best split vertically. ` +
        `The perceptron rule stops with ${mistakes(last(perceptron))} after ${perceptron.errors.length} epochs. A sigmoid unit trained on L2 (η = ${study.lr}, ${study.epochs} epochs) learns the bulk first; by then the extra point is a confident mistake, σ(z) = ${short(mseOut)}, whose L2 gradient carries σ′ ≈ 0 — it is ignored and ${last(mse) === 1 ? '1 point stays' : `${last(mse)} points stay`} misclassified. ` +
        `Cross-entropy cancels σ′ and ends with ${mistakes(last(ce))}. (Brady, Raghavan & Slawny, 1989.)`,
      chart: lineChart({
        title: 'The learned lines',
        xTitle: 'x₁',
        yTitle: 'x₂',
        series,
        xDomain: box.x,
        yDomain: box.y,
        width: 440,
        height: 320,
      }),
    },
    {
      id: 'separation-errors',
      title: 'Training mistakes per epoch',
      caption: `The perceptron’s mistakes during each epoch fall to 0 and it stops (Novikoff); the L2-trained unit settles at ${last(mse)} and stays there for the remaining epochs — a plateau, not a slow descent; cross-entropy reaches ${last(ce)}.`,
      chart: lineChart({
        title: 'Misclassified training points after each epoch',
        xTitle: 'epoch',
        yTitle: 'misclassified points',
        series: study.runs.map((r) => ({
          name: r.label,
          x: r.errors.map((_, k) => k + 1),
          y: r.errors,
          mark: (r.name === 'perceptron' ? 'linepoint' : 'line') as 'linepoint' | 'line',
          color: colors[r.name],
          dashed: r.name === 'mse',
        })),
        logX: true,
        width: 520,
        height: 260,
      }),
    },
  ];
}
