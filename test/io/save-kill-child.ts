// The child of scripts/kill-trials-save.mjs (and of save-kill.test.ts): saves a model into
// argv[2] over and over, save i holding weights all equal to i and metadata { version: i },
// and prints "saved <i>" after each, until it is killed.
import '../../src/autograd/index.js';
import * as nn from '../../src/nn/index.js';
import * as io from '../../src/io/index.js';
import { assignValues } from '../../src/io/model-io.js';

const dir = process.argv[2];
const net = nn.sequential([nn.dense({ units: 256, inFeatures: 256 }), nn.dense({ units: 64 })]);
net.buildFor([1, 256]);
for (let version = 1; ; version++) {
  for (const p of net.parameters()) assignValues(p, new Float64Array(p.size).fill(version));
  await io.saveModel(net, dir, { metadata: { version } });
  process.stdout.write(`saved ${version}\n`);
}
