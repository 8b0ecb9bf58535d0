/**
 * The optimiser arena: the lab's test functions as a contour picture; click to set the start;
 * every chosen optimiser's path (lab.trajectory, the library's own optimisers) animates step
 * by step, with the loss against the step and each optimiser's update rule.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { lab, optim } from 'descent';
import { LineChart } from './charts.js';
import { UPDATE_RULES } from './rules.js';
import type { ArenaState } from './state.js';

const SIZE = 420;
const PATH_COLOURS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#9a6324',
  '#000075',
  '#800000',
  '#469990',
  '#808000',
  '#e6beff',
  '#fabebe',
  '#aaffc3',
];

/** The hyper-parameters of the shared sliders that `name` takes. */
function hyperFor(name: string, a: ArenaState): Record<string, number> {
  const accepted = optim.optimizerOptions(optim.asOptimizerName(name));
  const out: Record<string, number> = {};
  if (accepted.includes('momentum') && (name === 'momentum' || name === 'nesterov'))
    out.momentum = a.momentum;
  if (accepted.includes('beta1')) out.beta1 = a.beta1;
  if (accepted.includes('beta2')) out.beta2 = a.beta2;
  if (accepted.includes('eps')) out.eps = a.eps;
  return out;
}

export function Arena(props: { state: ArenaState; set: (next: ArenaState) => void }) {
  const a = props.state;
  const fn = lab.getTestFunction(lab.testFunctionNames.includes(a.fn) ? a.fn : 'rosenbrock');
  const start = a.start ?? ([fn.start[0], fn.start[1]] as [number, number]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const grid = useMemo(() => lab.evaluateGrid(fn, { nx: 140, ny: 140 }), [fn.name]);
  const lrOf = (name: string) => a.lrs[name] ?? lab.defaultLearningRate(fn, name);
  const paths = useMemo(
    () =>
      a.optimizers.map((name) =>
        lab.trajectory(fn, name, { lr: lrOf(name), start, hyper: hyperFor(name, a) }),
      ),
    [
      fn.name,
      start[0],
      start[1],
      a.optimizers.join(),
      JSON.stringify(a.lrs),
      a.momentum,
      a.beta1,
      a.beta2,
      a.eps,
    ],
  );
  const longest = Math.max(1, ...paths.map((p) => p.points.length));
  const [shown, setShown] = useState(0);
  useEffect(() => {
    // Animate: about two seconds from the start to the last step.
    setShown(0);
    let frame = 0;
    const began = performance.now();
    const tick = () => {
      const k = Math.min(longest, Math.ceil(((performance.now() - began) / 2000) * longest));
      setShown(k);
      if (k < longest) frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [paths]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    c.width = grid.xs.length;
    c.height = grid.ys.length;
    const ctx = c.getContext('2d')!;
    const image = ctx.createImageData(c.width, c.height);
    const level = (v: number) =>
      fn.logLevels
        ? Math.log10(v - grid.min + 1e-3) / Math.log10(grid.max - grid.min + 1e-3)
        : (v - grid.min) / (grid.max - grid.min);
    for (let j = 0; j < grid.ys.length; j++)
      for (let i = 0; i < grid.xs.length; i++) {
        const t = Math.max(0, Math.min(1, level(grid.values[j * grid.xs.length + i])));
        const band = Math.floor(t * 16) / 16; // banded: the bands' edges are the contours
        const k = ((grid.ys.length - 1 - j) * grid.xs.length + i) * 4;
        image.data[k] = 255 - 150 * band;
        image.data[k + 1] = 255 - 90 * band;
        image.data[k + 2] = 255 - 40 * band;
        image.data[k + 3] = 255;
      }
    ctx.putImageData(image, 0, 0);
  }, [grid]);

  const { x: wx, y: wy } = fn.window;
  const px = (x: number) => ((x - wx[0]) / (wx[1] - wx[0])) * SIZE;
  const py = (y: number) => SIZE - ((y - wy[0]) / (wy[1] - wy[0])) * SIZE;
  const click = (event: MouseEvent) => {
    const box = (event.currentTarget as SVGElement).getBoundingClientRect();
    const x = wx[0] + ((event.clientX - box.left) / box.width) * (wx[1] - wx[0]);
    const y = wy[1] - ((event.clientY - box.top) / box.height) * (wy[1] - wy[0]);
    props.set({ ...a, start: [+x.toPrecision(4), +y.toPrecision(4)] });
  };
  const toggle = (name: string) =>
    props.set({
      ...a,
      optimizers: a.optimizers.includes(name)
        ? a.optimizers.filter((n) => n !== name)
        : [...a.optimizers, name],
    });
  const slider = (
    key: 'momentum' | 'beta1' | 'beta2',
    label: string,
    lo: number,
    hi: number,
    step: number,
  ) => (
    <label class="slider">
      {label} <b>{a[key]}</b>
      <input
        type="range"
        name={`arena-${key}`}
        min={lo}
        max={hi}
        step={step}
        value={a[key]}
        onInput={(e) => props.set({ ...a, [key]: Number((e.target as HTMLInputElement).value) })}
      />
    </label>
  );
  const colour = (name: string) => PATH_COLOURS[lab.optimizerNames().indexOf(name) % PATH_COLOURS.length];
  return (
    <section class="panel arena" id="panel-arena">
      <div class="column controls">
        <h3>Function</h3>
        <select
          name="arena-fn"
          value={fn.name}
          onChange={(e) => props.set({ ...a, fn: (e.target as HTMLSelectElement).value, start: null })}
        >
          {lab.testFunctionNames.map((n) => (
            <option value={n}>{lab.getTestFunction(n).title}</option>
          ))}
        </select>
        <p class="formula">{fn.formula}</p>
        <h3>Optimisers</h3>
        <div class="checks">
          {lab.optimizerNames().map((name) => (
            <label style={{ color: colour(name) }}>
              <input
                type="checkbox"
                name={`opt-${name}`}
                checked={a.optimizers.includes(name)}
                onChange={() => toggle(name)}
              />{' '}
              {name}
            </label>
          ))}
        </div>
        <h3>Hyper-parameters</h3>
        {slider('momentum', 'momentum α', 0, 0.99, 0.01)}
        {slider('beta1', 'β₁', 0, 0.999, 0.001)}
        {slider('beta2', 'β₂', 0.9, 0.9999, 0.0001)}
        <label class="slider">
          ε <b>{a.eps.toExponential(0)}</b>
          <input
            type="range"
            name="arena-eps"
            min={-10}
            max={-1}
            step={1}
            value={Math.log10(a.eps)}
            onInput={(e) => props.set({ ...a, eps: 10 ** Number((e.target as HTMLInputElement).value) })}
          />
        </label>
      </div>
      <div class="column">
        <div class="stack" style={{ width: `${SIZE}px`, height: `${SIZE}px` }}>
          <canvas ref={canvas} style={{ width: `${SIZE}px`, height: `${SIZE}px` }} />
          <svg
            class="contour"
            width={SIZE}
            height={SIZE}
            viewBox={`0 0 ${SIZE} ${SIZE}`}
            onClick={click}
            data-fn={fn.name}
          >
            {fn.minima.map(([x, y]) => (
              <text x={px(x)} y={py(y)} class="minimum" text-anchor="middle" dominant-baseline="middle">
                ★
              </text>
            ))}
            {paths.map((p) => {
              const points = p.points.slice(0, shown);
              const d = points
                .map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
                .join('');
              return (
                <path
                  class="trajectory"
                  data-optimizer={p.optimizer}
                  data-full={shown >= longest ? '1' : '0'}
                  d={d}
                  stroke={colour(p.optimizer)}
                  fill="none"
                  stroke-width={2}
                />
              );
            })}
            <circle cx={px(start[0])} cy={py(start[1])} r={5} class="start" />
          </svg>
        </div>
        <p class="hint">
          Click the picture to start the paths there. Start ({start[0]}, {start[1]}).
        </p>
        <LineChart
          title="loss against step"
          id="arena-loss"
          x={Array.from({ length: longest }, (_, k) => k)}
          series={paths.map((p) => ({
            label: p.optimizer,
            colour: colour(p.optimizer),
            values: p.losses.slice(0, shown),
          }))}
          logY={fn.logLevels}
          width={SIZE}
          xLabel="step"
        />
      </div>
      <div class="column rules">
        <h3>Learning rates and update rules</h3>
        {paths.map((p) => (
          <div class="rule" style={{ borderColor: colour(p.optimizer) }}>
            <label class="slider">
              <span style={{ color: colour(p.optimizer) }}>{p.optimizer}</span> η <b>{p.lr.toPrecision(3)}</b>
              <input
                type="range"
                name={`lr-${p.optimizer}`}
                min={-4}
                max={1.5}
                step={0.05}
                value={Math.log10(p.lr)}
                onInput={(e) =>
                  props.set({
                    ...a,
                    lrs: {
                      ...a.lrs,
                      [p.optimizer]: +(10 ** Number((e.target as HTMLInputElement).value)).toPrecision(3),
                    },
                  })
                }
              />
            </label>
            <pre>{(UPDATE_RULES[p.optimizer] ?? []).join('\n')}</pre>
            <small>
              {p.status === 'ok'
                ? `J = ${p.losses[p.losses.length - 1]?.toPrecision(4)} after ${p.points.length - 1} steps`
                : p.note}
            </small>
          </div>
        ))}
      </div>
    </section>
  );
}
