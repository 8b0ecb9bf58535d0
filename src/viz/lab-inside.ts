/**
 * Figures that look inside: what a convolutional network's filters and feature maps learned,
 * the run-to-run spread of K-means, and the Hessian at the end of a run (its extreme
 * eigenvalues at a minimum and at a saddle, and what a Newton step costs against n).
 */
import type { FeaturesStudy, Picture } from '../lab/features.js';
import type { KMeansSpread } from '../lab/kmeans.js';
import type { HessianStudy } from '../lab/hessian.js';
import { lineChart, type Series } from './charts.js';
import { contourChart } from './contour.js';
import { imageGrid, type ImagePanel } from './images.js';
import { contourGridOf } from './lab-descent.js';
import { palette } from './render.js';
import { stripChart } from './strips.js';
import { percent, short, sig, type Figure } from './figure.js';

function panel(row: string, column: string, p: Picture, kind?: 'signed' | 'intensity'): ImagePanel {
  return { row, column, height: p.height, width: p.width, values: p.values, ...(kind ? { kind } : {}) };
}

/** The first layer's filters before and after training, the second layer's, and feature maps. */
export function featuresFigures(study: FeaturesStudy): Figure[] {
  const filterColumns = study.filtersAfter.map((_, k) => `filter ${k + 1}`);
  const filters = [
    ...study.filtersBefore.map((p, k) => panel('before training', filterColumns[k], p)),
    ...study.filtersAfter.map((p, k) => panel('after training', filterColumns[k], p)),
  ];
  const rowName = (e: FeaturesStudy['examples'][number]) =>
    `${e.labelName}${e.predicted === e.label ? '' : ` (read as ${e.predicted})`}`;
  const maps1Columns = ['input', ...study.examples[0].maps1.map((_, k) => `map ${k + 1}`)];
  const maps1 = study.examples.flatMap((e) => [
    panel(rowName(e), 'input', e.input, 'intensity'),
    ...e.maps1.map((m, k) => panel(rowName(e), `map ${k + 1}`, m)),
  ]);
  const maps2Columns = study.examples[0].maps2.map((_, k) => `${k + 1}`);
  const maps2 = study.examples.flatMap((e) => e.maps2.map((m, k) => panel(rowName(e), `${k + 1}`, m)));
  const [, h, w] = study.imageShape;
  const finalLoss = study.epochLoss[study.epochLoss.length - 1];
  const trained = `LeNet (LeCun et al., 1990) trained with Adam for ${study.epochs} epochs on ${study.trainSamples} images of ${study.dataName} (${h}×${w}${study.padding ? `, convolutions padded by ${study.padding}` : ''}): training loss ${sig(finalLoss, 2)}, test accuracy ${percent(study.testAccuracy)}.`;
  return [
    {
      id: 'features-filters',
      title: 'The first layer’s 5×5 filters, before and after training',
      caption: `${trained} The four filters of the first convolution start as Glorot noise; after training each is a smooth pattern — an edge or stroke detector at some orientation, or a blob — the kind of first-layer feature the lectures show. Red is positive, blue negative.`,
      chart: imageGrid({
        title: 'First-layer filters',
        panels: filters,
        rowOrder: ['before training', 'after training'],
        columnOrder: filterColumns,
        panelSize: 90,
        xTitle: 'kernel column',
        yTitle: 'kernel row',
        signedTitle: 'weight',
      }),
    },
    {
      id: 'features-maps',
      title: 'What the first layer sees: feature maps of test images',
      caption: `Test images of ${study.examples.length} classes (in grey, white 0 to black 1) and the first convolution’s four maps of each (after tanh). Each map lights up where its filter’s pattern occurs: one responds to one stroke direction, another to its opposite; together they re-describe the image as where its edges are.`,
      chart: imageGrid({
        title: 'Input and first-layer feature maps',
        panels: maps1,
        columnOrder: maps1Columns,
        panelSize: 72,
        xTitle: 'column',
        yTitle: 'row',
        signedTitle: 'activation',
        intensityTitle: 'pixel',
      }),
    },
    {
      id: 'features-maps2',
      title: 'The second layer’s feature maps',
      caption: `The ${maps2Columns.length} maps of the second convolution for the same images: smaller and more abstract, each combining the first layer’s maps. Different classes light up different maps — which is what the output layer reads.`,
      chart: imageGrid({
        title: 'Second-layer feature maps',
        panels: maps2,
        columnOrder: maps2Columns,
        panelSize: 44,
        xTitle: 'column',
        yTitle: 'row',
        signedTitle: 'value',
      }),
    },
  ];
}

/** The final K-means cost over seeds per method, and the curves' spread. */
export function kmeansSpreadFigures(spread: KMeansSpread): Figure[] {
  const colors = ['#333333', '#e15759', '#4e79a7'];
  const tolerance = 1.02 * spread.atTrueCentres;
  const good = (final: readonly number[]) => final.filter((v) => v <= tolerance).length;
  const summary = spread.methods
    .map(
      (m) =>
        `${m.name}: ${good(m.final)} of ${spread.seeds.length} starts reach J ≈ ${sig(spread.atTrueCentres, 3)}, the worst ends at ${sig(Math.max(...m.final), 3)}`,
    )
    .join('; ');
  return [
    {
      id: 'kmeans-spread',
      title: 'K-means from different starts: final cost per seed',
      caption:
        `The same blobs, ${spread.seeds.length} random starts (k data points as the initial centres), after ${spread.passes[spread.passes.length - 1]} passes of each algorithm. J at the true centres is ${sig(spread.atTrueCentres, 3)}. ${summary}. ` +
        `K-means has local minima — two centres sharing one blob while another blob has none — and which one a run finds depends on its start more than on the algorithm: run it from several starts and keep the best.`,
      chart: stripChart({
        title: 'Final K-means cost, one dot per start',
        groups: spread.methods.map((m) => ({ category: m.name, values: m.final })),
        xTitle: 'algorithm',
        yTitle: 'final J',
        pointLabel: 'one start',
        meanLabel: 'mean over starts',
        logY: true,
        width: 480,
      }),
    },
    {
      id: 'kmeans-spread-curves',
      title: 'The cost over passes: mean and range over starts',
      caption:
        'The band is the range of J over the starts after each pass, the line its mean. All three algorithms fall fast; the width of the band that remains is the spread between local minima, not noise that more passes would remove.',
      chart: lineChart({
        title: 'K-means cost against passes, over starts',
        xTitle: 'passes over the data',
        yTitle: 'J (mean over starts; band: min to max)',
        series: spread.methods.map((m, i) => ({
          name: m.name,
          x: spread.passes,
          y: m.mean,
          lower: m.min,
          upper: m.max,
          color: colors[i % colors.length],
        })),
        logY: true,
        width: 520,
        height: 280,
      }),
    },
  ];
}

/** Newton and GD on the double well, the end points' curvature on a network, and the cost of a step. */
export function hessianFigures(study: HessianStudy): Figure[] {
  const { well, network, cost } = study;
  const newtonRuns = well.runs.filter((r) => r.optimizer === 'newton');
  const gdRuns = well.runs.filter((r) => r.optimizer === 'sgd');
  const saddles = (runs: typeof well.runs) => runs.filter((r) => r.ended === 'saddle').length;
  const label = (r: (typeof well.runs)[number]) =>
    r.optimizer === 'newton' ? 'Newton’s method' : `gradient descent (η = ${well.lr})`;
  const eig = network.runs.map((r) => r.end.eigenvalues);
  const ends = network.runs.map(
    (r, i) =>
      `${r.label}: loss ${sig(r.end.loss, 3)}, ‖∇J‖ = ${short(r.end.gradientNorm)}, λ_max = ${sig(eig[i].max.value, 3)}, λ_min = ${sig(eig[i].min.value, 3)}`,
  );
  const power: Series[] = network.runs.flatMap((r, i) => [
    {
      name: `${r.label}: largest λ`,
      x: r.end.eigenvalues.max.estimates.map((_, k) => k + 1),
      y: r.end.eigenvalues.max.estimates,
      color: palette[2 * i],
    },
    {
      name: `${r.label}: smallest λ`,
      x: r.end.eigenvalues.min.estimates.map((_, k) => k + 1),
      y: r.end.eigenvalues.min.estimates,
      color: palette[2 * i + 1],
      dashed: true,
    },
  ]);
  const byOptimizer = [...new Set(cost.map((c) => c.optimizer))];
  const largest = Math.max(...cost.map((c) => c.parameters));
  const at = (name: string, n: number) => cost.find((c) => c.optimizer === name && c.parameters === n);
  const costSentence = byOptimizer
    .map(
      (name) =>
        `${name} ${sig(at(name, largest)?.msPerStep ?? NaN, 2)} ms (${sig(at(name, largest)?.evaluationsPerStep ?? NaN, 3)} gradients)`,
    )
    .join(', ');
  return [
    {
      id: 'hessian-well',
      title: 'Newton’s method is drawn to the saddle',
      caption:
        `The double well f(x, y) = x⁴/4 − x²/2 + y²/2: minima at (±1, 0), a saddle at (0, 0), and negative curvature f_xx < 0 in the strip |x| < 1/√3. ` +
        `Newton’s step solves H d = −∇f; along a direction of negative curvature it goes uphill, towards the stationary point. From the three starts inside the strip Newton converges onto the saddle (${saddles(newtonRuns)} of ${newtonRuns.length} Newton runs end there), from the three outside it finds a minimum. ` +
        `Gradient descent (η = ${well.lr}, ${well.steps} steps) from the same six starts rolls away from the saddle every time (${saddles(gdRuns)} of ${gdRuns.length} end there).`,
      chart: contourChart({
        title: 'Newton and gradient descent on a double well',
        subtitle: 'f(x, y) = x⁴/4 − x²/2 + y²/2',
        grid: contourGridOf(well.grid, well.window.x, well.window.y),
        paths: well.runs.map((r) => ({
          name: `${r.optimizer} from (${r.start.join(', ')})`,
          points: r.points,
          group: label(r),
          color: r.optimizer === 'newton' ? '#e15759' : '#4e79a7',
        })),
        markers: [
          { x: -1, y: 0, label: 'minimum', shape: 'star' },
          { x: 1, y: 0, label: 'minimum', shape: 'star' },
          { x: 0, y: 0, label: 'saddle', shape: 'cross' },
        ],
        levels: 16,
        xTitle: 'x',
        yTitle: 'y',
        valueTitle: 'f(x, y)',
        legendTitle: 'optimiser',
        width: 460,
        showSteps: true,
      }),
    },
    {
      id: 'hessian-network',
      title: 'A small network: where each method ends, and the curvature there',
      caption:
        `A 1-${network.hidden}-1 tanh network (${network.parameters} parameters) on ${network.samples} points, as a function of its parameter vector; with all weights 0 it sits on a saddle (loss ${sig(network.saddleLoss, 3)}). Both methods start just beside it. ` +
        `The gradient norm alone cannot tell a minimum from a saddle — both make it small. The Hessian’s extreme eigenvalues can, found by power iteration on Hessian-vector products (differences of two autograd gradients; no matrix formed): ${ends.join('; ')}. ` +
        `A negative λ_min means a saddle; none means a minimum.`,
      chart: lineChart({
        title: 'Gradient norm against step',
        xTitle: 'step (log scale, from 1)',
        yTitle: '‖∇J(θₖ)‖',
        series: network.runs.map((r, i) => ({
          name: r.label,
          x: r.gradientNorms.map((_, k) => k + 1),
          y: r.gradientNorms.map((g) => Math.max(g, 1e-16)),
          color: ['#4e79a7', '#e15759'][i % 2],
        })),
        logX: true,
        logY: true,
        width: 520,
        height: 280,
      }),
      table: {
        columns: ['method', 'final loss', '‖∇J‖', 'largest eigenvalue', 'smallest eigenvalue', 'verdict'],
        rows: network.runs.map((r, i) => [
          r.label,
          r.end.loss,
          r.end.gradientNorm,
          eig[i].max.value,
          eig[i].min.value,
          eig[i].min.value < 0 ? 'saddle' : 'minimum',
        ]),
        digits: 3,
      },
    },
    {
      id: 'hessian-power',
      title: 'Power iteration on Hessian-vector products',
      caption:
        'The Rayleigh quotient vᵀHv at each power iteration, at both end points: first for the eigenvalue of largest magnitude, then on H − λ₁I for the other end of the spectrum. The estimates settle within tens of iterations, at two gradients each — a cost linear in the number of parameters, unlike the n × n Hessian.',
      chart: lineChart({
        title: 'Eigenvalue estimates against iteration',
        xTitle: 'power iteration',
        yTitle: 'Rayleigh quotient vᵀHv',
        series: power,
        width: 520,
        height: 280,
      }),
    },
    {
      id: 'hessian-cost',
      title: 'What a step costs against the number of parameters',
      caption:
        `secondOrderCost (optim/cost.ts) times one step of each optimiser on L2-regularised logistic regression with n parameters. Newton needs 2n + 1 gradients for its finite-difference Hessian, n² numbers to store it and an n × n solve: at n = ${largest}, ${costSentence}. ` +
        `Newton’s cost grows like n² to n³ while L-BFGS and SGD grow like n — the lectures’ “second-order methods do not scale”, measured.`,
      chart: lineChart({
        title: 'Milliseconds per step against n',
        xTitle: 'parameters n',
        yTitle: 'ms per step',
        series: byOptimizer.map((name, i) => ({
          name,
          x: cost.filter((c) => c.optimizer === name).map((c) => c.parameters),
          y: cost.filter((c) => c.optimizer === name).map((c) => c.msPerStep),
          mark: 'linepoint' as const,
          color: palette[i % palette.length],
        })),
        logX: true,
        logY: true,
        width: 460,
        height: 280,
      }),
      table: {
        columns: ['n', ...byOptimizer.map((o) => `${o}: gradients per step`)],
        rows: [...new Set(cost.map((c) => c.parameters))].map((n) => [
          n,
          ...byOptimizer.map((o) => at(o, n)?.evaluationsPerStep ?? NaN),
        ]),
        digits: 3,
      },
    },
  ];
}
