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
export * from './figure.js';
export * from './images.js';
export * from './strips.js';
export * from './lab-descent.js';
export * from './lab-generalisation.js';
export * from './lab-inside.js';
