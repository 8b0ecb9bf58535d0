/**
 * The page script of the WebGPU browser suite (bundled by harness.ts): initialises the webgpu
 * backend on navigator.gpu and exposes the shared conformance cases and the webgpu-specific
 * cases to the harness, which runs them one by one through Playwright.
 */
import { initWebGpu } from '../../src/backend/webgpu/index.js';
import { conformanceCases, type ConformanceCase } from '../backend/conformance.js';
import { WEBGPU_CONFORMANCE, webgpuCases } from '../backend/webgpu-cases.js';

export interface CaseResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface BrowserSuite {
  adapter: string;
  names: string[];
  run(name: string): Promise<CaseResult>;
}

async function start(): Promise<BrowserSuite> {
  const backend = await initWebGpu();
  const cases: ConformanceCase[] = [
    ...conformanceCases('webgpu', WEBGPU_CONFORMANCE).map((c) => ({ ...c, name: `conformance: ${c.name}` })),
    ...webgpuCases().map((c) => ({ ...c, name: `webgpu: ${c.name}` })),
  ];
  const byName = new Map(cases.map((c) => [c.name, c]));
  return {
    adapter: backend!.info().adapter,
    names: cases.map((c) => c.name),
    async run(name: string): Promise<CaseResult> {
      const c = byName.get(name);
      const started = performance.now();
      if (!c) return { ok: false, ms: 0, error: `no case named ${name}` };
      try {
        await c.run();
        return { ok: true, ms: performance.now() - started };
      } catch (error) {
        const e = error as Error;
        return { ok: false, ms: performance.now() - started, error: e?.stack ?? String(error) };
      }
    },
  };
}

(globalThis as { descentSuite?: Promise<BrowserSuite> }).descentSuite = start();
