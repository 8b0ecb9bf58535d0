/**
 * Export: the trained model as descent's two files (model.json + model.safetensors, which
 * `descent evaluate` and io.loadModel read in Node), and the TypeScript that reproduces the run.
 */
import { useState } from 'preact/hooks';
import { reproduceRun } from './codegen.js';
import type { CsvSource } from './datasets.js';
import type { TrainerState } from './state.js';
import type { TrainerClient } from './trainer-client.js';
import { useClient } from './trainer.js';

function offer(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function Export(props: { state: TrainerState; client: TrainerClient; csv: CsvSource | null }) {
  useClient(props.client);
  const [message, setMessage] = useState('');
  const rawDims = props.client.data?.rawDims ?? 2;
  const code = reproduceRun(props.state, rawDims, props.csv?.name);
  const download = async () => {
    try {
      const { json, weights } = await props.client.exportModel();
      offer(new Blob([json], { type: 'application/json' }), 'model.json');
      offer(new Blob([weights as BlobPart], { type: 'application/octet-stream' }), 'model.safetensors');
      setMessage(
        `Saved model.json and model.safetensors at epoch ${props.client.snapshot?.epoch ?? 0}: put them in one folder, then descent evaluate FOLDER or io.loadModel(FOLDER).`,
      );
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <section class="panel export" id="panel-export">
      <div class="column controls">
        <h3>The model</h3>
        <p>
          The trainer's network as it is now, in descent's format (topology JSON and safetensors weights).
        </p>
        <button id="download-model" onClick={download}>
          download model
        </button>
        {message ? <p id="export-message">{message}</p> : null}
        <h3>The run as code</h3>
        <button
          id="download-code"
          onClick={() => offer(new Blob([code], { type: 'text/plain' }), 'playground-run.ts')}
        >
          download playground-run.ts
        </button>
      </div>
      <div class="column">
        <pre class="code" id="run-code">
          {code}
        </pre>
      </div>
    </section>
  );
}
