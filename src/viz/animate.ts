/**
 * Animated contour plots, in the spirit of Alec Radford's well-known optimiser animations:
 * the paths are drawn faintly and a dot per optimiser moves along its path, one step per
 * tick, with a trail that grows behind it — all optimisers on the same clock, so the fast
 * ones visibly arrive first.
 *
 * The result is one SVG file with SMIL animation (`<animate>`), which browsers play
 * without any script; a static renderer shows the first frame over the faint paths.
 */
import { contourChart, pathColors, type ContourOptions } from './contour.js';
import { compactSvg, escapeXml, headlessView, seriesOf, type RenderedChart } from './render.js';

export interface AnimationOptions {
  /** Seconds for the whole run (default 8). */
  seconds?: number;
  /** Pause at the end before looping (default 1.5 s). */
  hold?: number;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

/** A contour plot whose paths are animated step by step (an SVG document). */
export async function animatedContourSvg(
  options: ContourOptions,
  animation: AnimationOptions = {},
): Promise<string> {
  return (await animatedContour(options, animation)).svg;
}

/** The animated contour plot with the names of its paths (see RenderedChart). */
export async function animatedContour(
  options: ContourOptions,
  animation: AnimationOptions = {},
): Promise<RenderedChart> {
  const chart = contourChart({ ...options, pathOpacity: 0.25 });
  const view = await headlessView(chart);
  try {
    const svg = compactSvg(await view.toSVG());
    const [ox, oy] = view.origin();
    const sx = view.scale('x') as (v: number) => number;
    const sy = view.scale('y') as (v: number) => number;
    const width = view.width();
    const height = view.height();
    const paths = options.paths ?? [];
    const colors = pathColors(paths);
    const steps = Math.max(1, ...paths.map((p) => p.points.length - 1));
    const run = animation.seconds ?? 8;
    const hold = animation.hold ?? 1.5;
    const total = run + hold;
    // keyTimes: one per step over the run, then hold the last frame.
    const times = Array.from({ length: steps + 1 }, (_, k) => ((k / steps) * run) / total);
    times.push(1);
    const keyTimes = times.map((t) => t.toFixed(5)).join(';');
    const parts: string[] = [];
    parts.push(
      `<defs><clipPath id="descent-anim-clip"><rect x="${fmt(ox)}" y="${fmt(oy)}" width="${width}" height="${height}"/></clipPath></defs>`,
    );
    parts.push(`<g class="descent-animation" clip-path="url(#descent-anim-clip)">`);
    paths.forEach((path, k) => {
      const color = colors[k];
      const pts = path.points
        .filter((p) => p.every(Number.isFinite))
        .map((p) => [ox + sx(p[0]), oy + sy(p[1])]);
      if (pts.length === 0) return;
      while (pts.length < steps + 1) pts.push(pts[pts.length - 1]);
      pts.length = steps + 1;
      const frames = [...pts, pts[pts.length - 1]];
      const xs = frames.map((p) => fmt(p[0])).join(';');
      const ys = frames.map((p) => fmt(p[1])).join(';');
      // The trail: the whole path, revealed by animating its dash offset with the cumulative length.
      const cumulative = [0];
      for (let i = 1; i < pts.length; i++)
        cumulative.push(cumulative[i - 1] + Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]));
      const length = cumulative[cumulative.length - 1] || 1;
      const offsets = [...cumulative, length].map((c) => (length - c).toFixed(1)).join(';');
      const d = 'M' + pts.map((p) => `${fmt(p[0])},${fmt(p[1])}`).join('L');
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round" stroke-dasharray="${length.toFixed(1)} ${length.toFixed(1)}" stroke-dashoffset="${length.toFixed(1)}">` +
          `<title>${escapeXml(path.name)}</title>` +
          `<animate attributeName="stroke-dashoffset" values="${offsets}" keyTimes="${keyTimes}" dur="${total}s" repeatCount="indefinite" calcMode="linear"/></path>`,
      );
      parts.push(
        `<circle r="5" cx="${fmt(pts[0][0])}" cy="${fmt(pts[0][1])}" fill="${color}" stroke="#ffffff" stroke-width="1.5">` +
          `<animate attributeName="cx" values="${xs}" keyTimes="${keyTimes}" dur="${total}s" repeatCount="indefinite" calcMode="linear"/>` +
          `<animate attributeName="cy" values="${ys}" keyTimes="${keyTimes}" dur="${total}s" repeatCount="indefinite" calcMode="linear"/></circle>`,
      );
    });
    parts.push('</g>');
    // A progress bar under the plot: the step clock.
    parts.push(
      `<rect x="${fmt(ox)}" y="${fmt(oy + height + 2)}" width="0" height="3" fill="#333333">` +
        `<animate attributeName="width" values="0;${width};${width}" keyTimes="0;${(run / total).toFixed(5)};1" dur="${total}s" repeatCount="indefinite"/></rect>`,
    );
    return { svg: svg.replace(/<\/svg>\s*$/, parts.join('') + '</svg>'), series: seriesOf(view) };
  } finally {
    view.finalize();
  }
}
