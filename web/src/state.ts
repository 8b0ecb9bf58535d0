/**
 * The playground's whole state: what the arena and the trainer are set to. It lives in the
 * page's URL (after '#', as key=value pairs), so a setting is shared by sharing the address,
 * and every panel reads it from here.
 */
import { optim } from 'descent';

export type Panel = 'arena' | 'trainer' | 'landscape' | 'export';
export const PANELS: readonly Panel[] = ['arena', 'trainer', 'landscape', 'export'];

export const DATASETS = ['circles', 'xor', 'moons', 'spirals', 'sine', 'digits', 'csv'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Input features built from the raw coordinates (x₁, x₂) of a two-dimensional set. */
export const FEATURES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'] as const;
export type FeatureName = (typeof FEATURES)[number];
export const FEATURE_LABELS: Record<FeatureName, string> = {
  x1: 'x₁',
  x2: 'x₂',
  x1sq: 'x₁²',
  x2sq: 'x₂²',
  x1x2: 'x₁x₂',
  sinx1: 'sin x₁',
  sinx2: 'sin x₂',
};

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'elu', 'softplus', 'linear'] as const;
export const INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heNormal',
  'heUniform',
  'lecunNormal',
  'randomNormal',
  'zeros',
] as const;
/** The library's optimisers but Newton, whose dense Hessian does not scale to a network. */
export const TRAIN_OPTIMIZERS: readonly string[] = optim.optimizerNames.filter((n) => n !== 'newton');

export interface LayerSetting {
  units: number;
  activation: string;
  init: string;
}

export interface TrainerState {
  dataset: DatasetName;
  /** Points generated for the synthetic sets. */
  count: number;
  /** Standard deviation of the noise added to the synthetic sets' coordinates. */
  noise: number;
  /** Percentage of the data used for training (the rest is the test set). */
  ratio: number;
  features: FeatureName[];
  layers: LayerSetting[];
  optimizer: string;
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 'constant' or parseSchedule's syntax ('cosine:2000', 'step:500:0.5', 'exp:0.999'). */
  schedule: string;
  /** 0 means the whole training set (batch gradient descent). */
  batchSize: number;
  epochs: number;
  l1: number;
  l2: number;
  /** Dropout rate after every hidden layer (0: none). */
  dropout: number;
  batchNorm: boolean;
  /** Global-norm clipping threshold (0: none). */
  clipNorm: number;
  /** Early-stopping patience in epochs on the test loss (0: off). */
  patience: number;
  seed: number;
}

export interface ArenaState {
  fn: string;
  start: [number, number] | null;
  optimizers: string[];
  /** η per optimiser; absent ones use the lab's tuned rate for the function. */
  lrs: Record<string, number>;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface PlaygroundState {
  panel: Panel;
  trainer: TrainerState;
  arena: ArenaState;
}

export function defaultTrainer(): TrainerState {
  return {
    dataset: 'circles',
    count: 400,
    noise: 0.05,
    ratio: 50,
    features: ['x1', 'x2'],
    layers: [
      { units: 16, activation: 'tanh', init: 'glorotUniform' },
      { units: 16, activation: 'tanh', init: 'glorotUniform' },
      { units: 8, activation: 'tanh', init: 'glorotUniform' },
    ],
    optimizer: 'adam',
    lr: 0.01,
    momentum: 0.9,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    schedule: 'constant',
    batchSize: 16,
    epochs: 300,
    l1: 0,
    l2: 0,
    dropout: 0,
    batchNorm: false,
    clipNorm: 0,
    patience: 0,
    seed: 1,
  };
}

export function defaultArena(): ArenaState {
  return {
    fn: 'rosenbrock',
    start: null,
    optimizers: ['sgd', 'momentum', 'rmsprop', 'adam'],
    lrs: {},
    momentum: 0.9,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
  };
}

export function defaultState(): PlaygroundState {
  return { panel: 'trainer', trainer: defaultTrainer(), arena: defaultArena() };
}

// ---- the URL form -------------------------------------------------------------------------

const NUMBER_KEYS = [
  'count',
  'noise',
  'ratio',
  'lr',
  'momentum',
  'beta1',
  'beta2',
  'eps',
  'batchSize',
  'epochs',
  'l1',
  'l2',
  'dropout',
  'clipNorm',
  'patience',
  'seed',
] as const;

/** The state as a URL fragment: only what differs from the defaults, so links stay short. */
export function toHash(state: PlaygroundState): string {
  const q = new URLSearchParams();
  const d = defaultState();
  q.set('panel', state.panel);
  const t = state.trainer;
  if (t.dataset !== d.trainer.dataset) q.set('dataset', t.dataset);
  for (const key of NUMBER_KEYS) if (t[key] !== d.trainer[key]) q.set(key, String(t[key]));
  if (t.features.join() !== d.trainer.features.join()) q.set('features', t.features.join(','));
  const layers = (ls: LayerSetting[]) => ls.map((l) => `${l.units}:${l.activation}:${l.init}`).join(',');
  if (layers(t.layers) !== layers(d.trainer.layers)) q.set('layers', layers(t.layers) || 'none');
  if (t.optimizer !== d.trainer.optimizer) q.set('optimizer', t.optimizer);
  if (t.schedule !== d.trainer.schedule) q.set('schedule', t.schedule);
  if (t.batchNorm) q.set('batchNorm', '1');
  const a = state.arena;
  if (a.fn !== d.arena.fn) q.set('fn', a.fn);
  if (a.start) q.set('start', a.start.map((v) => +v.toPrecision(4)).join(','));
  if (a.optimizers.join() !== d.arena.optimizers.join()) q.set('paths', a.optimizers.join(','));
  const lrs = Object.entries(a.lrs).map(([k, v]) => `${k}:${v}`);
  if (lrs.length > 0) q.set('lrs', lrs.join(','));
  for (const key of ['momentum', 'beta1', 'beta2', 'eps'] as const)
    if (a[key] !== d.arena[key]) q.set(`a.${key}`, String(a[key]));
  return q.toString();
}

const finite = (text: string | null): number | undefined => {
  if (text === null || text.trim() === '') return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
};

/** Reads a URL fragment back; anything unreadable keeps its default (never throws). */
export function fromHash(hash: string): PlaygroundState {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const state = defaultState();
  const panel = q.get('panel');
  if (panel && (PANELS as readonly string[]).includes(panel)) state.panel = panel as Panel;
  const t = state.trainer;
  const dataset = q.get('dataset');
  if (dataset && (DATASETS as readonly string[]).includes(dataset)) t.dataset = dataset as DatasetName;
  for (const key of NUMBER_KEYS) {
    const v = finite(q.get(key));
    if (v !== undefined) t[key] = v;
  }
  const features = q.get('features');
  if (features !== null)
    t.features = features
      .split(',')
      .filter((f): f is FeatureName => (FEATURES as readonly string[]).includes(f));
  const layers = q.get('layers');
  if (layers !== null) {
    t.layers =
      layers === 'none'
        ? []
        : layers.split(',').flatMap((spec) => {
            const [units, activation, init] = spec.split(':');
            const n = Number(units);
            if (!(Number.isInteger(n) && n > 0)) return [];
            return [
              {
                units: n,
                activation: (ACTIVATIONS as readonly string[]).includes(activation) ? activation : 'tanh',
                init: (INITIALIZERS as readonly string[]).includes(init) ? init : 'glorotUniform',
              },
            ];
          });
  }
  const optimizer = q.get('optimizer');
  if (optimizer && TRAIN_OPTIMIZERS.includes(optimizer)) t.optimizer = optimizer;
  const schedule = q.get('schedule');
  if (schedule) t.schedule = schedule;
  t.batchNorm = q.get('batchNorm') === '1';
  const a = state.arena;
  const fn = q.get('fn');
  if (fn) a.fn = fn;
  const start = q.get('start')?.split(',').map(Number);
  if (start && start.length === 2 && start.every(Number.isFinite)) a.start = [start[0], start[1]];
  const paths = q.get('paths');
  if (paths !== null) a.optimizers = paths.split(',').filter((p) => p !== '');
  for (const pair of (q.get('lrs') ?? '').split(',')) {
    const [name, value] = pair.split(':');
    const v = finite(value ?? null);
    if (name && v !== undefined && v > 0) a.lrs[name] = v;
  }
  for (const key of ['momentum', 'beta1', 'beta2', 'eps'] as const) {
    const v = finite(q.get(`a.${key}`));
    if (v !== undefined) a[key] = v;
  }
  return state;
}
