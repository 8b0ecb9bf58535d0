/**
 * descent's playground: four panels over one state that lives in the URL. The arena computes
 * its paths here (small, on the cpu backend); the trainer's network trains in a Web Worker.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { setBackend } from 'descent';
import { Arena } from './arena.js';
import type { CsvSource } from './datasets.js';
import { Export } from './export.js';
import { Landscape } from './landscape.js';
import { fromHash, PANELS, toHash, type Panel, type PlaygroundState } from './state.js';
import { Trainer } from './trainer.js';
import { benchDigits } from './bench.js';
import { TrainerClient } from './trainer-client.js';
import './style.css';

setBackend('cpu');

const TITLES: Record<Panel, string> = {
  arena: 'Optimiser arena',
  trainer: 'Network trainer',
  landscape: 'Landscape',
  export: 'Export',
};

function App() {
  const [state, setState] = useState<PlaygroundState>(() => fromHash(location.hash));
  const [csv, setCsv] = useState<CsvSource | null>(null);
  const client = useMemo(() => new TrainerClient(new URL('./worker.js', import.meta.url)), []);
  useEffect(() => {
    history.replaceState(null, '', `#${toHash(state)}`);
  }, [state]);
  useEffect(() => {
    const onHash = () => setState(fromHash(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const trainerKey = JSON.stringify(state.trainer) + (csv?.name ?? '') + (csv?.text.length ?? 0);
  useEffect(() => {
    if (state.trainer.dataset === 'csv' && !csv)
      setState((s) => ({ ...s, trainer: { ...s.trainer, dataset: 'circles' } }));
    else client.configure(state.trainer, csv);
  }, [trainerKey]);
  // For the tests and the measurements (test/web/): the state, the worker's client, and the
  // digits benchmark on this thread (it borrows the wasm backend, then gives the arena its cpu back).
  (globalThis as unknown as { playground: unknown }).playground = {
    state,
    client,
    csv,
    benchMain: async (steps: number) => {
      try {
        return await benchDigits(steps);
      } finally {
        setBackend('cpu');
      }
    },
  };
  return (
    <>
      <header>
        <h1>descent playground</h1>
        <nav>
          {PANELS.map((p) => (
            <button
              class={p === state.panel ? 'chosen' : ''}
              id={`tab-${p}`}
              onClick={() => setState({ ...state, panel: p })}
            >
              {TITLES[p]}
            </button>
          ))}
        </nav>
      </header>
      {state.panel === 'arena' ? (
        <Arena state={state.arena} set={(arena) => setState({ ...state, arena })} />
      ) : null}
      <div hidden={state.panel !== 'trainer'}>
        <Trainer
          state={state.trainer}
          set={(trainer) => setState((s) => ({ ...s, trainer }))}
          client={client}
          csv={csv}
          setCsv={setCsv}
          reset={() => client.configure(state.trainer, csv)}
        />
      </div>
      {state.panel === 'landscape' ? <Landscape client={client} /> : null}
      {state.panel === 'export' ? <Export state={state.trainer} client={client} csv={csv} /> : null}
    </>
  );
}

render(<App />, document.getElementById('app')!);
