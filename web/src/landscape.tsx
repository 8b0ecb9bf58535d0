/**
 * The loss landscape around the trainer's current weights (lab's filter-normalised slices):
 * two 1-D slices along random directions, a 2-D surface over two random directions, and the
 * surface in the plane of the training path with the path drawn on it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { LineChart } from './charts.js';
import { sequential } from './draw.js';
import type { TrainerClient } from './trainer-client.js';
import type { TrainingSession } from './session.js';

type Result = ReturnType<TrainingSession['landscape']>;
type Surface = NonNullable<Result['plane']>;

function SurfaceView(props: { surface: Surface; title: string; id: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const size = 260;
  const { alphas, betas, values, path } = props.surface;
  const [lo, hi] = [alphas[0], alphas[alphas.length - 1]];
  const [blo, bhi] = [betas[0], betas[betas.length - 1]];
  useEffect(() => {
    const c = ref.current!;
    c.width = alphas.length;
    c.height = betas.length;
    const ctx = c.getContext('2d')!;
    const logs = Array.from(values, (v) => Math.log10(Math.max(v, 1e-8)));
    const min = Math.min(...logs);
    const max = Math.max(...logs);
    logs.forEach((v, k) => {
      const i = k % alphas.length;
      const j = Math.floor(k / alphas.length);
      ctx.fillStyle = sequential((v - min) / (max - min || 1));
      ctx.fillRect(i, betas.length - 1 - j, 1, 1);
    });
  });
  const px = (a: number) => ((a - lo) / (hi - lo)) * size;
  const py = (b: number) => size - ((b - blo) / (bhi - blo)) * size;
  return (
    <figure class="surface" id={props.id}>
      <div class="stack" style={{ width: `${size}px`, height: `${size}px` }}>
        <canvas ref={ref} style={{ width: `${size}px`, height: `${size}px`, imageRendering: 'pixelated' }} />
        <svg width={size} height={size}>
          {path ? (
            <path
              d={path.map(([a, b], k) => `${k ? 'L' : 'M'}${px(a).toFixed(1)},${py(b).toFixed(1)}`).join('')}
              stroke="white"
              stroke-width={2}
              fill="none"
            />
          ) : null}
          {path ? path.map(([a, b]) => <circle cx={px(a)} cy={py(b)} r={1.8} fill="white" />) : null}
          <circle cx={px(0)} cy={py(0)} r={4} fill="#e6194b" />
        </svg>
      </div>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}

export function Landscape(props: { client: TrainerClient }) {
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [normalization, setNormalization] = useState<'filter' | 'layer' | 'none'>('filter');
  const compute = async () => {
    setBusy(true);
    setError('');
    try {
      setResult((await props.client.landscape(21, normalization)).result);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel landscape" id="panel-landscape">
      <div class="column controls">
        <p>
          The training loss around the trainer's current weights θ*: J(θ* + α d) along random directions d,
          each filter of d scaled to the norm of the same filter in θ* (Li et al. 2018), so that slices of
          different networks compare.
        </p>
        <label class="field">
          normalisation
          <select
            value={normalization}
            onChange={(e) => setNormalization((e.target as HTMLSelectElement).value as typeof normalization)}
          >
            <option value="filter">filter</option>
            <option value="layer">layer</option>
            <option value="none">none</option>
          </select>
        </label>
        <button id="landscape-compute" onClick={compute} disabled={busy}>
          {busy ? 'computing…' : 'compute at the current weights'}
        </button>
        {error ? <p class="error">{error}</p> : null}
        {result ? (
          <p id="landscape-epoch">at epoch {result.epoch}</p>
        ) : (
          <p class="hint">Train a little in the trainer first, then compute.</p>
        )}
      </div>
      {result ? (
        <div class="column">
          <LineChart
            title="1-D slices J(θ* + α d)"
            id="landscape-slices"
            x={result.slices[0].alphas}
            series={result.slices.map((s, i) => ({
              label: `direction ${i + 1}`,
              values: s.losses,
              colour: i ? '#e6194b' : '#0877bd',
            }))}
            xLabel="α"
            width={360}
          />
          <div class="surfaces">
            <SurfaceView
              surface={result.random}
              title="J(θ* + α d + β e), two random directions (red: θ*)"
              id="landscape-random"
            />
            {result.plane ? (
              <SurfaceView
                surface={result.plane}
                title={`the plane of the training path (PCA of the epochs' weights, ${Math.round(100 * (result.plane.explained?.[0] ?? 0))}% + ${Math.round(100 * (result.plane.explained?.[1] ?? 0))}% of its variance), the path in white`}
                id="landscape-path"
              />
            ) : (
              <p class="hint">The path's plane needs two epochs or more.</p>
            )}
          </div>
        </div>
      ) : null}
    </section>
  );
}
