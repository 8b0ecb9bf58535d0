/**
 * The network trainer: TF Playground's panel on descent — data, features, the network drawn
 * with each neuron's output and its weights, the decision boundary, the curves — and what
 * it lacks: more data sets and the user's CSV, per-layer settings, every optimiser, schedules,
 * regularisation, batch norm, clipping, early stopping, and a look inside while it trains.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { data, optim } from 'descent';
import { LineChart } from './charts.js';
import { featureByLabel, type CsvSource } from './datasets.js';
import {
  CLASS_COLOURS,
  diverging,
  paintClasses,
  paintHeatmap,
  sequentialRgb,
  symmetricScale,
} from './draw.js';
import { GRID, type DataView, type DrawnSnapshot as Snapshot } from './session.js';
import {
  ACTIVATIONS,
  DATASETS,
  FEATURE_LABELS,
  FEATURES,
  INITIALIZERS,
  TRAIN_OPTIMIZERS,
  type FeatureName,
  type TrainerState,
} from './state.js';
import type { TrainerClient } from './trainer-client.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function useClient(client: TrainerClient): void {
  const [, force] = useState(0);
  useEffect(() => client.subscribe(() => force((n) => n + 1)), [client]);
}

function Heatmap(props: {
  values: ArrayLike<number> | null;
  side: number;
  size: number;
  classes?: boolean;
  probability?: boolean;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current || !props.values) return;
    if (props.classes) paintClasses(ref.current, props.values, props.side);
    else
      paintHeatmap(
        ref.current,
        props.values,
        props.side,
        props.probability ? 2 : symmetricScale(props.values),
        props.probability ? -1 : 0,
      );
  }, [props.values, props.classes]);
  return <canvas ref={ref} class="heatmap" style={{ width: `${props.size}px`, height: `${props.size}px` }} />;
}

/** Input feature images over the grid, computed here from the features' formulas. */
const inputImages = new WeakMap<DataView, Map<string, Float32Array | null>>();

function inputImage(label: string, view: DataView): Float32Array | null {
  let byLabel = inputImages.get(view);
  if (!byLabel) inputImages.set(view, (byLabel = new Map()));
  if (!byLabel.has(label)) byLabel.set(label, computeInputImage(label, view));
  return byLabel.get(label)!;
}

function computeInputImage(label: string, view: DataView): Float32Array | null {
  const f = featureByLabel(label);
  if (!f || !view.planar) return null;
  const { x, y } = view.window;
  const regression = view.task === 'regression';
  const out = new Float32Array(regression ? GRID : GRID * GRID);
  for (let j = 0; j < (regression ? 1 : GRID); j++)
    for (let i = 0; i < GRID; i++) {
      const a = x[0] + ((i + 0.5) * (x[1] - x[0])) / GRID;
      const b = y[1] - ((j + 0.5) * (y[1] - y[0])) / GRID;
      out[j * GRID + i] = f(a, b);
    }
  return out;
}

interface Segment {
  pick: Picked;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  colour: [number, number, number];
  width: number;
}

/** The weights as links on one canvas (hundreds of them redraw in a frame); a click picks the nearest. */
function Links(props: { width: number; height: number; segments: Segment[]; onPick: (p: Picked) => void }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current!;
    const ratio = devicePixelRatio || 1;
    if (c.width !== props.width * ratio) c.width = props.width * ratio;
    if (c.height !== props.height * ratio) c.height = props.height * ratio;
    const ctx = c.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, props.width, props.height);
    for (const s of props.segments) {
      ctx.strokeStyle = `rgb(${s.colour[0]},${s.colour[1]},${s.colour[2]})`;
      ctx.lineWidth = s.width;
      ctx.beginPath();
      ctx.moveTo(s.x1, s.y1);
      ctx.lineTo(s.x2, s.y2);
      ctx.stroke();
    }
  }, [props.segments, props.width, props.height]);
  const click = (event: MouseEvent) => {
    const box = ref.current!.getBoundingClientRect();
    const x = event.clientX - box.left;
    const y = event.clientY - box.top;
    let best: Segment | null = null;
    let bestDistance = 5;
    for (const s of props.segments) {
      const dx = s.x2 - s.x1;
      const dy = s.y2 - s.y1;
      const t = Math.max(0, Math.min(1, ((x - s.x1) * dx + (y - s.y1) * dy) / (dx * dx + dy * dy || 1)));
      const d = Math.hypot(x - (s.x1 + t * dx), y - (s.y1 + t * dy));
      if (d < bestDistance) {
        bestDistance = d;
        best = s;
      }
    }
    if (best) props.onPick(best.pick);
  };
  return (
    <canvas
      ref={ref}
      class="links"
      style={{ width: `${props.width}px`, height: `${props.height}px` }}
      onClick={click}
    />
  );
}

interface Picked {
  layer: number;
  unit: number;
  input: number;
}

function NetworkDiagram(props: {
  view: DataView;
  snapshot: Snapshot;
  state: TrainerState;
  set: (t: TrainerState) => void;
  onPick: (p: Picked) => void;
}) {
  const { view, snapshot, state } = props;
  const columns = [view.inputs.length, ...snapshot.layers.map((l) => l.units)];
  const tall = Math.max(...columns);
  const node = tall > 24 ? 12 : 34;
  const gap = node + (tall > 24 ? 4 : 12);
  const colGap = 120;
  const height = tall * gap + 10;
  const width = (columns.length - 1) * colGap + node + 10;
  const regression = view.task === 'regression';
  const side = regression ? 1 : GRID;
  const top = (c: number, k: number) => 5 + ((tall - columns[c]) * gap) / 2 + k * gap;
  const left = (c: number) => 5 + c * colGap;
  const heatSide = (values: Float32Array | null, k: number) =>
    values ? values.subarray(k * GRID * side, (k + 1) * GRID * side) : null;
  const segments = useMemo(() => {
    const maxW = Math.max(1e-6, ...snapshot.layers.flatMap((l) => Array.from(l.weight, Math.abs)));
    const out: Segment[] = [];
    snapshot.layers.forEach((layer, k) => {
      for (let u = 0; u < layer.units; u++)
        for (let i = 0; i < layer.inputs; i++) {
          const w = layer.weight[u * layer.inputs + i];
          out.push({
            pick: { layer: k, unit: u, input: i },
            x1: left(k) + node,
            y1: top(k, i) + node / 2,
            x2: left(k + 1),
            y2: top(k + 1, u) + node / 2,
            colour: diverging(w / maxW),
            width: Math.max(0.3, (Math.abs(w) / maxW) * 5),
          });
        }
    });
    return out;
  }, [snapshot.layers]);
  const setLayer = (k: number, patch: Partial<TrainerState['layers'][number]>) =>
    props.set({ ...state, layers: state.layers.map((l, i) => (i === k ? { ...l, ...patch } : l)) });
  return (
    <div class="network">
      <div class="layer-controls" style={{ width: `${width}px` }}>
        <div class="layer-head" style={{ left: `${left(0)}px` }}>
          {view.inputs.length} inputs
        </div>
        {state.layers.map((l, k) => (
          <div class="layer-head" style={{ left: `${left(k + 1) - 30}px` }}>
            <div>
              <button title="fewer units" onClick={() => l.units > 1 && setLayer(k, { units: l.units - 1 })}>
                −
              </button>
              <input
                class="units"
                name={`units-${k}`}
                type="number"
                min={1}
                value={l.units}
                onChange={(e) =>
                  setLayer(k, {
                    units: Math.max(1, Math.round(Number((e.target as HTMLInputElement).value)) || 1),
                  })
                }
              />
              <button title="more units" onClick={() => setLayer(k, { units: l.units + 1 })}>
                +
              </button>
            </div>
            <select
              name={`activation-${k}`}
              value={l.activation}
              onChange={(e) => setLayer(k, { activation: (e.target as HTMLSelectElement).value })}
            >
              {ACTIVATIONS.map((a) => (
                <option value={a}>{a}</option>
              ))}
            </select>
            <select
              name={`init-${k}`}
              value={l.init}
              onChange={(e) => setLayer(k, { init: (e.target as HTMLSelectElement).value })}
            >
              {INITIALIZERS.map((a) => (
                <option value={a}>{a}</option>
              ))}
            </select>
          </div>
        ))}
        <div class="layer-head" style={{ left: `${left(columns.length - 1) - 10}px` }}>
          output
        </div>
      </div>
      <div class="diagram" style={{ width: `${width}px`, height: `${height}px` }}>
        <Links width={width} height={height} segments={segments} onPick={props.onPick} />
        {columns.map((count, c) =>
          Array.from({ length: count }, (_, k) => {
            const values =
              c === 0 ? inputImage(view.inputs[k], view) : heatSide(snapshot.layers[c - 1].neurons, k);
            const title = c === 0 ? view.inputs[k] : `${snapshot.layers[c - 1].name} unit ${k + 1}`;
            return (
              <div
                class="node"
                title={title}
                style={{
                  left: `${left(c)}px`,
                  top: `${top(c, k)}px`,
                  width: `${node}px`,
                  height: `${node}px`,
                }}
              >
                {values && node > 20 ? (
                  <Heatmap values={values} side={side === 1 ? GRID : GRID} size={node} />
                ) : null}
                {c === 0 && node > 20 ? <span class="node-label">{view.inputs[k]}</span> : null}
              </div>
            );
          }),
        )}
      </div>
      <div class="layer-buttons">
        <button
          id="add-layer"
          onClick={() =>
            props.set({
              ...state,
              layers: [
                ...state.layers,
                {
                  units: 8,
                  activation: state.layers[state.layers.length - 1]?.activation ?? 'tanh',
                  init: 'glorotUniform',
                },
              ],
            })
          }
        >
          + layer
        </button>
        <button
          id="remove-layer"
          onClick={() => props.set({ ...state, layers: state.layers.slice(0, -1) })}
          disabled={state.layers.length === 0}
        >
          − layer
        </button>
      </div>
    </div>
  );
}

/** The data with the model's output underneath: boundary for classes, the curve for sine. */
function OutputView(props: { view: DataView; snapshot: Snapshot; showTest: boolean }) {
  const { view, snapshot } = props;
  const size = 300;
  const { x, y } = view.window;
  const px = (a: number) => ((a - x[0]) / (x[1] - x[0])) * size;
  const py = (b: number) => size - ((b - y[0]) / (y[1] - y[0])) * size;
  if (!view.planar)
    return (
      <div class="output-summary" style={{ width: `${size}px` }}>
        <p>
          {view.name}: {view.train.y.length} training and {view.test.y.length} test samples of {view.rawDims}{' '}
          features, {view.numClasses} classes. There is no plane to draw; the curves and the network show how
          it learns.
        </p>
      </div>
    );
  const parts = [
    { part: view.train, cls: 'train' },
    ...(props.showTest ? [{ part: view.test, cls: 'test' }] : []),
  ];
  if (view.task === 'regression') {
    const curve = snapshot.boundary
      ? Array.from(
          snapshot.boundary,
          (v, i) =>
            `${i === 0 ? 'M' : 'L'}${px(x[0] + ((i + 0.5) * (x[1] - x[0])) / GRID).toFixed(1)},${py(v).toFixed(1)}`,
        ).join('')
      : '';
    return (
      <svg class="output" id="output" width={size} height={size}>
        {parts.map(({ part, cls }) =>
          Array.from(part.y, (t, i) => (
            <circle class={`point ${cls}`} cx={px(part.raw[i])} cy={py(t)} r={2.5} />
          )),
        )}
        <path d={curve} stroke="#0877bd" stroke-width={2.5} fill="none" id="prediction-curve" />
      </svg>
    );
  }
  const multi = view.numClasses > 2;
  return (
    <div class="stack output" id="output" style={{ width: `${size}px`, height: `${size}px` }}>
      <Heatmap values={snapshot.boundary} side={GRID} size={size} classes={multi} probability={!multi} />
      <svg width={size} height={size}>
        {parts.map(({ part, cls }) =>
          Array.from(part.y, (label, i) => (
            <circle
              class={`point ${cls}`}
              cx={px(part.raw[2 * i])}
              cy={py(part.raw[2 * i + 1])}
              r={3}
              fill={CLASS_COLOURS[label % CLASS_COLOURS.length]}
            />
          )),
        )}
      </svg>
    </div>
  );
}

function GradientHeatmap(props: { gradNorm: Record<string, number[]>; epochs: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const names = Object.keys(props.gradNorm);
  useEffect(() => {
    // One pixel per layer and epoch, stretched by CSS; the colour is log₁₀ of the norm.
    const c = ref.current;
    if (!c) return;
    const epochs = Math.max(1, ...names.map((n) => props.gradNorm[n].length));
    c.width = epochs;
    c.height = Math.max(1, names.length);
    const ctx = c.getContext('2d')!;
    let lo = -6;
    let hi = 1;
    for (const n of names)
      for (const v of props.gradNorm[n])
        if (v > 0) {
          const l = Math.log10(v);
          if (l < lo) lo = l;
          if (l > hi) hi = l;
        }
    const image = ctx.createImageData(epochs, c.height);
    names.forEach((n, r) =>
      props.gradNorm[n].forEach((v, e) => {
        const [red, green, blue] = sequentialRgb(v > 0 ? (Math.log10(v) - lo) / (hi - lo) : 0);
        image.data.set([red, green, blue, 255], 4 * (r * epochs + e));
      }),
    );
    ctx.putImageData(image, 0, 0);
  }, [props.epochs, names.length]);
  return (
    <div class="gradients">
      <h4>‖∂C/∂W‖ per layer (log colour, dark = vanishing, yellow = large)</h4>
      <div class="grad-rows">
        <div class="grad-names">
          {names.map((n) => (
            <div>{n}</div>
          ))}
        </div>
        <canvas ref={ref} id="gradient-heatmap" style={{ height: `${Math.max(1, names.length) * 18}px` }} />
      </div>
    </div>
  );
}

function Histograms(props: { snapshot: Snapshot }) {
  return (
    <div class="histograms">
      <h4>weights</h4>
      {props.snapshot.layers.map((l) => {
        const max = Math.max(1, ...l.histogram.counts);
        return (
          <div
            class="histogram"
            title={`${l.name}: ${l.histogram.lo.toPrecision(2)} … ${l.histogram.hi.toPrecision(2)}`}
          >
            <span>{l.name}</span>
            <svg width={120} height={30}>
              {l.histogram.counts.map((c, i) => (
                <rect x={i * 5} y={30 - (c / max) * 30} width={4} height={(c / max) * 30} fill="#0877bd" />
              ))}
            </svg>
            <small>
              {l.histogram.lo.toPrecision(2)} … {l.histogram.hi.toPrecision(2)}
            </small>
          </div>
        );
      })}
    </div>
  );
}

const fmt = (v: number | undefined, digits = 3) =>
  v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

export function Trainer(props: {
  state: TrainerState;
  set: (t: TrainerState) => void;
  client: TrainerClient;
  csv: CsvSource | null;
  setCsv: (csv: CsvSource) => void;
  reset: () => void;
}) {
  const { state, client } = props;
  useClient(client);
  const [csvError, setCsvError] = useState('');
  const [picked, setPicked] = useState<Picked | null>(null);
  const [showTest, setShowTest] = useState(false);
  const [scheduleError, setScheduleError] = useState('');
  const view = client.data;
  const snapshot = client.snapshot;
  const set = (patch: Partial<TrainerState>) => props.set({ ...state, ...patch });

  const readCsv = async (file: File) => {
    try {
      await data.readLabelledCsvBlob(file); // the library's reader: its message names the line
      setCsvError('');
      props.setCsv({ name: file.name, text: await file.text() });
      set({ dataset: 'csv' });
    } catch (error) {
      setCsvError(messageOf(error));
    }
  };
  const drop = (event: DragEvent) => {
    event.preventDefault();
    const file = event.dataTransfer?.files[0];
    if (file) void readCsv(file);
  };
  const number = (key: keyof TrainerState, label: string, attrs: Record<string, number | string> = {}) => (
    <label class="field">
      {label}
      <input
        type="number"
        name={key}
        value={state[key] as number}
        {...attrs}
        onChange={(e) => {
          const v = Number((e.target as HTMLInputElement).value);
          if (Number.isFinite(v)) set({ [key]: v });
        }}
      />
    </label>
  );
  const range = (
    key: 'noise' | 'ratio' | 'count' | 'dropout' | 'momentum' | 'beta1' | 'beta2',
    label: string,
    lo: number,
    hi: number,
    step: number,
  ) => (
    <label class="slider">
      {label} <b>{state[key]}</b>
      <input
        type="range"
        name={key}
        min={lo}
        max={hi}
        step={step}
        value={state[key]}
        onChange={(e) => set({ [key]: Number((e.target as HTMLInputElement).value) })}
      />
    </label>
  );
  const logs = snapshot?.logs ?? {};
  const layerOfPick = picked && snapshot ? snapshot.layers[picked.layer] : null;
  const status = client.status;
  const c = client.curves;
  const deadNames = Object.keys(c.deadRelu);
  // The network and the output are redrawn only when a full snapshot brings new weights.
  const layers = snapshot?.layers;
  const diagram = useMemo(
    () =>
      view && snapshot ? (
        <NetworkDiagram view={view} snapshot={snapshot} state={state} set={props.set} onPick={setPicked} />
      ) : null,
    [view, layers, state],
  );
  const output = useMemo(
    () => (view && snapshot ? <OutputView view={view} snapshot={snapshot} showTest={showTest} /> : null),
    [view, layers, showTest],
  );
  return (
    <section class="panel trainer" id="panel-trainer">
      <div class="column controls" onDragOver={(e) => e.preventDefault()} onDrop={drop} id="data-column">
        <h3>Data</h3>
        <div class="datasets">
          {DATASETS.map((d) => (
            <button
              class={d === state.dataset ? 'chosen' : ''}
              name={`dataset-${d}`}
              disabled={d === 'csv' && !props.csv}
              onClick={() => set({ dataset: d })}
            >
              {d === 'csv' ? (props.csv?.name ?? 'your CSV') : d}
            </button>
          ))}
        </div>
        {range('ratio', 'training data %', 10, 90, 10)}
        {range('noise', 'noise', 0, 0.5, 0.01)}
        {range('count', 'points', 50, 1000, 50)}
        <label class="file">
          Your CSV (features, then an integer label; or drop it here)
          <input
            type="file"
            id="csv-file"
            accept=".csv,text/csv,text/plain"
            onChange={(e) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f) void readCsv(f);
            }}
          />
        </label>
        {csvError ? (
          <p class="error" id="csv-error" role="alert">
            {csvError}
          </p>
        ) : null}
        <h3>Features</h3>
        <div class="checks">
          {FEATURES.map((f) => (
            <label>
              <input
                type="checkbox"
                name={`feature-${f}`}
                checked={state.features.includes(f)}
                onChange={() =>
                  set({
                    features: state.features.includes(f)
                      ? state.features.filter((x) => x !== f)
                      : [...state.features, f as FeatureName],
                  })
                }
              />{' '}
              {FEATURE_LABELS[f]}
            </label>
          ))}
        </div>
        <h3>Regularisation</h3>
        {number('l1', 'L1 λ', { step: 0.0001, min: 0 })}
        {number('l2', 'L2 λ', { step: 0.0001, min: 0 })}
        {range('dropout', 'dropout', 0, 0.7, 0.05)}
        <label class="field">
          <input
            type="checkbox"
            name="batchNorm"
            checked={state.batchNorm}
            onChange={() => set({ batchNorm: !state.batchNorm })}
          />{' '}
          batch norm
        </label>
        {number('clipNorm', 'clip ‖g‖ at (0: off)', { step: 0.1, min: 0 })}
        {number('patience', 'early stopping patience (0: off)', { step: 1, min: 0 })}
      </div>
      <div class="column middle">
        <div class="toolbar">
          <button id="reset" title="reset" onClick={props.reset}>
            ⟲ reset
          </button>
          <button
            id="play"
            class="play"
            disabled={status === 'starting' || status === 'error' || status === 'done'}
            onClick={() => (status === 'playing' ? client.pause() : client.play())}
          >
            {status === 'playing' ? '❚❚ pause' : '▶ play'}
          </button>
          <button id="step" disabled={status !== 'paused'} onClick={() => client.step()}>
            step one epoch
          </button>
          <span class="stat">
            epoch <b id="epoch">{snapshot?.epoch ?? 0}</b>
          </span>
          <span class="stat">
            lr <b id="current-lr">{snapshot ? snapshot.lr.toPrecision(3) : '—'}</b>
          </span>
          <span class="stat backend">
            {client.backend
              ? `${client.backend}${client.threads > 1 ? ` × ${client.threads} threads` : ''} in a worker`
              : ''}
          </span>
        </div>
        <div class="hyper">
          <label class="field">
            optimiser
            <select
              name="optimizer"
              value={state.optimizer}
              onChange={(e) => set({ optimizer: (e.target as HTMLSelectElement).value })}
            >
              {TRAIN_OPTIMIZERS.map((o) => (
                <option value={o}>{o}</option>
              ))}
            </select>
          </label>
          {number('lr', 'η', { step: 0.001, min: 0 })}
          <label class="field">
            schedule
            <input
              name="schedule"
              value={state.schedule}
              title={optim.SCHEDULE_FORMS}
              onChange={(e) => {
                const text = (e.target as HTMLInputElement).value.trim() || 'constant';
                try {
                  optim.parseSchedule(text as Parameters<typeof optim.parseSchedule>[0], state.lr);
                  setScheduleError('');
                  set({ schedule: text });
                } catch (error) {
                  setScheduleError(messageOf(error));
                }
              }}
            />
          </label>
          {number('batchSize', 'batch (0 = all)', { step: 1, min: 0 })}
          {number('epochs', 'epochs', { step: 1, min: 1 })}
          {number('seed', 'seed', { step: 1 })}
          {['momentum', 'nesterov'].includes(state.optimizer)
            ? range('momentum', 'momentum α', 0, 0.99, 0.01)
            : null}
          {optim.optimizerOptions(optim.asOptimizerName(state.optimizer)).includes('beta1')
            ? range('beta1', 'β₁', 0, 0.999, 0.001)
            : null}
          {optim.optimizerOptions(optim.asOptimizerName(state.optimizer)).includes('beta2')
            ? range('beta2', 'β₂', 0.9, 0.9999, 0.0001)
            : null}
          {optim.optimizerOptions(optim.asOptimizerName(state.optimizer)).includes('eps')
            ? number('eps', 'ε', { step: 1e-8, min: 0 })
            : null}
        </div>
        {scheduleError ? (
          <p class="error" id="schedule-error">
            {scheduleError}
          </p>
        ) : null}
        {client.error ? (
          <p class="error" id="train-error" role="alert">
            {client.error}
          </p>
        ) : null}
        {diagram ?? <p class="hint">starting…</p>}
        {picked && layerOfPick ? (
          <form
            class="weight-editor"
            id="weight-editor"
            onSubmit={(e) => {
              e.preventDefault();
              const v = Number(
                ((e.target as HTMLFormElement).elements.namedItem('weight') as HTMLInputElement).value,
              );
              if (Number.isFinite(v)) client.setWeight(picked.layer, picked.unit, picked.input, v);
            }}
          >
            {layerOfPick.name} w[{picked.unit + 1}, {picked.input + 1}] ={' '}
            <input
              name="weight"
              type="number"
              step="any"
              value={layerOfPick.weight[picked.unit * layerOfPick.inputs + picked.input].toPrecision(4)}
            />{' '}
            <button>set</button>
          </form>
        ) : (
          <p class="hint">Click a link to edit its weight. Orange: negative, blue: positive; width: size.</p>
        )}
      </div>
      <div class="column results">
        <h3>Output</h3>
        <div class="numbers">
          <span>
            train loss{' '}
            <b id="train-loss" data-value={logs.loss}>
              {fmt(logs.loss)}
            </b>
          </span>
          <span>
            test loss{' '}
            <b id="test-loss" data-value={logs.valLoss}>
              {fmt(logs.valLoss)}
            </b>
          </span>
          {view?.task === 'classification' ? (
            <>
              <span>
                train acc{' '}
                <b id="train-acc" data-value={logs.accuracy}>
                  {fmt(logs.accuracy)}
                </b>
              </span>
              <span>
                test acc{' '}
                <b id="test-acc" data-value={logs.valAccuracy}>
                  {fmt(logs.valAccuracy)}
                </b>
              </span>
            </>
          ) : null}
        </div>
        {output}
        <label>
          <input
            type="checkbox"
            name="show-test"
            checked={showTest}
            onChange={() => setShowTest(!showTest)}
          />{' '}
          show test data
        </label>
        <LineChart
          title="loss"
          id="loss-chart"
          x={c.epochs}
          series={[
            { label: 'train', values: c.loss, colour: '#333' },
            { label: 'test', values: c.valLoss, colour: '#e6194b', dash: [4, 3] },
          ]}
          logY
          xLabel="epoch"
        />
        {view?.task === 'classification' ? (
          <LineChart
            title="accuracy"
            x={c.epochs}
            series={[
              { label: 'train', values: c.accuracy, colour: '#333' },
              { label: 'test', values: c.valAccuracy, colour: '#e6194b', dash: [4, 3] },
            ]}
            xLabel="epoch"
          />
        ) : null}
        <GradientHeatmap gradNorm={c.gradNorm} epochs={c.epochs.length} />
        {deadNames.length > 0 ? (
          <LineChart
            title="share of dead ReLUs"
            x={c.epochs}
            series={deadNames.map((n, i) => ({
              label: n,
              values: c.deadRelu[n],
              colour: CLASS_COLOURS[i % CLASS_COLOURS.length],
            }))}
            yRange={[0, 1]}
            xLabel="epoch"
          />
        ) : null}
        <LineChart
          title="learning rate"
          x={c.epochs}
          series={[{ label: 'η', values: c.lr, colour: '#0877bd' }]}
          xLabel="epoch"
          height={120}
        />
        {snapshot ? <Histograms snapshot={snapshot} /> : null}
      </div>
    </section>
  );
}
