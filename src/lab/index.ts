/**
 * lab: the optimisation laboratory — pure functions that run real computations with
 * descent's optimisers and networks and return plain data for viz/ to draw.
 */
export * from './functions.js';
export * from './trajectories.js';
export * from './loop.js';
export * from './lr.js';
export * from './init.js';
export * from './gradients.js';
export * from './batch.js';
export * from './landscape.js';
export * from './lrfind.js';
export * from './approx.js';
export * from './perceptron.js';
export * from './kmeans.js';
