/**
 * The TypeScript that reproduces the trainer's run with the library alone (Node, wasm): the
 * same generator calls in the same order as web/src/datasets.ts, network.ts and session.ts,
 * so with the same seed it trains to the same losses.
 */
import { usableFeatures } from './datasets.js';
import type { TrainerState } from './state.js';

const FEATURE_CODE: Record<string, string> = {
  x1: 'a',
  x2: 'b',
  x1sq: 'a * a',
  x2sq: 'b * b',
  x1x2: 'a * b',
  sinx1: 'Math.sin(a)',
  sinx2: 'Math.sin(b)',
};

export function reproduceRun(state: TrainerState, rawDims: number, csvName?: string): string {
  const s = state;
  const source: Record<string, string> = {
    circles: `data.raw.circles({ count: ${s.count}, noise: ${s.noise}, rng })`,
    xor: `data.raw.xor({ count: ${s.count}, noise: ${s.noise}, rng })`,
    moons: `data.raw.moons({ count: ${s.count}, noise: ${s.noise}, rng })`,
    spirals: `data.raw.twoSpirals({ count: ${s.count}, noise: ${s.noise}, rng })`,
    sine: `{ ...data.raw.noisySine({ count: ${s.count}, noise: ${s.noise}, rng }), numClasses: 0 }`,
    digits: 'data.loadDigitsRaw()',
    csv: `data.loadLabelledCsv(${JSON.stringify(csvName ?? 'data.csv')})`,
  };
  const regression = s.dataset === 'sine';
  const standardise = s.dataset === 'digits' || s.dataset === 'csv';
  const features = usableFeatures(s.features, rawDims);
  const ratio = Math.min(90, Math.max(10, s.ratio));
  const hyper: string[] = [];
  if (s.optimizer === 'momentum' || s.optimizer === 'nesterov') hyper.push(`momentum: ${s.momentum}`);
  const adamLike = ['adam', 'adamw', 'adamax', 'nadam', 'amsgrad'].includes(s.optimizer);
  if (adamLike) hyper.push(`beta1: ${s.beta1}`, `beta2: ${s.beta2}`);
  if (adamLike || ['adagrad', 'rmsprop', 'adadelta'].includes(s.optimizer)) hyper.push(`eps: ${s.eps}`);
  if (s.optimizer === 'lbfgs') hyper.push(`maxIter: 1`, `lineSearch: 'strongWolfe'`);
  const blocks: string[] = [];
  if (s.l1 > 0) blocks.push(`optim.erase(optim.l1Penalty(${s.l1}, { mask: 'no-bias' }))`);
  if (s.l2 > 0) blocks.push(`optim.erase(optim.l2Penalty(${s.l2}, { mask: 'no-bias' }))`);
  if (s.clipNorm > 0) blocks.push(`optim.erase(optim.clipByGlobalNorm(${s.clipNorm}))`);
  const layers: string[] = [];
  let width = features.length > 0 ? features.length : rawDims;
  const inputs = width;
  s.layers.forEach((l, i) => {
    layers.push(
      `  nn.dense({ units: ${l.units}, inFeatures: ${width}, activation: '${l.activation}', kernelInitializer: '${l.init}', name: 'hidden${i + 1}' }),`,
    );
    if (s.batchNorm) layers.push(`  nn.batchNorm1d(${l.units}),`);
    if (s.dropout > 0) layers.push(`  nn.dropout(${s.dropout}),`);
    width = l.units;
  });
  const outputs = regression ? '1' : 'table.numClasses';
  layers.push(`  nn.dense({ units: ${outputs}, inFeatures: ${width}, name: 'output' }),`);
  const featureLine =
    features.length === 0
      ? 'const featurize = (raw: Float32Array) => raw;'
      : `const featurize = (raw: Float32Array, n = raw.length / ${rawDims}) => {
  const out = new Float32Array(n * ${features.length});
  for (let i = 0; i < n; i++) {
    const a = raw[i * ${rawDims}];
    const b = ${rawDims > 1 ? `raw[i * ${rawDims} + 1]` : '0'};
    out.set([${features.map((f) => FEATURE_CODE[f]).join(', ')}], i * ${features.length});
  }
  return out;
};`;
  return `// The playground's run, reproduced with descent (npm install descent; run with tsx or compile with tsc).
// Same seed, same calls: the same data, initial weights and losses as the page (wasm backend).
import { data, initBackend, nn, optim, Rng, setSeed, train } from 'descent';

await initBackend('wasm');
const rng = new Rng(${s.seed});
const table = ${source[s.dataset]};
const split = data.trainTestSplitIndices(table.count, ${+(1 - ratio / 100).toFixed(6)}, rng, { stratify: ${regression ? 'undefined' : 'table.labels'} });
let trainRaw = data.takeRows(table.features, ${rawDims}, split.train);
let testRaw = data.takeRows(table.features, ${rawDims}, split.test);
${
  standardise
    ? `const standardizer = data.fitStandardizer(trainRaw, ${rawDims});
trainRaw = data.applyStandardizer(trainRaw, ${rawDims}, standardizer);
testRaw = data.applyStandardizer(testRaw, ${rawDims}, standardizer);
`
    : ''
}${featureLine}
const targets = (idx: Int32Array) => ${regression ? 'data.takeRows(table.targets, 1, idx)' : 'data.takeLabels(table.labels, idx)'};
const dataset = (raw: Float32Array, idx: Int32Array) =>
  data.Dataset.fromArrays(featurize(raw), [${inputs}], targets(idx), ${regression ? '{ targetShape: [1] }' : '{ numClasses: table.numClasses }'});
const trainSet = dataset(trainRaw, split.train);
const testSet = dataset(testRaw, split.test);

setSeed(${s.seed});
const net = nn.sequential([
${layers.join('\n')}
]);
const schedule = optim.parseSchedule(${JSON.stringify(s.schedule || 'constant')}, ${s.lr});
const base = optim.getOptimizer('${s.optimizer}', { lr: schedule${hyper.length ? ', ' + hyper.join(', ') : ''} });
const optimizer = ${blocks.length ? `optim.erase(optim.chain(${[...blocks, 'base'].join(', ')}))` : 'base'};
const model = new train.Model(net);
model.compile({ optimizer, lr: ${s.lr}, loss: '${regression ? 'mse' : 'crossEntropy'}', metrics: [${regression ? '' : "'accuracy'"}] });
const history = await model.fit(trainSet, {
  epochs: ${s.epochs},
  batchSize: ${s.batchSize <= 0 ? 'trainSet.length' : `Math.min(${Math.round(s.batchSize)}, trainSet.length)`},
  validationData: testSet,
  rng: new Rng(${s.seed + 1}),
  callbacks: [${s.patience > 0 ? `train.earlyStopping({ patience: ${s.patience}, monitor: 'valLoss' })` : ''}],
  diagnose: true,
  logEvery: 1_000_000,
});
console.log(history.history.loss.at(-1), history.history.valLoss.at(-1));
await net.save('playground-model');
`;
}
