/**
 * `descent compare`: the tricks of the trade, measured. The same model is trained from the
 * same seed, for the same epochs, in four runs:
 *
 *   reference          batch norm and dropout (fashion-cnn's defaults), no augmentation
 *   without dropout    the reference minus dropout
 *   without batch norm the reference minus batch norm
 *   with augmentation  the reference plus per-batch augmentation
 *
 * and a table reports each run's test accuracy after the last epoch, its best epoch, and the
 * first epoch that reached a target accuracy. The test set is evaluated after every epoch
 * for that column only (it chooses nothing). Models other than fashion-cnn have no batch
 * norm or dropout to switch, so only augmentation is compared for them.
 *
 * This trains four models: a benchmark, not a test. --limit keeps it small.
 */
import { ConfigError, unknownName } from '../errors.js';
import { getBackend, initBackend } from '../backend/registry.js';
import * as data from '../data/index.js';
import { buildOptimizer, optimizers } from '../optim/index.js';
import { setSeed, type Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Model } from '../train/model.js';
import type { Callback } from '../train/callbacks.js';
import { progressReporter } from './progress.js';
import {
  buildNetwork,
  checkModelName,
  describeNetwork,
  isImageSet,
  loadImageData,
  parseLimit,
  type NetworkSpec,
} from './networks.js';

export interface CompareFlags {
  data: string;
  dataDir?: string;
  model: string;
  epochs: string;
  limit?: string;
  testLimit?: string;
  optimizer: string;
  lr?: string;
  batchSize: string;
  augment: string;
  target?: string;
  seed: string;
  backend?: string;
  json?: boolean;
}

export interface CompareRun {
  name: string;
  batchNorm: boolean | null;
  dropout: boolean | null;
  augmentation: string;
  testAccuracy: number;
  /** Test accuracy after each epoch. */
  perEpoch: number[];
  bestAccuracy: number;
  bestEpoch: number;
  /** The first epoch (1-based) whose test accuracy reached the target, or null. */
  epochsToTarget: number | null;
  seconds: number;
  samplesPerSec: number;
}

function positive(flag: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ConfigError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'.`);
  }
  return v;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The comparison as an aligned text table, with the effect of each trick below it. */
export function compareTable(runs: readonly CompareRun[], target: number): string {
  const flag = (v: boolean | null) => (v === null ? 'n/a' : v ? 'yes' : 'no');
  const rows = [
    [
      'run',
      'batch norm',
      'dropout',
      'augmentation',
      'test accuracy',
      'best (epoch)',
      `epochs to ${pct(target)}`,
      'seconds',
      'samples/s',
    ],
    ...runs.map((r) => [
      r.name,
      flag(r.batchNorm),
      flag(r.dropout),
      r.augmentation,
      pct(r.testAccuracy),
      `${pct(r.bestAccuracy)} (${r.bestEpoch})`,
      r.epochsToTarget === null ? `not in ${r.perEpoch.length}` : String(r.epochsToTarget),
      r.seconds.toFixed(0),
      Math.round(r.samplesPerSec).toLocaleString('en'),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
  lines.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const reference = runs[0];
  const effects = runs.slice(1).map((r) => {
    const diff = 100 * (reference.testAccuracy - r.testAccuracy);
    const what = r.name.replace(/^without /, '').replace(/^with /, '');
    const sign = (d: number) => `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)}`;
    return r.name.startsWith('without')
      ? `${what}: ${sign(diff)} points of test accuracy (reference ${pct(reference.testAccuracy)} vs ${pct(r.testAccuracy)} without)`
      : `${what}: ${sign(-diff)} points of test accuracy (${pct(r.testAccuracy)} with vs ${pct(reference.testAccuracy)} without)`;
  });
  return [...lines, '', ...effects].join('\n');
}

export async function runCompare(flags: CompareFlags): Promise<void> {
  if (!isImageSet(flags.data)) unknownName('data set', flags.data, data.imageSetNames);
  const modelName = checkModelName(flags.model);
  const epochs = positive('--epochs', flags.epochs, true);
  const batchSize = positive('--batch-size', flags.batchSize, true);
  const limit = parseLimit(flags.limit);
  const testLimit =
    flags.testLimit === undefined ? undefined : positive('--test-limit', flags.testLimit, true);
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed)) throw new ConfigError(`--seed must be an integer, got '${flags.seed}'.`);
  if (!(flags.optimizer in optimizers)) unknownName('optimizer', flags.optimizer, Object.keys(optimizers));
  const lr = flags.lr === undefined ? undefined : positive('--lr', flags.lr, false);
  buildOptimizer({ name: flags.optimizer, lr }); // bad combinations fail before any work
  const augmentation = data.augmenter(flags.augment);
  if (augmentation.isIdentity)
    throw new ConfigError(
      `--augment '${flags.augment}' switches nothing on; name at least one of ${data.augmentationNames.join(', ')}.`,
    );
  const target = flags.target === undefined ? (flags.data === 'mnist' ? 0.98 : 0.9) : Number(flags.target);
  if (!(target > 0 && target <= 1))
    throw new ConfigError(`--target must be an accuracy in (0, 1], got '${flags.target}'.`);
  if (flags.backend && flags.backend !== 'auto') await initBackend(flags.backend);

  const log = (line: string) => {
    if (!flags.json) process.stderr.write(`${line}\n`);
  };
  const sets = loadImageData(flags.data, { dir: flags.dataDir, limit, testLimit });
  const trainSamples = sets.train.length;
  const testSamples = sets.test.length;
  const tricks = modelName === 'fashion-cnn';
  const plans: Array<{ name: string; batchNorm: boolean | null; dropout: boolean | null; augment: boolean }> =
    tricks
      ? [
          { name: 'reference', batchNorm: true, dropout: true, augment: false },
          { name: 'without dropout', batchNorm: true, dropout: false, augment: false },
          { name: 'without batch norm', batchNorm: false, dropout: true, augment: false },
          { name: 'with augmentation', batchNorm: true, dropout: true, augment: true },
        ]
      : [
          { name: 'reference', batchNorm: null, dropout: null, augment: false },
          { name: 'with augmentation', batchNorm: null, dropout: null, augment: true },
        ];
  log(
    `descent compare: ${modelName} on ${sets.name}, ${sets.train.length} training / ${sets.test.length} test images, ` +
      `${plans.length} runs of ${epochs} epochs, ${flags.optimizer} lr ${lr ?? 'default'}, batch ${batchSize}, seed ${seed}, backend ${getBackend().name}`,
  );
  const runs: CompareRun[] = [];
  try {
    for (const [i, plan] of plans.entries()) {
      setSeed(seed);
      const spec: NetworkSpec = {
        model: modelName,
        sampleShape: sets.train.x.shape.slice(1),
        outputs: sets.numClasses,
        hidden: [256, 128, 100],
        activation: 'relu',
        ...(plan.batchNorm !== null ? { batchNorm: plan.batchNorm } : {}),
        ...(plan.dropout !== null ? { dropout: plan.dropout } : {}),
      };
      const model = new Model(buildNetwork(spec));
      model.compile({
        optimizer: buildOptimizer({ name: flags.optimizer, lr }),
        lr,
        loss: 'crossEntropy',
        metrics: ['accuracy'],
      });
      log(
        `\nrun ${i + 1}/${plans.length}: ${plan.name} — ${describeNetwork(spec, model.net)}${plan.augment ? `, augmentation ${augmentation.description}` : ''}`,
      );
      const callbacks: Callback[] = flags.json ? [] : [progressReporter()];
      const started = Date.now();
      const history = await model.fit(sets.train, {
        epochs,
        batchSize,
        validationData: sets.test,
        callbacks,
        ...(plan.augment ? { augment: (x: Tensor, r: Rng) => augmentation.applyTensor(x, r) } : {}),
      });
      const seconds = (Date.now() - started) / 1000;
      model.dispose();
      const perEpoch = history.history.valAccuracy ?? [];
      const best = perEpoch.reduce((b, v, e) => (v > perEpoch[b] ? e : b), 0);
      const reached = perEpoch.findIndex((v) => v >= target);
      const speeds = history.history.samplesPerSec ?? [];
      runs.push({
        name: plan.name,
        batchNorm: plan.batchNorm,
        dropout: plan.dropout,
        augmentation: plan.augment ? augmentation.description : 'none',
        testAccuracy: perEpoch[perEpoch.length - 1],
        perEpoch,
        bestAccuracy: perEpoch[best],
        bestEpoch: best + 1,
        epochsToTarget: reached < 0 ? null : reached + 1,
        seconds,
        samplesPerSec: speeds.reduce((a, b) => a + b, 0) / Math.max(1, speeds.length),
      });
    }
  } finally {
    sets.train.dispose();
    sets.test.dispose();
  }
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({
        data: flags.data,
        model: modelName,
        epochs,
        limit: limit ?? null,
        trainSamples,
        testSamples,
        optimizer: flags.optimizer,
        lr: lr ?? null,
        batchSize,
        seed,
        backend: getBackend().name,
        target,
        runs,
      }) + '\n',
    );
  } else {
    process.stdout.write(`\n${compareTable(runs, target)}\n`);
  }
}
