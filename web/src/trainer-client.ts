/**
 * The page's side of the training worker: sends commands, keeps what the epochs reported
 * (the curves), and tells the panels when something changed. The page never trains.
 */
import type { CsvSource } from './datasets.js';
import type { DataView, DrawnSnapshot, Snapshot } from './session.js';
import type { TrainerState } from './state.js';
import type { Command, Reply } from './worker.js';
import type { BenchResult } from './bench.js';

export interface Curves {
  epochs: number[];
  loss: number[];
  valLoss: number[];
  accuracy: number[];
  valAccuracy: number[];
  lr: number[];
  /** Per layer name, ‖∂C/∂W‖ per epoch. */
  gradNorm: Record<string, number[]>;
  /** Per layer name, the share of dead ReLUs per epoch. */
  deadRelu: Record<string, number[]>;
}

const emptyCurves = (): Curves => ({
  epochs: [],
  loss: [],
  valLoss: [],
  accuracy: [],
  valAccuracy: [],
  lr: [],
  gradNorm: {},
  deadRelu: {},
});

const REDRAW_MS = 150;

export type Status = 'starting' | 'paused' | 'playing' | 'done' | 'error';

export class TrainerClient {
  private readonly worker: Worker;
  private id = 0;
  data: DataView | null = null;
  snapshot: DrawnSnapshot | null = null;
  curves: Curves = emptyCurves();
  status: Status = 'starting';
  error = '';
  backend = '';
  threads = 0;
  private listeners = new Set<() => void>();
  private waiting = new Map<string, (reply: Reply) => void>();

  constructor(url: URL) {
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<Reply>) => this.receive(event.data);
    this.worker.onerror = (event) => {
      this.status = 'error';
      this.error = `worker: ${event.message}`;
      this.changed();
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private pending = false;
  private lastTold = 0;

  /**
   * Tells the panels, in an animation frame and at most every REDRAW_MS: the worker reports
   * dozens of epochs a second, and redrawing charts for each would take the page's frames.
   */
  private changed(): void {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, REDRAW_MS - (performance.now() - this.lastTold));
    setTimeout(
      () =>
        requestAnimationFrame(() => {
          this.pending = false;
          this.lastTold = performance.now();
          for (const l of this.listeners) l();
        }),
      wait,
    );
  }

  private send(command: Command): void {
    this.worker.postMessage(command);
  }

  configure(state: TrainerState, csv: CsvSource | null): void {
    this.id++;
    this.status = 'starting';
    this.error = '';
    this.curves = emptyCurves();
    this.snapshot = null;
    this.send({ type: 'configure', state, csv, id: this.id });
    this.changed();
  }

  play(): void {
    if (this.status !== 'paused') return;
    this.status = 'playing';
    this.send({ type: 'play' });
    this.changed();
  }

  pause(): void {
    if (this.status !== 'playing') return;
    this.status = 'paused';
    this.send({ type: 'pause' });
    this.changed();
  }

  step(): void {
    if (this.status !== 'paused') return;
    this.send({ type: 'step' });
  }

  setWeight(layer: number, unit: number, input: number, value: number): void {
    this.send({ type: 'setWeight', layer, unit, input, value });
  }

  private ask<T extends Reply['type']>(command: Command, type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.set(type, (reply) => {
        if (reply.type === 'error') reject(new Error(reply.message));
        else resolve(reply as Extract<Reply, { type: T }>);
      });
      this.send(command);
    });
  }

  landscape(points: number, normalization: 'filter' | 'layer' | 'none') {
    return this.ask({ type: 'landscape', points, normalization }, 'landscape');
  }

  exportModel() {
    return this.ask({ type: 'export' }, 'model');
  }

  predictions() {
    return this.ask({ type: 'predict' }, 'predictions');
  }

  bench(steps: number): Promise<BenchResult> {
    return this.ask({ type: 'bench', steps }, 'bench').then((r) => r.result);
  }

  private receive(reply: Reply): void {
    if (reply.type === 'bench') {
      this.waiting.get('bench')?.(reply);
      this.waiting.delete('bench');
      return;
    }
    if (reply.id !== this.id) return; // from a run that has since been replaced
    // An answer to a question (landscape, model, predictions), or the error it ended in.
    const key = reply.type === 'error' ? [...this.waiting.keys()][0] : reply.type;
    const pending = key === undefined ? undefined : this.waiting.get(key);
    if (pending) {
      this.waiting.delete(key!);
      pending(reply);
      return;
    }
    switch (reply.type) {
      case 'ready':
        this.data = reply.data;
        this.snapshot = { ...reply.snapshot, layers: reply.snapshot.layers ?? [] };
        this.backend = reply.backend;
        this.threads = reply.threads;
        this.status = 'paused';
        break;
      case 'snapshot':
        this.record(reply.snapshot);
        break;
      case 'error':
        this.status = 'error';
        this.error = reply.message;
        break;
      default:
        return;
    }
    this.changed();
  }

  private record(snapshot: Snapshot): void {
    const c = this.curves;
    const isNewEpoch = snapshot.epoch > (c.epochs[c.epochs.length - 1] ?? 0);
    // Light reports carry the epoch's numbers only: keep the last drawn network and boundary.
    const previous = this.snapshot;
    if (snapshot.layers !== null) this.snapshot = { ...snapshot, layers: snapshot.layers };
    else if (previous) this.snapshot = { ...snapshot, layers: previous.layers, boundary: previous.boundary };
    if (isNewEpoch) {
      c.epochs.push(snapshot.epoch);
      const l = snapshot.logs;
      c.loss.push(l.loss ?? NaN);
      c.valLoss.push(l.valLoss ?? NaN);
      c.accuracy.push(l.accuracy ?? NaN);
      c.valAccuracy.push(l.valAccuracy ?? NaN);
      c.lr.push(snapshot.lr);
      for (const [key, value] of Object.entries(l)) {
        const [kind, layer] = key.split('/');
        if (kind === 'gradNorm') (c.gradNorm[layer] ??= []).push(value);
        if (kind === 'deadRelu') (c.deadRelu[layer] ??= []).push(value);
      }
    }
    if (snapshot.done) this.status = 'done';
  }
}
