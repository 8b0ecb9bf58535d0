/**
 * The lab's figures: each takes the plain data an experiment returned (the types are
 * lab's; nothing here runs an experiment) and gives chart specifications with a title and
 * a caption saying what the picture shows and what to notice — with the numbers of this run.
 */
import type { Trajectory } from '../lab/trajectories.js';
import type { Grid, TestFunction } from '../lab/functions.js';
import type { NetworkRun, QuadraticRegimes } from '../lab/lr.js';
import type { ActivationStudy, NormPropagation } from '../lab/init.js';
import type { GradientStudy } from '../lab/gradients.js';
import type { BatchSeries } from '../lab/batch.js';
import type { DirectionNormalization, Slice1d, Surface2d } from '../lab/landscape.js';
import type { LrFindResult } from '../lab/lrfind.js';
import type { ApproxResult } from '../lab/approx.js';
import type { PerceptronStudy } from '../lab/perceptron.js';
import type { KMeansStudy } from '../lab/kmeans.js';
import { animatedContour } from './animate.js';
import { heatmapChart, histogramGrid, lineChart, type Series } from './charts.js';
import { contourChart, type ContourOptions } from './contour.js';
import { surfaceChart } from './surface.js';
import { palette } from './render.js';
import { short, sig, type Figure } from './figure.js';

export { renderFigure, type Figure } from './figure.js';

function pathLabel(t: Trajectory): string {
  return `${t.optimizer} (η = ${sig(t.lr)})`;
}

/** The step at which a path first leaves the plotted window, if it does. */
function leftWindowAt(t: Trajectory, fn: TestFunction): number | null {
  const k = t.points.findIndex(
    ([x, y]) => x < fn.window.x[0] || x > fn.window.x[1] || y < fn.window.y[0] || y > fn.window.y[1],
  );
  return k < 0 ? null : k;
}

function statusNote(t: Trajectory, fn?: TestFunction): string | undefined {
  if (t.status === 'diverged') return `diverged at step ${t.stoppedAt}`;
  if (fn && fn.minima.length === 0) {
    const k = leftWindowAt(t, fn);
    if (k !== null) return `left the plot at step ${k}`;
  }
  if (t.status === 'escaped') return `left at step ${t.stoppedAt}`;
  return undefined;
}

const FUNCTION_NOTES: Record<string, string> = {
  beale:
    'Beale’s function has flat plateaus next to steep walls: the gradient ranges over orders of magnitude. Plain gradient descent ' +
    'and momentum must use small rates to survive the walls and then crawl across the plateau, while methods that divide by a ' +
    'running gradient size (Adagrad, RMSProp, Adam and its relatives) take steps of similar length everywhere.',
  rosenbrock:
    'Reaching the curved valley of Rosenbrock’s function is easy — its walls are steep — but its floor falls only gently towards (1, 1). ' +
    'Gradient descent has to keep a rate small enough for the walls and therefore creeps along the floor; momentum builds up speed ' +
    'along it, and adaptive methods rescale the two coordinates.',
  saddle:
    'Started just off the ridge y = 0 of the saddle x² − y², plain gradient descent heads for the saddle point and stalls there: ' +
    'the escaping coordinate only grows as (1 + 2η)ᵏ·y₀. Momentum accumulates that small push and leaves sooner; adaptive methods ' +
    'divide by the tiny gradient in y and escape almost at once. Newton’s method jumps to the stationary point of its quadratic model — ' +
    'the saddle itself — and stays there. Leaving the window is success here (the function has no minimum).',
  quadratic:
    'An ill-conditioned bowl: the curvature is 20 times larger along y than along x, so a rate safe along y (η < 2/20) is small along x. ' +
    'Gradient descent zig-zags across the narrow direction while crawling along the long one; momentum damps the zig-zag and speeds ' +
    'along the valley, and per-coordinate methods (RMSProp, Adam) undo this axis-aligned ill-conditioning almost entirely.',
};

function outcomeSentence(fn: TestFunction, trajectories: readonly Trajectory[]): string {
  const ran = trajectories.filter((t) => t.status !== 'skipped');
  if (fn.minima.length === 0) {
    const left = ran.map((t) => ({ t, k: leftWindowAt(t, fn) }));
    const escaped = left.filter((e) => e.k !== null).sort((a, b) => a.k! - b.k!);
    const stayed = left.filter((e) => e.k === null).map((e) => e.t);
    const parts: string[] = [];
    if (escaped.length > 0)
      parts.push(
        `Left the plot (in order): ${escaped.map((e) => `${e.t.optimizer} (step ${e.k})`).join(', ')}.`,
      );
    if (stayed.length > 0)
      parts.push(`Still inside after ${fn.steps} steps: ${stayed.map((t) => t.optimizer).join(', ')}.`);
    return parts.join(' ');
  }
  const close = ran.filter((t) => t.status === 'ok' && t.distanceToMinimum < 1e-2);
  const far = ran.filter((t) => !(t.status === 'ok' && t.distanceToMinimum < 1e-2));
  const parts: string[] = [];
  if (close.length > 0)
    parts.push(
      `Within 0.01 of the minimum after ${fn.steps} steps: ${close.map((t) => t.optimizer).join(', ')}.`,
    );
  if (far.length > 0) {
    parts.push(
      `Not there yet: ${far
        .map((t) =>
          t.status === 'ok'
            ? `${t.optimizer} (${sig(t.distanceToMinimum)} away)`
            : `${t.optimizer} (${statusNote(t)})`,
        )
        .join(', ')}.`,
    );
  }
  return parts.join(' ');
}

/** Optimiser families, so that each contour plot shows a handful of paths that can be told apart. */
export const optimizerFamilies: ReadonlyArray<{ name: string; title: string; members: readonly string[] }> = [
  { name: 'gd', title: 'gradient descent and momentum', members: ['sgd', 'momentum', 'nesterov'] },
  {
    name: 'adaptive',
    title: 'adaptive learning rates',
    members: ['adagrad', 'rmsprop', 'adadelta', 'adam', 'adamw', 'adamax', 'nadam', 'amsgrad'],
  },
  {
    name: 'second-order',
    title: 'sign-based and second-order methods',
    members: ['rprop', 'quickprop', 'lbfgs', 'newton'],
  },
];

/** The family an optimiser belongs to ('other' for names the table does not know). */
export function familyOf(optimizer: string): string {
  return optimizerFamilies.find((f) => f.members.includes(optimizer))?.name ?? 'other';
}

/** Where a run that stopped moving away from the minimum came to rest (a saddle, for Newton). */
function stalledNote(t: Trajectory): string | null {
  const n = t.points.length;
  if (t.status !== 'ok' || n < 3 || !(t.distanceToMinimum > 1e-2)) return null;
  const [a, b] = [t.points[n - 2], t.points[n - 1]];
  if (Math.hypot(a[0] - b[0], a[1] - b[1]) > 1e-9) return null;
  return `${t.optimizer} came to rest at the stationary point (${b.map((v) => sig(v, 3)).join(', ')}), which is not the minimum`;
}

/** The classic set of Radford's animations, when registered; otherwise every path. */
const ANIMATED = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam'];

/**
 * For one test function: a contour plot with the paths of each optimiser family, the loss
 * against step (a panel per family), and an animation of the classic optimisers.
 */
export function optimizerFigures(
  fn: TestFunction,
  grid: Grid,
  trajectories: readonly Trajectory[],
): Figure[] {
  const colorOf = new Map(trajectories.map((t, k) => [t.optimizer, palette[k % palette.length]]));
  const shown = trajectories.filter((t) => t.status !== 'skipped' && t.points.length > 0);
  const skipped = trajectories.filter((t) => t.status === 'skipped');
  const skippedNote =
    skipped.length > 0
      ? ` Not drawn: ${skipped.map((t) => `${t.optimizer} (${t.note ?? 'could not run'})`).join('; ')}.`
      : '';
  const stalled = shown.map(stalledNote).filter((n): n is string => n !== null);
  const stalledText =
    stalled.length > 0
      ? ` Note: ${stalled.join('; ')} — Newton-type steps are attracted to any stationary point of the local quadratic model.`
      : '';
  const markers = [
    ...fn.minima.map(([x, y]) => ({ x, y, label: 'minimum', shape: 'star' as const })),
    ...fn.saddles.map(([x, y]) => ({ x, y, label: 'saddle', shape: 'cross' as const })),
  ];
  const contourFor = (runs: readonly Trajectory[], what: string): ContourOptions => ({
    title: `${fn.title}: ${what}`,
    subtitle: `${fn.formula}; start (${fn.start.join(', ')}), ${fn.steps} steps`,
    grid: { nx: grid.xs.length, ny: grid.ys.length, values: grid.values, x: fn.window.x, y: fn.window.y },
    paths: runs.map((t) => ({
      name: pathLabel(t),
      points: t.points,
      note: statusNote(t, fn),
      color: colorOf.get(t.optimizer),
    })),
    markers,
    logLevels: fn.logLevels,
    legendTitle: 'optimiser (learning rate)',
    valueTitle: 'f(x, y)',
  });
  const families = [...optimizerFamilies.map((f) => f.name), 'other']
    .map((name) => ({
      name,
      title: optimizerFamilies.find((f) => f.name === name)?.title ?? 'other optimisers',
      runs: shown.filter((t) => familyOf(t.optimizer) === name),
    }))
    .filter((f) => f.runs.length > 0);
  const gap = fn.minValue !== null;
  const lossSeries: Series[] = shown.map((t) => ({
    name: pathLabel(t),
    x: t.losses.map((_, k) => k),
    y: gap ? t.losses.map((l) => Math.max(l - fn.minValue!, 1e-16)) : t.losses,
    color: colorOf.get(t.optimizer),
    ...(families.length > 1 ? { panel: families.find((f) => f.runs.includes(t))!.title } : {}),
  }));
  const notes = FUNCTION_NOTES[fn.name] ?? '';
  const outcome = `${outcomeSentence(fn, shown)}${stalledText}${skippedNote}`;
  const figures: Figure[] = families.map((family, i) => ({
    id: `optimizers-${fn.name}-${family.name}`,
    title: `${fn.title}: ${family.title}`,
    caption: i === 0 ? `${notes}\n\n${outcome}` : `The same start and window, for ${family.title}.`,
    chart: contourChart(contourFor(family.runs, family.title)),
  }));
  figures.push({
    id: `optimizers-${fn.name}-loss`,
    title: `${fn.title}: loss against step`,
    caption: gap
      ? 'The gap to the minimum value, f(θₖ) − f*, on a log scale: a straight descending line is linear convergence, a flat stretch is a plateau, and a curve that bends down sharply is an optimiser that has found the right scale.'
      : `f(θₖ) on a linear scale, cut at the lowest value f takes in the plotted window (${sig(grid.min)}): the function is unbounded below, so the sooner a curve falls to the floor of the chart, the sooner that optimiser left the saddle.`,
    chart: lineChart({
      title: `${fn.title}: loss against step`,
      xTitle: 'step k',
      yTitle: gap ? 'f(θₖ) − f*' : 'f(θₖ)',
      logY: gap,
      series: lossSeries,
      legendTitle: 'optimiser (learning rate)',
      // Unbounded below: one escaping run would flatten the rest, so keep to the window's values.
      ...(gap ? {} : { yDomain: [grid.min, Math.max(grid.max, ...shown.map((t) => t.losses[0]))] as const }),
      ...(families.length > 1 ? { columns: families.length, width: 230, height: 200 } : { width: 460 }),
    }),
  });
  const classic = shown.filter((t) => ANIMATED.includes(t.optimizer));
  const animated = classic.length >= 2 ? classic : shown;
  figures.push({
    id: `optimizers-${fn.name}-animation`,
    title: `${fn.title}: animation`,
    caption: `${animated.map((t) => t.optimizer).join(', ')} as an animation, one step per tick on a shared clock, so the quick ones arrive first. (Animated SVG: it plays in a browser; a still renderer shows the start.)`,
    render: () => animatedContour(contourFor(animated, 'animation')),
  });
  return figures;
}

/** A y range for loss curves that keeps a diverging curve from flattening the others. */
function lossDomain(runs: readonly NetworkRun[]): [number, number] {
  const finite = runs.flatMap((r) => r.losses.filter((v) => Number.isFinite(v) && v > 0));
  const start = Math.max(...runs.map((r) => r.losses[0]).filter(Number.isFinite));
  return [Math.max(Math.min(...finite), 1e-4), start * 10];
}

/** Too small, good, large, too large: blue, green, orange, red in every learning-rate figure. */
const REGIME_COLORS = ['#4e79a7', '#59a14f', '#f28e2b', '#e15759', '#b07aa1'];

/** The lecture's J(θ) picture at four rates, |θₖ| on a log scale, and a network's loss curves. */
export function lrFigures(
  quadratic: QuadraticRegimes,
  network: readonly NetworkRun[],
  dataName = 'the bundled digits',
): Figure[] {
  const panels: Series[] = [];
  quadratic.runs.forEach((run, k) => {
    const panel = `η = ${run.lr}: ${run.label}`;
    const inRange = run.thetas.map((t) => Math.abs(t) <= Math.max(...quadratic.curve.theta));
    panels.push({
      name: 'J(θ) = θ²',
      x: quadratic.curve.theta,
      y: quadratic.curve.loss,
      color: '#9a9a9a',
      panel,
    });
    panels.push({
      name: `θₖ at η = ${run.lr}`,
      x: run.thetas.filter((_, i) => inRange[i]),
      y: run.losses.filter((_, i) => inRange[i]),
      mark: 'linepoint',
      color: REGIME_COLORS[k % REGIME_COLORS.length],
      panel,
    });
  });
  const thetaSeries: Series[] = quadratic.runs.map((run, k) => ({
    name: `η = ${run.lr} (${run.kind})`,
    x: run.thetas.map((_, i) => i),
    y: run.thetas.map(Math.abs),
    mark: 'linepoint',
    color: REGIME_COLORS[k % REGIME_COLORS.length],
  }));
  const smooth = (v: readonly number[]) => {
    let avg = 0;
    return v.map((x, i) => {
      avg = 0.9 * avg + 0.1 * x;
      return avg / (1 - Math.pow(0.9, i + 1));
    });
  };
  // Cold to hot with the rate: small rates blue, large ones red.
  const ramp = ['#4e79a7', '#76b7b2', '#59a14f', '#f28e2b', '#e15759'];
  const byRate = [...network].sort((a, b) => a.lr - b.lr);
  const rateColor = (lr: number) => {
    const k = byRate.findIndex((r) => r.lr === lr);
    return ramp[byRate.length > 1 ? Math.round((k * (ramp.length - 1)) / (byRate.length - 1)) : 2];
  };
  const netSeries: Series[] = network.map((run) => ({
    name: `η = ${run.lr} (${run.kind}${run.divergedAt !== null ? ` at step ${run.divergedAt}` : `, test acc. ${(run.testAccuracy * 100).toFixed(1)}%`})`,
    x: run.losses.map((_, k) => k),
    y: smooth(run.losses),
    color: rateColor(run.lr),
  }));
  const kinds = quadratic.runs.map((r) => `η = ${r.lr} is ${r.kind}`).join(', ');
  return [
    {
      id: 'lr-quadratic',
      title: 'Learning-rate regimes on J(θ) = θ²',
      caption:
        `Gradient descent θₖ₊₁ = θₖ − η·J′(θₖ) = (1 − 2η)·θₖ from θ₀ = ${quadratic.theta0}, ${quadratic.steps} steps, run with descent’s sgd. ` +
        `A small rate creeps down one side; a good one reaches the bottom in a few steps; above η = ½ every step overshoots to the other side, ` +
        `and above η = 1 each overshoot is larger than the last: the iterates climb out of the bowl. Here ${kinds}.`,
      chart: lineChart({
        title: 'Learning-rate regimes on J(θ) = θ²',
        subtitle: 'the iterates θₖ drawn on the curve J(θ)',
        xTitle: 'θ',
        yTitle: 'J(θ)',
        series: panels,
        columns: 4,
        width: 200,
        height: 170,
      }),
    },
    {
      id: 'lr-quadratic-theta',
      title: '|θₖ| against step',
      caption:
        'The same runs on a log scale: each is a straight line of slope log|1 − 2η|. Below the horizontal start value it converges, above it diverges; how steep it falls is how good the rate is.',
      chart: lineChart({
        title: '|θₖ| against step on J(θ) = θ²',
        xTitle: 'step k',
        yTitle: '|θₖ|',
        logY: true,
        series: thetaSeries,
        legendTitle: 'learning rate',
      }),
    },
    {
      id: 'lr-network',
      title: 'Learning rates on a real network',
      caption:
        `Mini-batch loss (smoothed) of an MLP on ${dataName}, trained with sgd from the same initial weights at each rate. ` +
        'The same regimes as on the parabola: too small a rate barely moves the loss, a good one drops it quickly, a large one leaves it ' +
        'noisy and high, and too large a rate makes it explode (the curve ends where the loss stopped being finite).',
      chart: lineChart({
        title: 'Loss curves of an MLP at several learning rates',
        xTitle: 'step',
        yTitle: 'loss (smoothed)',
        logY: true,
        series: netSeries,
        legendTitle: 'learning rate (outcome)',
        yDomain: lossDomain(network),
      }),
    },
  ];
}

/** Norm propagation scatter plots, per-layer activation spread, and histograms. */
export function initFigures(
  linear: readonly NormPropagation[],
  relu: readonly NormPropagation[] | null,
  histograms: readonly ActivationStudy[],
): Figure[] {
  const scatter = (runs: readonly NormPropagation[], kind: string): Figure => {
    const all = runs.flatMap((r) => r.samples.map((s) => s.inNorm));
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    const series: Series[] = runs.map((r) => ({
      name: `${r.label}: ×${sig(r.typicalRatio)}`,
      x: r.samples.map((s) => s.inNorm),
      y: r.samples.map((s) => s.outNorm),
      mark: 'point',
    }));
    series.push({ name: '‖out‖ = ‖y‖', x: [lo, hi], y: [lo, hi], dashed: true, color: '#333333' });
    const depth =
      Math.round(Math.log(runs[0].expectedSquaredRatio) / Math.log(runs[0].gainSquaredPerLayer)) || 3;
    const best = [...runs].sort(
      (a, b) => Math.abs(Math.log(a.typicalRatio)) - Math.abs(Math.log(b.typicalRatio)),
    )[0];
    return {
      id: `init-norms-${kind}`,
      title: kind === 'linear' ? '‖K₃K₂K₁y‖ against ‖y‖' : '‖relu(K₃ relu(K₂ relu(K₁y)))‖ against ‖y‖',
      caption:
        `${runs[0].samples.length} draws per scheme of y ∈ ℝ¹⁰⁰ and ${depth} matrices K (100 × 100) from descent’s initialisers. ` +
        `Each entry’s variance σ² scales the squared norm by 100σ²${kind === 'relu' ? ' (halved by the ReLU)' : ''} per layer, so the clouds are parallel ` +
        `lines offset by that gain: ${runs.map((r) => `${r.label} ×${sig(r.typicalRatio)}`).join(', ')} (typical ‖out‖/‖y‖). ` +
        `Only ${best.label} keeps the norm${kind === 'relu' ? ' through ReLU layers — the reason He initialisation exists' : ' — Glorot’s 2/(fan_in + fan_out) is 1/n here'}.`,
      chart: lineChart({
        title: kind === 'linear' ? '‖K₃K₂K₁y‖ against ‖y‖ (y ∈ ℝ¹⁰⁰)' : 'With ReLU between the layers',
        xTitle: '‖y‖',
        yTitle: '‖output‖',
        logX: true,
        logY: true,
        series,
        legendTitle: 'initialisation: typical gain',
      }),
    };
  };
  const figures: Figure[] = [scatter(linear, 'linear')];
  if (relu) figures.push(scatter(relu, 'relu'));
  const activations = [...new Set(histograms.map((h) => h.activation))];
  const stdSeries: Series[] = histograms.map((h) => ({
    name: h.label,
    panel: h.activation,
    x: h.layers.map((l) => l.layer),
    y: h.layers.map((l) => l.std),
    mark: 'linepoint',
  }));
  figures.push({
    id: 'init-activation-std',
    title: 'Spread of the activations, layer by layer',
    caption:
      'The standard deviation of each layer’s activations in a deep net (dense layers, no biases) on standard normal inputs. ' +
      'With tanh, small weights make the signal shrink geometrically towards 0, and large ones pin it at ±1 (saturation, where tanh′ ≈ 0 and no gradient passes). ' +
      'With ReLU, only He initialisation keeps the scale constant; the others vanish or explode exponentially with depth.',
    chart: lineChart({
      title: 'Activation standard deviation per layer',
      xTitle: 'layer',
      yTitle: 'std of activations',
      logY: true,
      series: stdSeries,
      columns: activations.length,
      width: 300,
      height: 220,
      legendTitle: 'initialisation',
    }),
  });
  for (const activation of activations) {
    const studies = histograms.filter((h) => h.activation === activation);
    const cells = studies.flatMap((h) =>
      h.layers.map((l) => ({
        row: h.label,
        column: `layer ${l.layer}`,
        edges: l.edges,
        counts: l.counts,
        note: `σ ${short(l.std)}`,
      })),
    );
    figures.push({
      id: `init-histograms-${activation}`,
      title: `Activation histograms of a deep ${activation} net`,
      caption:
        activation === 'tanh'
          ? 'Each row is one initialisation, each column one layer; bars are the fraction of activations in each bin of [−1, 1]. N(0, 1) and U[−0.5, 0.5] saturate: the mass sits at ±1 in every layer. U[−0.05, 0.05] collapses to a spike at 0 within a few layers. Glorot and He keep a spread-out histogram all the way down.'
          : 'Each row is one initialisation, each column one layer; bars are the fraction of non-zero activations in each bin of [0, 3) (about half the ReLU outputs are exactly 0 and are not drawn), with values beyond 3 in the last bin. Vanishing signals pile up in the first bin, exploding ones in the last; He keeps the same shape in every layer.',
      chart: histogramGrid({
        title: `Activations per layer: ${activation}`,
        subtitle: 'rows: initialisation; columns: layer (σ: standard deviation)',
        cells,
        xTitle: 'activation',
        rowOrder: studies.map((s) => s.label),
        columnOrder: studies[0].layers.map((l) => `layer ${l.layer}`),
        color: activation === 'tanh' ? '#4e79a7' : '#f28e2b',
      }),
    });
  }
  return figures;
}

/** log₁₀ range of the gradient norms, capped at 10³ so one exploding run does not wash out the rest. */
function heatDomain(studies: readonly GradientStudy[]): [number, number] {
  const logs = studies.flatMap((s) =>
    s.weightNorms
      .flat()
      .filter((v) => Number.isFinite(v) && v > 0)
      .map(Math.log10),
  );
  const lo = Math.floor(Math.min(...logs));
  return [lo, Math.max(lo + 1, Math.min(3, Math.ceil(Math.max(...logs))))];
}

/** Heatmaps of per-layer gradient norms, and the loss of each configuration. */
export function gradientFigures(
  studies: readonly GradientStudy[],
  dataName = 'the bundled digits',
): Figure[] {
  const panels = studies.map((s) => ({
    name: `${s.label}${s.divergedAt !== null ? ` — loss not finite at step ${s.divergedAt}` : ''}`,
    rows: s.layers.map((_, l) => `${l + 1}`),
    columns: (s.weightNorms[0] ?? []).map((_, k) => k),
    values: s.weightNorms,
  }));
  const ratio = (s: GradientStudy) => {
    const first = s.weightNorms[0]?.[0];
    const last = s.weightNorms[s.weightNorms.length - 1]?.[0];
    return first !== undefined && last !== undefined ? first / last : NaN;
  };
  const ratios = studies.map((s) => `${s.label}: ${sig(ratio(s))}`).join('; ');
  const lossSeries: Series[] = studies.map((s) => ({
    name: s.label,
    x: s.losses.map((_, k) => k),
    y: s.losses,
  }));
  return [
    {
      id: 'gradients-heatmap',
      title: 'Per-layer gradient norms during training',
      caption:
        'Each row of a panel is a dense layer (1 = next to the input), each column a training step; the colour is log₁₀ ‖∂C/∂Wˡ‖ on one shared scale (norms above 10³ get the top colour). ' +
        'In the sigmoid net every layer towards the input multiplies the gradient by σ′ ≤ ¼ times a weight, so the first layers get gradients orders of magnitude smaller than the last — they hardly learn. ' +
        'ReLU with He initialisation (and with batch norm) keeps all layers in the same range. Too large initial weights make every gradient huge and training blows up; clipping the global norm keeps the steps bounded. ' +
        `First-layer over last-layer gradient norm at step 0: ${ratios}.`,
      chart: heatmapChart({
        title: 'Gradient norm ‖∂C/∂Wˡ‖ per layer and step',
        subtitle: `deep MLPs on ${dataName}, sgd; rows: layer (1 = input side)`,
        panels,
        xTitle: 'step',
        yTitle: 'layer',
        colorTitle: '‖∂C/∂W‖',
        colorDomain: heatDomain(studies),
      }),
    },
    {
      id: 'gradients-loss',
      title: 'Training loss of the same nets',
      caption:
        'The mini-batch loss of each configuration. The vanishing-gradient sigmoid net barely moves from log 10 ≈ 2.3; the ReLU nets learn; the badly initialised net’s loss starts huge and, unclipped, becomes NaN within a few steps, while with clipping it comes down.',
      chart: lineChart({
        title: 'Loss per step',
        xTitle: 'step',
        yTitle: 'mini-batch loss',
        logY: true,
        series: lossSeries,
        legendTitle: 'network',
      }),
    },
  ];
}

/** Loss against epochs and against time for batch, mini-batch and stochastic GD. */
export function batchFigures(series: readonly BatchSeries[], dataName = 'the bundled digits'): Figure[] {
  const seeds = series[0]?.runs.length ?? 0;
  const byEpoch: Series[] = series.map((s) => ({
    name: `${s.label}, η = ${s.lr}`,
    x: s.mean.map((_, k) => k),
    y: s.mean,
    lower: s.min,
    upper: s.max,
    mark: 'linepoint',
  }));
  // Epoch 0 is at t = 0, which a log time axis cannot show: the time chart starts after the first epoch.
  const byTime: Series[] = series.map((s) => ({
    name: `${s.label}, η = ${s.lr}`,
    x: s.meanSeconds.slice(1),
    y: s.mean.slice(1),
    lower: s.min.slice(1),
    upper: s.max.slice(1),
    mark: 'linepoint',
  }));
  const last = (s: BatchSeries) =>
    `${s.label} ${sig(s.mean[s.mean.length - 1], 3)} after ${s.mean.length - 1} epochs in ${sig(s.meanSeconds[s.meanSeconds.length - 1])} s`;
  return [
    {
      id: 'batch-epochs',
      title: 'Loss against epochs',
      caption:
        `Training-set loss on ${dataName} after each epoch, mean over ${seeds} seeds with the min–max band. Per pass over the data, SGD (one sample per step) makes n updates and wins; ` +
        `batch gradient descent makes one exact step per epoch and is slowest; mini-batches sit between. Final losses: ${series.map(last).join('; ')}.`,
      chart: lineChart({
        title: 'Batch, mini-batch and stochastic GD: loss per epoch',
        xTitle: 'epoch',
        yTitle: 'training loss',
        logY: true,
        series: byEpoch,
        legendTitle: 'method',
      }),
    },
    {
      id: 'batch-time',
      title: 'Loss against wall-clock time',
      caption:
        'The same runs against training time (evaluation excluded). One-sample steps cannot use vectorised arithmetic, so per second mini-batches usually do best: ' +
        'nearly the progress per epoch of SGD at a fraction of its cost per epoch. The bands show how much the outcome depends on the seed (initial weights and shuffling).',
      chart: lineChart({
        title: 'Batch, mini-batch and stochastic GD: loss against time',
        xTitle: 'seconds of training',
        yTitle: 'training loss',
        logY: true,
        logX: true,
        series: byTime,
        legendTitle: 'method',
      }),
    },
  ];
}

/** Where a landscape's weights and data came from, for the captions. */
export interface LandscapeContext {
  /** The trained network, as a caption names it (default: the small MLP the lab trains). */
  subject?: string;
  /** The samples the loss is computed on (e.g. '600 samples of the training split of digits'). */
  data?: string;
  /** How the 2-D plane's directions are normalised (default 'filter'). */
  normalization?: DirectionNormalization;
  /** Why no training path is drawn, when `pathPlane` is null. */
  noPath?: string;
}

const NORMALIZED = { filter: 'filter-normalised', layer: 'layer-normalised', none: 'raw Gaussian' } as const;

const NORMALIZATION_NOTES = {
  filter:
    'With filter normalisation (Li et al., 2018) each unit’s slice of d has the norm of that unit’s weights, so α = 1 is a step as large as the weights themselves in every layer, and different directions give comparable curves.',
  layer:
    'With layer normalisation each parameter tensor’s slice of d has the norm of that tensor, so α = 1 is a step as large as each layer’s weights (but units with small weights get relatively larger steps than with filter normalisation).',
  none: 'The directions are raw Gaussian vectors: their scale ignores the size of each layer’s weights, so the curves are not comparable across networks.',
} as const;

/** 1-D slices, a 2-D surface around the trained weights, and the surface in the plane of the training path. */
export function landscapeFigures(
  slices: readonly Slice1d[],
  surface: Surface2d,
  pathPlane: Surface2d | null,
  context: LandscapeContext = {},
): Figure[] {
  const planeKind = NORMALIZED[context.normalization ?? 'filter'];
  const onWhat = `${context.subject ? ` of ${context.subject}` : ''}${context.data ? `, on ${context.data}` : ''}`;
  const shown = [...new Set(slices.map((s) => s.normalization))];
  const sliceNote =
    shown.length > 1
      ? `${NORMALIZATION_NOTES[shown[0]]} A raw Gaussian direction (dashed) mixes scales and is much sharper.`
      : NORMALIZATION_NOTES[shown[0] ?? 'filter'];
  const sliceSeries: Series[] = slices.map((s, k) => {
    const same = slices.filter((o) => o.normalization === s.normalization);
    const index = slices.slice(0, k + 1).filter((o) => o.normalization === s.normalization).length;
    return {
      name: `${NORMALIZED[s.normalization]} direction${same.length > 1 ? ` ${index}` : ''}`,
      x: s.alphas,
      y: s.losses,
      dashed: shown.length > 1 && s.normalization !== shown[0],
    };
  });
  const grid = (s: Surface2d) => ({
    nx: s.alphas.length,
    ny: s.betas.length,
    values: s.values,
    x: [
      s.alphas[0] - (s.alphas[1] - s.alphas[0]) / 2,
      s.alphas[s.alphas.length - 1] + (s.alphas[1] - s.alphas[0]) / 2,
    ] as const,
    y: [
      s.betas[0] - (s.betas[1] - s.betas[0]) / 2,
      s.betas[s.betas.length - 1] + (s.betas[1] - s.betas[0]) / 2,
    ] as const,
  });
  const figures: Figure[] = [
    {
      id: 'landscape-1d',
      title: 'The loss along random directions',
      caption: `J(θ* + αd) around the trained weights θ*${onWhat}, for random Gaussian directions d. ${sliceNote}`,
      chart: lineChart({
        title: 'Loss along random directions through the trained weights',
        xTitle: 'α',
        yTitle: 'loss J(θ* + αd)',
        logY: true,
        series: sliceSeries,
        legendTitle: 'direction',
      }),
    },
    {
      id: 'landscape-2d',
      title: 'The loss on a random plane',
      caption:
        `J(θ* + αd + βe) for two ${planeKind} random directions d, e${context.subject ? ` around the weights θ* of ${context.subject}` : ''}${context.data ? `, on ${context.data}` : ''}. ` +
        (context.subject
          ? 'How wide and how round the basin around the trained weights (star) is says how much the loss cares about perturbations of the weights of this relative size; a narrow or lopsided basin is a sharp minimum.'
          : 'The trained weights (star) sit in a wide, nearly convex basin: seen along random directions, the landscape of a small well-trained MLP is smooth.') +
        (pathPlane?.path || !context.noPath ? '' : ` ${context.noPath}`),
      chart: contourChart({
        title: 'Loss on a random plane through the trained weights',
        subtitle: `${planeKind} directions d, e`,
        grid: grid(surface),
        logLevels: true,
        xTitle: 'α',
        yTitle: 'β',
        valueTitle: 'loss',
        markers: [{ x: 0, y: 0, label: 'θ*', shape: 'star' }],
        width: 420,
      }),
    },
    {
      id: 'landscape-3d',
      title: 'The same plane as a surface',
      caption:
        'The loss over the random plane drawn as a relief (height and colour on a log scale): the bowl around the trained weights, and how steeply it rises towards the edges of the plane.',
      chart: surfaceChart({
        title: 'Loss surface around the trained weights',
        subtitle: `J(θ* + αd + βe), ${planeKind} d, e; log scale`,
        grid: grid(surface),
        log: true,
        xTitle: 'α',
        yTitle: 'β',
        valueTitle: 'loss',
      }),
    },
  ];
  if (pathPlane?.path) {
    const explained = pathPlane.explained
      ? ` The two directions capture ${(pathPlane.explained[0] * 100).toFixed(1)}% and ${(pathPlane.explained[1] * 100).toFixed(1)}% of the path’s variance.`
      : '';
    figures.push({
      id: 'landscape-path',
      title: 'The training path on the loss surface',
      caption:
        'Random directions are almost orthogonal to the path training took, so here the plane is spanned by the path’s own two principal directions around the final weights. ' +
        `The path (from the initial weights to θ*) runs downhill across the contours, fast at first and then slowly along the valley floor.${explained}`,
      chart: contourChart({
        title: 'Training path projected on its principal plane',
        grid: grid(pathPlane),
        logLevels: true,
        valueTitle: 'loss',
        xTitle: 'first principal direction',
        yTitle: 'second principal direction',
        paths: [{ name: 'training path', points: pathPlane.path }],
        markers: [{ x: 0, y: 0, label: 'θ*', shape: 'star' }],
        showSteps: true,
        width: 420,
      }),
    });
  }
  return figures;
}

/** The range test's loss against the learning rate, with the suggestion marked. */
export function lrFindFigures(result: LrFindResult): Figure[] {
  return [
    {
      id: 'lrfind',
      title: 'Learning-rate range test',
      caption:
        `The learning rate grows exponentially from ${sig(result.lrs[0])} over ${result.lrs.length} mini-batches while the loss is recorded (raw and smoothed). ` +
        `It stays flat while η is too small, falls once η matters, and shoots up when η is too large${result.stoppedEarly ? ` (stopped: ${result.stoppedEarly})` : ''}. ` +
        `The suggestion, η ≈ ${sig(result.suggested)}, is where the smoothed loss falls fastest — well below the rate at its lowest point (${sig(result.minimum)}), which is already at the edge of blowing up.`,
      chart: lineChart({
        title: 'Learning-rate range test',
        xTitle: 'learning rate η',
        yTitle: 'loss',
        logX: true,
        series: [
          { name: 'mini-batch loss', x: result.lrs, y: result.losses, color: '#bab0ac' },
          { name: 'smoothed', x: result.lrs, y: result.smoothed, color: '#4e79a7' },
        ],
        markers: [
          { x: result.suggested, label: `suggested ${sig(result.suggested)}` },
          { x: result.minimum, label: `lowest ${sig(result.minimum)}` },
        ],
      }),
    },
  ];
}

/** Universal approximation: the fit at each width, the training curves, and deep against wide. */
export function approxFigures(widths: ApproxResult, deepWide: ApproxResult): Figure[] {
  const panels = (r: ApproxResult): Series[] =>
    r.fits.flatMap((f) => {
      const panel = `${f.label} · ${f.parameters} params`;
      return [
        { name: `target ${r.title}`, x: r.xs, y: r.ys, color: '#9a9a9a', dashed: true, panel },
        { name: 'network', x: r.xs, y: f.prediction, color: '#4e79a7', panel },
      ];
    });
  const curves = (r: ApproxResult): Series[] =>
    r.fits.map((f) => ({
      name: `${f.label} (${f.parameters} parameters)`,
      x: f.losses.map((_, k) => k),
      y: f.losses,
    }));
  const mse = (r: ApproxResult) => r.fits.map((f) => `${f.label}: ${short(f.finalLoss)}`).join('; ');
  return [
    {
      id: 'approx-width',
      title: 'One hidden layer, growing width',
      caption: `A network with one hidden layer of n tanh units is a sum of n smooth steps, Σ vᵢ tanh(wᵢx + bᵢ) + c. Trained on ${widths.title} (full-batch Adam), one unit can only make one step; a few more can place a step at each bend, and with enough the fit is indistinguishable from the target — the universal approximation theorem at work. Final mean squared errors: ${mse(widths)}.`,
      chart: lineChart({
        title: `Fitting ${widths.title} with one hidden layer`,
        xTitle: 'x',
        yTitle: 'f(x)',
        series: panels(widths),
        columns: Math.min(widths.fits.length, 5),
        width: 150,
        height: 140,
      }),
    },
    {
      id: 'approx-width-loss',
      title: 'Training curves by width',
      caption:
        'The training loss of the same fits: wider layers reach lower errors, and reach them sooner — but the theorem promises only that a good approximation exists, not that gradient descent finds it quickly.',
      chart: lineChart({
        title: 'Mean squared error during training',
        xTitle: 'step',
        yTitle: 'MSE',
        logY: true,
        series: curves(widths),
        legendTitle: 'network',
      }),
    },
    {
      id: 'approx-deep-wide',
      title: 'Deep against wide at equal size',
      caption:
        `Two networks with about the same number of parameters fit ${deepWide.title}, whose oscillations quicken away from 0: one wide hidden layer, and narrower stacked ones. ` +
        `A layer on top of another can reuse and fold the features below it, where a single layer must pay for every bump with its own units. ` +
        `Final mean squared errors in this run: ${mse(deepWide)}. Depth does not win on every function, but on shapes like this one it usually does.`,
      chart: lineChart({
        title: `Deep against wide on ${deepWide.title}`,
        xTitle: 'x',
        yTitle: 'f(x)',
        series: [...panels(deepWide)],
        columns: deepWide.fits.length,
        width: 260,
        height: 170,
      }),
    },
    {
      id: 'approx-deep-wide-loss',
      title: 'Deep against wide: training curves',
      caption: 'The training loss of the deep and the wide network, step by step.',
      chart: lineChart({
        title: 'Mean squared error during training',
        xTitle: 'step',
        yTitle: 'MSE',
        logY: true,
        series: curves(deepWide),
        legendTitle: 'network',
      }),
    },
  ];
}

/** The segment of the line w₀x + w₁y + b = 0 inside a box (empty if it misses). */
export function lineInBox(
  w: readonly number[],
  b: number,
  box: { x: [number, number]; y: [number, number] },
): { x: number[]; y: number[] } {
  const hits: Array<[number, number]> = [];
  const [x0, x1] = box.x;
  const [y0, y1] = box.y;
  if (Math.abs(w[1]) > 1e-12) {
    for (const x of [x0, x1]) {
      const y = -(w[0] * x + b) / w[1];
      if (y >= y0 && y <= y1) hits.push([x, y]);
    }
  }
  if (Math.abs(w[0]) > 1e-12) {
    for (const y of [y0, y1]) {
      const x = -(w[1] * y + b) / w[0];
      if (x > x0 && x < x1) hits.push([x, y]);
    }
  }
  hits.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  return hits.length >= 2
    ? { x: [hits[0][0], hits[hits.length - 1][0]], y: [hits[0][1], hits[hits.length - 1][1]] }
    : { x: [], y: [] };
}

/** Data with both learned lines, and mistakes per epoch, for each data set. */
export function perceptronFigures(studies: readonly PerceptronStudy[]): Figure[] {
  const figures: Figure[] = [];
  for (const s of studies) {
    const xs = s.points.map((p) => p.x);
    const ys = s.points.map((p) => p.y);
    const pad = 0.3;
    const box = {
      x: [Math.min(...xs) - pad, Math.max(...xs) + pad] as [number, number],
      y: [Math.min(...ys) - pad, Math.max(...ys) + pad] as [number, number],
    };
    const series: Series[] = [0, 1].map((label) => ({
      name: `class ${label}`,
      x: s.points.filter((p) => p.label === label).map((p) => p.x),
      y: s.points.filter((p) => p.label === label).map((p) => p.y),
      mark: 'point' as const,
      color: label === 0 ? '#4e79a7' : '#f28e2b',
    }));
    const pLine = lineInBox(s.perceptron.w, s.perceptron.b, box);
    const bLine = lineInBox(s.backprop.w, s.backprop.b, box);
    series.push({ name: 'perceptron rule', ...pLine, color: '#e15759' });
    series.push({ name: 'backprop (sigmoid + cross-entropy)', ...bLine, color: '#333333', dashed: true });
    const pErr = s.perceptron.errors[s.perceptron.errors.length - 1];
    const bErr = s.backprop.errors[s.backprop.errors.length - 1];
    const signed = (v: number) => `${v < 0 ? '−' : '+'} ${sig(Math.abs(v))}`;
    // A line the last update pushed out of the picture is named instead of drawn.
    const outside = (label: string, w: readonly number[], b: number, drawn: { x: number[] }) =>
      drawn.x.length > 0
        ? ''
        : ` The ${label}’s final line, ${sig(w[0]).replace('-', '−')}·x₁ ${signed(w[1])}·x₂ ${signed(b)} = 0, lies outside the plotted area.`;
    const missing =
      outside('perceptron rule', s.perceptron.w, s.perceptron.b, pLine) +
      outside('backprop', s.backprop.w, s.backprop.b, bLine);
    figures.push({
      id: `perceptron-${s.name}`,
      title: `Perceptron rule and backprop: ${s.title}`,
      caption:
        (s.name === 'separable'
          ? `${s.points.length} points in two linearly separable classes. The perceptron rule ${s.perceptron.converged ? `stopped after ${s.perceptron.errors.length} epochs (${s.perceptron.updates} corrections) with no mistakes, as Novikoff’s theorem promises` : 'did not finish within the epochs allowed'}; its line separates the classes but sits wherever the last correction left it. Gradient descent on the cross-entropy keeps pushing the line away from both classes (${bErr} training errors at the end).`
          : `${s.points.length} points in two overlapping classes: no line separates them. The perceptron rule never settles — every epoch some point is wrong and drags the line — and ends wherever it stops (${pErr} mistakes in its last epoch). Gradient descent on the smooth cross-entropy converges to the line of best compromise (${bErr} training errors).`) +
        missing,
      chart: lineChart({
        title: `The perceptron rule and backprop: ${s.title}`,
        xTitle: 'x₁',
        yTitle: 'x₂',
        series,
        width: 380,
        height: 320,
        xDomain: box.x,
        yDomain: box.y,
      }),
    });
  }
  const errorSeries: Series[] = studies.flatMap((s) => [
    {
      name: 'perceptron rule (mistakes during the epoch)',
      x: s.perceptron.errors.map((_, k) => k + 1),
      y: s.perceptron.errors,
      mark: 'linepoint' as const,
      color: '#e15759',
      panel: s.title,
    },
    {
      name: 'backprop (errors after the epoch)',
      x: s.backprop.errors.map((_, k) => k + 1),
      y: s.backprop.errors,
      mark: 'linepoint' as const,
      color: '#333333',
      panel: s.title,
    },
  ]);
  figures.push({
    id: 'perceptron-mistakes',
    title: 'Mistakes per epoch',
    caption:
      'On separable data the perceptron’s mistakes fall to zero and training stops; on overlapping data they never do. Backprop’s error count settles on both.',
    chart: lineChart({
      title: 'Training mistakes per epoch',
      xTitle: 'epoch',
      yTitle: 'misclassified points',
      series: errorSeries,
      columns: studies.length,
      width: 300,
      height: 200,
    }),
  });
  return figures;
}

export function kmeansFigures(study: KMeansStudy): Figure[] {
  const colors = ['#333333', '#e15759', '#4e79a7', '#59a14f'];
  const costSeries: Series[] = study.runs.map((r, i) => ({
    name: r.name,
    x: r.passes,
    y: r.cost,
    mark: (i === 0 ? 'linepoint' : 'line') as 'linepoint' | 'line',
    color: colors[i % colors.length],
  }));
  const finals = study.runs.map((r) => `${r.name}: J = ${r.cost[r.cost.length - 1].toFixed(3)}`).join('; ');
  const finalCost = (r: (typeof study.runs)[number]) => r.cost[r.cost.length - 1];
  const bestCost = Math.min(...study.runs.map(finalCost));
  const found = study.runs.filter((r) => finalCost(r) <= 1.05 * bestCost).map((r) => r.name);
  const stuck = study.runs.filter((r) => finalCost(r) > 1.05 * bestCost).map((r) => r.name);
  const centresNote =
    `${found.join(', ')} put a centre in every blob (J within 5% of the best, ${bestCost.toFixed(3)}); a constant η leaves its centres slightly off, pulled by the last points seen.` +
    (stuck.length > 0
      ? ` ${stuck.join(', ')} ended in a local minimum from this start — two centres sharing a blob, another blob without one (see the spread over starts below).`
      : '');
  const points: Series[] = [
    {
      name: 'data',
      x: Array.from({ length: study.data.labels.length }, (_, i) => study.data.points[2 * i]),
      y: Array.from({ length: study.data.labels.length }, (_, i) => study.data.points[2 * i + 1]),
      mark: 'point',
      color: '#cccccc',
    },
  ];
  const centres: Series[] = study.runs.map((r, i) => ({
    name: `centres: ${r.name}`,
    x: r.centres.map((c) => c[0]),
    y: r.centres.map((c) => c[1]),
    mark: 'point' as const,
    color: colors[i % colors.length],
  }));
  return [
    {
      id: 'kmeans-cost',
      title: 'K-means: batch against stochastic updates',
      caption: `The same cost J, the same start. Lloyd’s batch step needs a whole pass per update and falls in a few large steps; the online (SGD) updates move after every point and are most of the way down within the first pass; mini-batch K-means (Sculley, 2010) moves after every batch, with the per-centre rate 1/nₖ. With η = 1/nₖ each centre is the running mean of its points and settles; with a constant η it keeps jittering around the minimum. Final values: ${finals}.`,
      chart: lineChart({
        title: 'K-means cost J against passes over the data',
        xTitle: 'passes over the data',
        yTitle: 'J (mean squared distance to the nearest centre)',
        series: costSeries,
        width: 520,
        height: 300,
        logY: true,
      }),
    },
    {
      id: 'kmeans-centres',
      title: 'Where the centres end',
      caption: `The data (grey, ${study.k} blobs) and the final centres of each method. ${centresNote}`,
      chart: lineChart({
        title: 'Final centres',
        xTitle: 'x₁',
        yTitle: 'x₂',
        series: [...points, ...centres],
        width: 420,
        height: 380,
      }),
    },
  ];
}
