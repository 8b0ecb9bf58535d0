/**
 * viz: pictures from numbers — chart specifications (Vega-Lite / Vega), headless SVG
 * rendering, animated contour plots, the lab's figures and the HTML report.
 */
export * from './render.js';
export * from './charts.js';
export * from './contour.js';
export * from './animate.js';
export * from './report.js';
export * from './lab.js';
export * from './surface.js';
