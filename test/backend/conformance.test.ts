// Runs the shared backend conformance suite (test/backend/conformance.ts) for every
// registered backend other than the cpu reference.
import { backendNames } from '../../src/backend/registry.js';
import { runConformance } from './conformance.js';

for (const name of backendNames()) {
  // webgpu needs an asynchronously made device: test/backend/webgpu.test.ts runs the suite on it.
  if (name === 'cpu' || name === 'webgpu') continue;
  runConformance(name, { tolerance: 1e-5, trainingTolerance: 1e-4 });
}
