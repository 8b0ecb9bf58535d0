// The training loop written by hand: a 2-2-1 sigmoid network learns XOR.
//   npm run build && node dist/examples/xor-by-hand.js
import { nn, optim, losses, tidy, fromArray, setSeed, noGrad } from '../src/index.js';

setSeed(1); // 2-2-1 XOR has local minima: some seeds stall at outputs of 0.5 — try seed 5
const x = fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = fromArray([[0], [1], [1], [0]]);
const net = nn.sequential([
  nn.dense({ units: 2, inFeatures: 2, activation: 'sigmoid' }),
  nn.dense({ units: 1, activation: 'sigmoid' }),
]);
const opt = new optim.Optimizer(optim.sgd({ lr: 10 }), net.parameters());

for (let epoch = 0; epoch <= 3000; epoch++) {
  const loss = tidy(() => {
    opt.zeroGrad();
    const loss = losses.mse(net.call(x, { training: true }), y);
    loss.backward(); // δ flows back layer by layer: δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)
    opt.step(); //      w ← w − η ∂C/∂w
    return loss.item();
  });
  if (epoch % 500 === 0) console.log(`epoch ${epoch}: loss ${loss.toFixed(5)}`);
}
const out = tidy(() => noGrad(() => net.call(x).dataSync()));
console.log('outputs for 00, 01, 10, 11:', Array.from(out, (v) => v.toFixed(3)).join(' '));
