/** The Web Worker of the public-entry tests: trains the README's digits MLP when asked. */
import { trainReadmeDigits } from './readme-digits.js';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};
scope.onmessage = async (event: MessageEvent) => {
  try {
    scope.postMessage({ run: await trainReadmeDigits(event.data) });
  } catch (error) {
    scope.postMessage({ error: (error as Error).stack ?? String(error) });
  }
};
