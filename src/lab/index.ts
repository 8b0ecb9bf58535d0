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
export * from './regression.js';
export * from './minima.js';
export * from './gradient-noise.js';
export * from './order.js';
export * from './divergence.js';
export * from './mse-separation.js';
export * from './overfitting.js';
export * from './ensemble.js';
export * from './symmetry.js';
export * from './averaging.js';
export * from './features.js';
export * from './hessian.js';
