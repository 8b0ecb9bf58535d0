/** The `descent` command line. */
import { Command } from 'commander';
import { DescentError } from '../errors.js';
import '../index.js';
import { runTrain, type TrainFlags } from './train.js';

const program = new Command();
program
  .name('descent')
  .description('Train neural networks and see how their optimisation works.')
  .showHelpAfterError();

program
  .command('train')
  .description('Train an MLP (default: on the bundled UCI digits) with a live progress bar, then report test accuracy.')
  .option('--data <name|file.csv>', 'digits | xor | spirals | moons | circles | sine | a CSV file (label in the last column)', 'digits')
  .option('--hidden <sizes>', 'hidden layer sizes, comma-separated ("none" for no hidden layer)', '64,32')
  .option('--activation <name>', 'hidden activation: relu | sigmoid | tanh | leakyRelu | elu | softplus | prelu | step | linear', 'relu')
  .option('--loss <name>', 'crossEntropy | mse | sse | binaryCrossEntropy | binaryCrossEntropyFromLogits | klDivergence (default: crossEntropy, or mse for regression)')
  .option('--optimizer <name>', 'optimiser name (see descent train --help)', 'sgd')
  .option('--lr <rate>', 'learning rate η', '0.1')
  .option('--batch-size <n>', 'mini-batch size: 1 = stochastic GD, the training set size = batch GD', '32')
  .option('--epochs <n>', 'passes over the training data', '20')
  .option('--seed <n>', 'seed for initialisation, shuffling and the train/test split', '1')
  .option('--test-fraction <f>', 'fraction of the data held out for testing', '0.2')
  .option('--backend <name>', 'cpu | wasm | auto (default: $DESCENT_BACKEND or the fastest available)')
  .option('--out <dir>', 'write history.json (per-epoch loss and metrics) to this folder')
  .option('--json', 'no progress bar; print one JSON object with the results')
  .action(async (flags: TrainFlags) => {
    await runTrain(flags);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof DescentError) {
    process.stderr.write(`descent: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
