/** Line charts (uPlot) for the curves: loss, accuracy, learning rate, dead ReLUs, slices. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Short tick labels that stay readable on a log axis (1e-4, 0.01, 1, 100). */
function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(+v.toPrecision(3));
}

export interface Series {
  label: string;
  values: ArrayLike<number>;
  colour: string;
  dash?: number[];
}

export function LineChart(props: {
  title: string;
  x: ArrayLike<number>;
  series: Series[];
  width?: number;
  height?: number;
  logY?: boolean;
  /** A fixed y range (default: fitted to the data). */
  yRange?: [number, number];
  xLabel?: string;
  id?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${props.series.map((s) => s.label).join('|')}|${props.logY}|${props.width}`;
  useEffect(() => {
    if (!box.current) return;
    const options: uPlot.Options = {
      title: props.title,
      width: props.width ?? 320,
      height: props.height ?? 170,
      scales: {
        x: { time: false },
        y: props.logY ? { distr: 3 } : props.yRange ? { range: props.yRange } : {},
      },
      axes: [
        { label: props.xLabel, size: 30, labelSize: 14 },
        {
          size: 50,
          values: (_u: uPlot, ticks: (number | null)[]) => ticks.map((v) => (v == null ? '' : tickLabel(v))),
        },
      ],
      legend: { show: true, live: false },
      cursor: { show: false },
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: 1.5,
          dash: s.dash,
          points: { show: false },
        })),
      ],
    };
    plot.current = new uPlot(options, [[], ...props.series.map(() => [])] as uPlot.AlignedData, box.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);
  useEffect(() => {
    const x = Array.from(props.x);
    const clean = (v: number) => (Number.isFinite(v) && (!props.logY || v > 0) ? v : null);
    plot.current?.setData([x, ...props.series.map((s) => Array.from(s.values, clean))] as uPlot.AlignedData);
  });
  return <div class="chart" id={props.id} ref={box} />;
}
