// The child process of the kill -9 test: trains digits with a checkpoint after every epoch
// into argv[2] for argv[3] epochs, prints "started" when training begins, "epoch <i>" at the
// end of each epoch (just before its checkpoint is written) and, if it is not killed first,
// the losses as JSON at the end.
import { digitsRun } from './digits-run.js';

const [dir, epochs] = process.argv.slice(2);
const history = await digitsRun({
  epochs: Number(epochs),
  checkpointDir: dir,
  callbacks: [
    {
      onTrainBegin: () => void process.stdout.write('started\n'),
      // Printed just before fit writes the epoch's checkpoint.
      onEpochEnd: ({ epoch }) => void process.stdout.write(`epoch ${epoch}\n`),
    },
  ],
});
process.stdout.write(JSON.stringify({ losses: history.history.loss }) + '\n');
