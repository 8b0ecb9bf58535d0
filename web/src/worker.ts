/**
 * The trainer's Web Worker: the training session runs here so that the page only draws.
 * Messages in are commands (see Command); messages out are the data, every epoch's snapshot,
 * landscapes, exported models and errors, each naming what it answers.
 */
import { initBackend, setWasmThreads, wasmInfo } from 'descent';
import { TrainingSession, type DataView, type Snapshot } from './session.js';
import type { CsvSource } from './datasets.js';
import type { TrainerState } from './state.js';
import { benchDigits, type BenchResult } from './bench.js';

export type Command =
  | { type: 'configure'; state: TrainerState; csv: CsvSource | null; id: number }
  | { type: 'play' | 'pause' | 'step' }
  | { type: 'setWeight'; layer: number; unit: number; input: number; value: number }
  | { type: 'landscape'; points: number; normalization: 'filter' | 'layer' | 'none' }
  | { type: 'export' }
  | { type: 'predict' }
  | { type: 'bench'; steps: number };

export type Reply =
  | { type: 'ready'; id: number; data: DataView; snapshot: Snapshot; backend: string; threads: number }
  | { type: 'snapshot'; id: number; snapshot: Snapshot }
  | { type: 'landscape'; id: number; result: ReturnType<TrainingSession['landscape']> }
  | { type: 'model'; id: number; json: string; weights: Uint8Array }
  | { type: 'predictions'; id: number; inputs: Float32Array; width: number; values: number[] }
  | { type: 'bench'; result: BenchResult }
  | { type: 'error'; id: number; message: string };

const post = (reply: Reply) => (self as unknown as Worker).postMessage(reply);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

let session: TrainingSession | null = null;
let id = 0;
// The trainer's networks are small: one thread trains them as fast and leaves a core to the page.
const ready = initBackend('wasm');
let threads = 1;
void ready.then(() => (threads = setWasmThreads(1)));

async function handle(command: Command): Promise<void> {
  const backend = await ready;
  if (command.type === 'configure') {
    const old = session;
    session = null;
    await old?.stop();
    id = command.id;
    const mine = command.id;
    const made = new TrainingSession(
      command.state,
      command.csv,
      (snapshot) => post({ type: 'snapshot', id: mine, snapshot }),
      (error) => post({ type: 'error', id: mine, message: messageOf(error) }),
    );
    session = made;
    post({
      type: 'ready',
      id: mine,
      data: made.dataView(),
      snapshot: made.snapshot(),
      backend: backend.name,
      threads: backend.name === 'wasm' ? wasmInfo().threads : 0,
    });
    return;
  }
  if (command.type === 'bench') {
    // The benchmark runs as a user's worker would: with the backend's own thread count.
    setWasmThreads(threads);
    try {
      post({ type: 'bench', result: await benchDigits(command.steps) });
    } finally {
      setWasmThreads(1);
    }
    return;
  }
  if (!session) return;
  switch (command.type) {
    case 'play':
      return session.play();
    case 'pause':
      return session.pause();
    case 'step':
      return session.stepOnce();
    case 'setWeight':
      session.setWeight(command.layer, command.unit, command.input, command.value);
      post({ type: 'snapshot', id, snapshot: session.snapshot() });
      return;
    case 'landscape':
      post({ type: 'landscape', id, result: session.landscape(command) });
      return;
    case 'export': {
      const { json, weights } = await session.exportModel();
      post({ type: 'model', id, json, weights });
      return;
    }
    case 'predict':
      post({ type: 'predictions', id, ...session.predictTest() });
      return;
  }
}

self.onmessage = (event: MessageEvent<Command>) => {
  handle(event.data).catch((error) => post({ type: 'error', id, message: messageOf(error) }));
};
