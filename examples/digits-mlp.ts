// Keras-style training of an MLP on the bundled UCI digits.
//   npm run build && node dist/examples/digits-mlp.js
import { nn, data, optim, train, setSeed } from '../src/index.js';

setSeed(1);
const { train: trainSet, test } = data.digits();
const model = new train.Model(
  nn.sequential([nn.dense({ units: 64, activation: 'relu' }), nn.dense({ units: 32, activation: 'relu' }), nn.dense({ units: 10 })]),
);
model.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'crossEntropy', metrics: ['accuracy'] });
const history = await model.fit(trainSet, {
  epochs: 30,
  batchSize: 32,
  validationSplit: 0.1,
  callbacks: [train.earlyStopping({ patience: 3 })],
});
console.log(`trained ${history.epochs.length} epochs; final validation accuracy ${history.history.valAccuracy.at(-1)?.toFixed(4)}`);
console.log('test:', await model.evaluate(test));
