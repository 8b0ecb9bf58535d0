/**
 * The page script of the public-entry tests (test/browser/entry.test.ts): the README's
 * digits MLP on the main thread, in a Web Worker (entry-worker.ts, served as /worker.js),
 * or on WebGPU, each returning what the run saw.
 */
import { trainReadmeDigits, type ReadmeRun } from './readme-digits.js';

type Options = Parameters<typeof trainReadmeDigits>[0];

export interface EntryPage {
  isolated: boolean;
  hasGpu: boolean;
  train(options: Options): Promise<ReadmeRun>;
  trainInWorker(options: Options): Promise<ReadmeRun>;
}

function trainInWorker(options: Options): Promise<ReadmeRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/worker.js', { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ run?: ReadmeRun; error?: string }>) => {
      worker.terminate();
      if (event.data.run) resolve(event.data.run);
      else reject(new Error(event.data.error ?? 'the worker sent nothing'));
    };
    worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
    worker.postMessage(options);
  });
}

const entry: EntryPage = {
  isolated: globalThis.crossOriginIsolated === true,
  hasGpu: 'gpu' in navigator,
  train: trainReadmeDigits,
  trainInWorker,
};
(globalThis as unknown as { descentEntry: EntryPage }).descentEntry = entry;
