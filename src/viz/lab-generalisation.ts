/**
 * Figures of the lectures' demonstrations about what training ends with: overfitting with
 * L2 and early stopping, dropout against a bagged ensemble, symmetric initialisation, and
 * iterate averaging. Each takes the plain data its lab/ experiment returned.
 */
import type { OverfitStudy } from '../lab/overfitting.js';
import type { EnsembleStudy } from '../lab/ensemble.js';
import type { SymmetryStudy } from '../lab/symmetry.js';
import type { AveragingStudy } from '../lab/averaging.js';
import { lineChart, type Series } from './charts.js';
import { imageGrid } from './images.js';
import { stripChart } from './strips.js';
import { percent, short, sig, type Figure } from './figure.js';

const lambdaName = (lambda: number) => (lambda === 0 ? 'λ = 0' : `λ = ${short(lambda)}`);
const epochsOf = (n: number) => Array.from({ length: n }, (_, k) => k);
const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/** Training against validation error per λ, the fitted functions, and where early stopping stops. */
export function overfittingFigures(study: OverfitStudy): Figure[] {
  const plain = study.runs.find((r) => r.lambda === 0) ?? study.runs[0];
  const lastOf = (v: readonly number[]) => v[v.length - 1];
  const minOf = (v: readonly number[]) => Math.min(...v);
  const gap = (r: (typeof study.runs)[number]) => lastOf(r.validation) - lastOf(r.train);
  const stopped = plain.stoppedEpoch;
  const best = plain.bestEpoch;
  const colors = ['#e15759', '#f28e2b', '#59a14f', '#4e79a7', '#b07aa1', '#76b7b2'];
  const curves: Series[] = study.runs.flatMap((r) => [
    {
      name: 'training',
      x: epochsOf(r.train.length),
      y: r.train,
      color: '#4e79a7',
      panel: lambdaName(r.lambda),
    },
    {
      name: 'validation',
      x: epochsOf(r.validation.length),
      y: r.validation,
      color: '#e15759',
      panel: lambdaName(r.lambda),
    },
  ]);
  const fits: Series[] = [
    { name: 'noise-free target', x: study.xs, y: study.target, color: '#999999', dashed: true },
    {
      name: `${study.train.x.length} training samples`,
      x: study.train.x,
      y: study.train.y,
      mark: 'point',
      color: '#333333',
    },
    ...study.runs.map((r, i) => ({
      name: `fit, ${lambdaName(r.lambda)}`,
      x: study.xs,
      y: r.fit,
      color: colors[i % colors.length],
    })),
  ];
  const ys = [...study.train.y, ...study.target];
  const yDomain: [number, number] = [Math.min(...ys) - 0.6, Math.max(...ys) + 0.6];
  return [
    {
      id: 'overfitting-curves',
      title: 'Training against validation error, without and with L2',
      caption:
        `A ${[1, ...study.hidden, 1].join('-')} tanh network (${study.parameters} parameters) fitted with Adam (η = ${study.lr}) to ${study.train.x.length} noisy samples (σ = ${study.noise}) of ${study.title}; validation on ${study.validation.x.length} fresh samples. ` +
        (lastOf(plain.validation) > 1.05 * minOf(plain.validation)
          ? `Without a weight constraint the training error keeps falling (to ${short(lastOf(plain.train))}) while the validation error bottoms out at ${short(minOf(plain.validation))} and climbs back to ${short(lastOf(plain.validation))}: the network fits the noise. `
          : `Without a weight constraint the training error falls to ${short(lastOf(plain.train))} and the validation error to ${short(lastOf(plain.validation))}; trained longer, the network goes on to fit the noise. `) +
        `${study.runs.some((r) => gap(r) < gap(plain)) ? 'The L2 penalty (λ/2)‖w‖² narrows the gap' : 'The gap'}: validation − training at the end is ${study.runs.map((r) => `${short(gap(r))} for ${lambdaName(r.lambda)}`).join(', ')}. ` +
        (stopped !== null
          ? `Early stopping (patience ${study.patience}) watching the validation loss of the λ = 0 run would stop at epoch ${stopped} and keep the weights of epoch ${best}.`
          : `Early stopping (patience ${study.patience}) would not stop the λ = 0 run; its best epoch is ${best}.`),
      chart: lineChart({
        title: 'Mean squared error against epoch, per weight constraint λ',
        xTitle: 'epoch',
        yTitle: 'mean squared error',
        series: curves,
        logY: true,
        columns: 2,
        width: 260,
        height: 170,
      }),
      table: {
        columns: [
          'λ',
          'final training MSE',
          'final validation MSE',
          'best validation MSE',
          'early stop at epoch',
          'Σw²',
        ],
        rows: study.runs.map((r) => [
          lambdaName(r.lambda),
          lastOf(r.train),
          lastOf(r.validation),
          minOf(r.validation),
          r.stoppedEpoch === null ? 'never' : `${r.stoppedEpoch} (best ${r.bestEpoch})`,
          r.weightNorm2,
        ]),
        digits: 3,
      },
    },
    {
      id: 'overfitting-early-stopping',
      title: 'Where early stopping would stop',
      caption:
        `The λ = 0 run alone. Early stopping keeps the weights of the epoch with the lowest validation error and stops once it has not improved for ${study.patience} epochs` +
        (stopped !== null ? ` — epoch ${best} and epoch ${stopped} here.` : '.') +
        ` It is a weight constraint too: stopped early, the weights have had no time to grow.`,
      chart: lineChart({
        title: `Training and validation error, ${lambdaName(plain.lambda)}`,
        xTitle: 'epoch',
        yTitle: 'mean squared error',
        series: [
          { name: 'training', x: epochsOf(plain.train.length), y: plain.train, color: '#4e79a7' },
          { name: 'validation', x: epochsOf(plain.validation.length), y: plain.validation, color: '#e15759' },
        ],
        markers: [
          ...(best !== null ? [{ x: best, label: 'best' }] : []),
          ...(stopped !== null ? [{ x: stopped, label: 'stop' }] : []),
        ],
        logY: true,
        width: 520,
        height: 280,
      }),
    },
    {
      id: 'overfitting-fits',
      title: 'The fitted functions: smoothness through the weight constraint',
      caption: `What each network computes after ${study.epochs} epochs. Without a constraint it bends through every noisy training sample; a small λ already smooths the wiggles, a large one (Σw² = ${short(study.runs[study.runs.length - 1].weightNorm2)} against ${short(plain.weightNorm2)} without) flattens the fit towards a line and underfits.`,
      chart: lineChart({
        title: 'Network output after training, per λ',
        xTitle: 'x',
        yTitle: 'y',
        series: fits,
        yDomain,
        width: 520,
        height: 300,
      }),
    },
  ];
}

/** Test error of one network, one with dropout and a bagged ensemble over seeds; members; MC dropout. */
export function ensembleFigures(study: EnsembleStudy): Figure[] {
  const seeds = study.seeds;
  const errors = (pick: (s: (typeof seeds)[number]) => { error: number }) => seeds.map((s) => pick(s).error);
  const single = errors((s) => s.single);
  const withDropout = errors((s) => s.dropout);
  const bagged = errors((s) => s.ensemble);
  const membersAlone = seeds.flatMap((s) => s.members.map((m) => m.error));
  const range = (v: readonly number[]) => `${percent(Math.min(...v))}–${percent(Math.max(...v))}`;
  const k = study.members;
  const prefixMean = Array.from({ length: k }, (_, m) => mean(seeds.map((s) => s.prefixes[m].error)));
  const prefixLo = Array.from({ length: k }, (_, m) => Math.min(...seeds.map((s) => s.prefixes[m].error)));
  const prefixHi = Array.from({ length: k }, (_, m) => Math.max(...seeds.map((s) => s.prefixes[m].error)));
  const mc = study.mcCounts;
  const mcMean = mc.map((_, t) => mean(seeds.map((s) => s.monteCarlo[t].logLoss)));
  const scaledLoss = mean(seeds.map((s) => s.dropout.logLoss));
  const memberLoss = mean(seeds.flatMap((s) => s.members.map((m) => m.logLoss)));
  const ensembleLoss = mean(seeds.map((s) => s.ensemble.logLoss));
  return [
    {
      id: 'ensemble-error',
      title: 'One network, dropout and a bagged ensemble at equal budget',
      caption:
        `${study.description.charAt(0).toUpperCase()}${study.description.slice(1)}, trained on ${study.trainSamples} samples for a budget of ${study.epochs} epochs: one network for all of it, one with dropout (rate ${study.dropoutRate}), or ${k} networks on bootstrap samples for ${Math.floor(study.epochs / k)} epochs each, their probabilities averaged. ` +
        `Test error on ${study.testSamples} samples over ${seeds.length} seeds (mean; range): one network ${percent(mean(single))} (${range(single)}), dropout ${percent(mean(withDropout))} (${range(withDropout)}), the bagged ensemble ${percent(mean(bagged))} (${range(bagged)}), a bagged member alone ${percent(mean(membersAlone))}. ` +
        `Averaging members whose errors are partly independent beats a typical member (${percent(mean(bagged))} against ${percent(mean(membersAlone))}); ` +
        `${mean(bagged) <= mean(single) ? 'here the ensemble also beats one network trained for the whole budget' : `but each member had only ${Math.floor(study.epochs / k)} epochs on ${Math.round(100 * (1 - 1 / Math.E))}% of the distinct samples, so at this budget the ensemble does not beat one network trained throughout`}. ` +
        `Dropout trains a different sub-network at every step and averages them at test time for the price of one network${mean(withDropout) <= Math.min(mean(single), mean(bagged)) ? ' — the best of the three here' : ''}.`,
      chart: stripChart({
        title: 'Test error, one dot per seed',
        groups: [
          { category: 'one network', values: single },
          { category: `dropout ${study.dropoutRate}`, values: withDropout },
          { category: `bagged ensemble of ${k}`, values: bagged },
          { category: 'one bagged member', values: membersAlone },
        ],
        xTitle: 'method (equal training budget)',
        yTitle: 'test error',
        width: 520,
      }),
    },
    {
      id: 'ensemble-members',
      title: 'Test error against the size of the bagged ensemble',
      caption:
        `The ensemble of the first m bagged members, m = 1 … ${k}: its error falls from ${percent(prefixMean[0])} (one member) to ${percent(prefixMean[k - 1])} (mean over seeds, band: min to max). ` +
        `For the log loss the ensemble is never worse than its average member (Jensen): ${sig(ensembleLoss, 3)} against ${sig(memberLoss, 3)} here.`,
      chart: lineChart({
        title: 'Ensemble of the first m members',
        xTitle: 'members averaged m',
        yTitle: 'test error',
        series: [
          {
            name: 'bagged ensemble (mean over seeds)',
            x: prefixMean.map((_, m) => m + 1),
            y: prefixMean,
            lower: prefixLo,
            upper: prefixHi,
            mark: 'linepoint',
            color: '#4e79a7',
          },
          {
            name: `one network (mean over seeds)`,
            x: [1, k],
            y: [mean(single), mean(single)],
            color: '#999999',
            dashed: true,
          },
        ],
        width: 460,
        height: 260,
      }),
    },
    {
      id: 'ensemble-monte-carlo',
      title: 'Dropout as an ensemble: averaging sampled sub-networks',
      caption:
        `The dropout network at test time two ways: with the weights scaled to their expected value (one pass; log loss ${sig(scaledLoss, 3)}), or averaging the predictions of T random sub-networks (Monte-Carlo dropout). ` +
        `One sub-network alone is a poor model (log loss ${sig(mcMean[0], 3)}); the average over T of them improves as T grows (${sig(mcMean[mcMean.length - 1], 3)} at T = ${mc[mc.length - 1]}) and approaches the weight-scaled network — which is why the scaling rule works: it approximates the average of the exponentially many sub-networks.`,
      chart: lineChart({
        title: 'Log loss of the average of T sub-networks',
        xTitle: 'sub-networks averaged T',
        yTitle: 'test log loss (mean over seeds)',
        series: [
          { name: 'Monte-Carlo dropout', x: mc, y: mcMean, mark: 'linepoint', color: '#e15759' },
          {
            name: 'weight scaling (one pass)',
            x: [mc[0], mc[mc.length - 1]],
            y: [scaledLoss, scaledLoss],
            color: '#333333',
            dashed: true,
          },
        ],
        logX: true,
        width: 460,
        height: 260,
      }),
    },
  ];
}

/** The symmetry measure during training and the first layer's weights as images. */
export function symmetryFigures(study: SymmetryStudy): Figure[] {
  const floor = 1e-9;
  const byName = (name: string) => study.runs.find((r) => r.name === name)!;
  const identical = byName('identical');
  const perturbed = byName('perturbed');
  const random = byName('random');
  const final = (r: (typeof study.runs)[number]) => r.spread[r.spread.length - 1];
  const panels = study.runs.flatMap((r) => [
    { row: r.label, column: 'before training', height: study.hidden, width: study.inputs, values: r.before },
    { row: r.label, column: 'after training', height: study.hidden, width: study.inputs, values: r.after },
  ]);
  return [
    {
      id: 'symmetry-spread',
      title: 'Identical units stay identical',
      caption:
        `A ${study.inputs}-${study.hidden}-10 tanh network on the digits, sgd (η = ${study.lr}, batch 32, ${study.epochs} epochs). The curve is how far the rows of W₁ (the hidden units’ incoming weights) are from each other: max ‖rowⱼ − row₁‖ / ‖row₁‖. ` +
        `Started identical, every unit computes the same activation and receives the same error, so every step changes every row alike: the spread is ${final(identical) === 0 ? 'exactly 0 throughout (drawn at 10⁻⁹)' : short(final(identical))}, and at the end W₁ has ${identical.distinctRows} distinct row(s) — the ${study.hidden} units work as one (test error ${percent(identical.testError)}). ` +
        `A relative perturbation of 10⁻³ grows (to ${short(final(perturbed))}; ${perturbed.distinctRows} distinct rows, test error ${percent(perturbed.testError)}); random initialisation starts and stays broken (${short(final(random))}; test error ${percent(random.testError)}).`,
      chart: lineChart({
        title: 'Spread of the hidden units’ weight rows during training',
        xTitle: 'step',
        yTitle: 'max ‖rowⱼ − row₁‖ / ‖row₁‖',
        series: study.runs.map((r, i) => ({
          name: r.label,
          x: r.steps,
          y: r.spread.map((v) => Math.max(v, floor)),
          mark: 'linepoint' as const,
          color: ['#e15759', '#f28e2b', '#4e79a7'][i % 3],
        })),
        logY: true,
        width: 520,
        height: 280,
      }),
    },
    {
      id: 'symmetry-weights',
      title: 'The first layer’s weights before and after training',
      caption: `W₁ as an image: one row per hidden unit, one column per input pixel. From an identical start all ${study.hidden} rows are still the same picture after training; from a random start each unit has learned its own feature.`,
      chart: imageGrid({
        title: 'W₁ (hidden units × inputs)',
        panels,
        rowOrder: study.runs.map((r) => r.label),
        columnOrder: ['before training', 'after training'],
        panelSize: 240,
        panelHeight: 80,
        xTitle: 'input pixel',
        yTitle: 'hidden unit',
        signedTitle: 'weight',
      }),
    },
  ];
}

/** Distance to the optimum of the last iterate and of the running average, over seeds. */
export function averagingFigures(study: AveragingStudy): Figure[] {
  const stepsAt = study.runs[0].steps;
  const lo = (pick: (r: (typeof study.runs)[number]) => number[]) =>
    stepsAt.map((_, k) => Math.min(...study.runs.map((r) => pick(r)[k])));
  const hi = (pick: (r: (typeof study.runs)[number]) => number[]) =>
    stepsAt.map((_, k) => Math.max(...study.runs.map((r) => pick(r)[k])));
  const end = stepsAt.length - 1;
  const c = study.meanAveraged[end] * Math.sqrt(stepsAt[end] - study.burnIn);
  const after = stepsAt.filter((s) => s > study.burnIn);
  const wins = study.runs.filter((r) => r.averaged[end] < r.last[end]).length;
  return [
    {
      id: 'averaging-distance',
      title: 'SGD with and without averaging of the iterates',
      caption:
        `Least squares on ${study.samples} noisy samples (σ = ${study.noise}) in ${study.dims} dimensions, one sample per SGD step at the constant rate η = ${study.lr}; θ* from the normal equations. ` +
        `The last iterate falls quickly and then wanders in a cloud around θ*, at a distance of about ${short(study.meanLast[end])} that more steps do not reduce. ` +
        `The running mean of the iterates after step ${study.burnIn} averages that wandering out and keeps approaching θ* like 1/√k (dotted): ${short(study.meanAveraged[end])} after ${stepsAt[end]} steps — closer than the last iterate for ${wins} of ${study.runs.length} seeds (geometric mean over seeds; band: min to max).`,
      chart: lineChart({
        title: '‖θ − θ*‖ against step',
        xTitle: 'step k',
        yTitle: '‖θ − θ*‖',
        series: [
          {
            name: 'last iterate θₖ',
            x: stepsAt,
            y: study.meanLast,
            lower: lo((r) => r.last),
            upper: hi((r) => r.last),
            color: '#e15759',
          },
          {
            name: `average of θₜ, t > ${study.burnIn}`,
            x: stepsAt,
            y: study.meanAveraged,
            lower: lo((r) => r.averaged),
            upper: hi((r) => r.averaged),
            color: '#4e79a7',
          },
          {
            name: '∝ 1/√(k − k₀)',
            x: after,
            y: after.map((s) => c / Math.sqrt(s - study.burnIn)),
            color: '#333333',
            dashed: true,
          },
        ],
        logX: true,
        logY: true,
        width: 520,
        height: 300,
      }),
    },
  ];
}
