/** The `descent` command line. */
import { Command } from 'commander';
import { reportError } from './report-error.js';
import '../index.js';
import { runTrain, type TrainFlags } from './train.js';
import { runEvaluate, type EvaluateFlags } from './evaluate.js';
import { runPredict, type PredictFlags } from './predict.js';
import { runCompare, type CompareFlags } from './compare.js';
import { runExport, type ExportFlags } from './export.js';
import { runImport, type ImportFlags } from './import.js';

const program = new Command();
program
  .name('descent')
  .description('Train neural networks and see how their optimisation works.')
  .showHelpAfterError();

program
  .command('train')
  .description(
    'Train an MLP or a CNN of the model zoo (default: an MLP on the bundled UCI digits) with a live progress bar, then report test accuracy.',
  )
  .option(
    '--data <name|file.csv>',
    'digits | fashion-mnist | mnist | xor | spirals | moons | circles | sine | a CSV file (label in the last column)',
    'digits',
  )
  .option(
    '--data-dir <dir>',
    'the folder with the four IDX files of fashion-mnist or mnist (default: $DESCENT_DATA, /usr/share/datasets/<name>, ~/.cache/descent/<name>)',
  )
  .option(
    '--model <name>',
    'mlp | lenet1990 | lenet5 | fashion-cnn (the CNNs need image data; images stay [1, 28, 28], the MLP flattens them)',
    'mlp',
  )
  .option(
    '--hidden <sizes>',
    'hidden layer sizes, comma-separated ("none" for no hidden layer); default 64,32 (none for newton)',
  )
  .option(
    '--activation <name>',
    'hidden activation: relu | sigmoid | tanh | leakyRelu | elu | softplus | prelu | step | linear',
    'relu',
  )
  .option(
    '--loss <name>',
    'crossEntropy | mse | sse | binaryCrossEntropy | binaryCrossEntropyFromLogits | klDivergence (default: crossEntropy, or mse for regression)',
  )
  .option(
    '--optimizer <name>',
    'sgd | momentum | nesterov | adagrad | rmsprop | adadelta | adam | adamw | adamax | nadam | amsgrad | rprop | quickprop | lbfgs | newton',
    'sgd',
  )
  .option(
    '--lr <rate>',
    "learning rate η (the base rate when --schedule is given); default: the optimiser's own (0.1 for sgd)",
  )
  .option('--momentum <α>', 'momentum for sgd, momentum, nesterov and rmsprop')
  .option(
    '--schedule <spec>',
    "learning-rate schedule from --lr (or the optimiser's default rate): constant | step:10:0.5 | multistep:30,60:0.1 | exp:0.96 | inv:0.01 | sqrt | power:k:p | cosine:T[:W[:minLr]]; counts are epochs (step:10:0.5 halves the rate every 10 epochs) unless --schedule-per step",
  )
  .option('--schedule-per <unit>', 'what --schedule counts: epoch (default) or step (optimiser updates)')
  .option('--clip-value <θ>', 'clip every gradient component to [−θ, θ] (the lectures use θ = 5)')
  .option('--clip-norm <c>', 'rescale gradients so their global norm is at most c')
  .option('--l1 <λ>', 'L1 penalty on the weights (biases excluded)')
  .option('--l2 <λ>', 'L2 penalty on the weights (biases excluded)')
  .option('--damping <λ>', "Newton's damping: steps with H + λI (default 0.1 for newton)")
  .option('--weight-decay <λ>', 'weight decay on every parameter (decoupled for adamw)')
  .option(
    '--batch-size <n|full>',
    'mini-batch size: 1 = stochastic GD, full = batch GD; default 32 (full for the batch methods rprop, quickprop, lbfgs, newton)',
  )
  .option(
    '--epochs <n>',
    'passes over the training data; default 20 (100 for the batch methods, 10 for newton)',
  )
  .option('--seed <n>', 'seed for initialisation, shuffling and the train/test split', '1')
  .option('--test-fraction <f>', 'fraction of the data held out for testing', '0.2')
  .option(
    '--backend <name>',
    'cpu | wasm | webgpu | auto (default: $DESCENT_BACKEND or the fastest available; webgpu needs a GPU adapter)',
  )
  .option('--out <dir>', 'write history.json (per-epoch loss and metrics) to this folder')
  .option('--json', 'no progress bar; print one JSON object with the results')
  .option(
    '--checkpoint-dir <dir>',
    'save a checkpoint (model, optimiser, RNG, history) after every epoch to this folder (the newest 3 are kept)',
  )
  .option(
    '--resume',
    'continue from the newest complete checkpoint in --checkpoint-dir (or start afresh when there is none)',
  )
  .option(
    '--save <dir>',
    'save the trained model (model.json + weights.safetensors) to this folder, for evaluate and predict',
  )
  .option(
    '--augment <list>',
    'augment each training batch (image data): rotate,shift,scale,stretch,noise,flip, optionally with amounts (rotate=10)',
  )
  .option(
    '--early-stopping <patience>',
    "stop when the validation loss has not improved for more than this many epochs, and keep the best epoch's weights",
  )
  .option(
    '--validation-split <f>',
    'hold out this last fraction of the training data for validation (default 0.1 with --early-stopping)',
  )
  .option('--limit <n>', 'train on the first n training samples only (quick runs)')
  .option(
    '--dropout <rates>',
    "fashion-cnn's dropout rates: one for both, or after-conv,after-dense (default 0.25,0.5)",
  )
  .option(
    '--num-classes <K>',
    "a CSV's labels are 0..K−1 (default: the labels must be dense, every class from 0 to the largest present)",
  )
  .option('--max-bytes <n>', 'the most bytes of CSV text to read, after decompression (default 268435456)')
  .option(
    '--diagnose',
    'watch the training health: warn about dead ReLUs, vanishing or exploding gradients and the first layer whose output became NaN, with advice',
  )
  .action(async (flags: TrainFlags) => {
    await runTrain(flags);
  });

program
  .command('compare')
  .description(
    'The tricks of the trade side by side: the same model and seed with and without dropout, batch norm and augmentation; test accuracy and epochs to a target.',
  )
  .option('--data <name>', 'fashion-mnist | mnist', 'fashion-mnist')
  .option('--data-dir <dir>', 'the folder with the four IDX files')
  .option(
    '--model <name>',
    'fashion-cnn (all three comparisons) | lenet5 | lenet1990 | mlp (augmentation only)',
    'fashion-cnn',
  )
  .option('--epochs <n>', 'epochs per run', '5')
  .option('--limit <n>', 'train on the first n training samples only (the comparison is slow: 4 runs)')
  .option('--test-limit <n>', 'evaluate on the first n test images only')
  .option('--optimizer <name>', 'optimiser for every run', 'adam')
  .option('--lr <rate>', "learning rate (default: the optimiser's own)")
  .option('--batch-size <n>', 'mini-batch size', '64')
  .option('--augment <list>', 'the augmentation compared with none', 'rotate=10,shift=2')
  .option(
    '--target <accuracy>',
    'the test accuracy whose first epoch is reported (default 0.9, 0.98 for mnist)',
  )
  .option('--seed <n>', 'the seed of every run', '1')
  .option('--backend <name>', 'cpu | wasm | webgpu | auto')
  .option('--json', 'print one JSON object instead of the table')
  .action(async (flags: CompareFlags) => {
    await runCompare(flags);
  });

program
  .command('evaluate')
  .description('Loss and accuracy of a saved model (default: on the test split it was trained with).')
  .argument(
    '<model-dir>',
    'a folder written by descent train --save or model.save() (or the .json file of a model downloaded in the browser)',
  )
  .option(
    '--data <name|file.csv>',
    'digits | fashion-mnist | mnist | a synthetic set | a CSV file with the label in the last column (default: the training data)',
  )
  .option(
    '--data-dir <dir>',
    'the folder with the four IDX files of fashion-mnist or mnist (default: the folder the model was trained from, else the usual places)',
  )
  .option(
    '--split <test|all>',
    "'test': the held-out split of the training data, or an image set's test images (the default); 'all': every row or image",
  )
  .option('--batch-size <n>', 'evaluation batch size', '256')
  .option('--json', 'print one JSON object')
  .action(async (modelDir: string, flags: EvaluateFlags) => {
    await runEvaluate(modelDir, flags);
  });

program
  .command('predict')
  .description(
    'Predictions of a saved model for every row of a CSV file of features, or every image of an IDX file.',
  )
  .argument('<model-dir>', 'a folder written by descent train --save')
  .argument(
    '<input>',
    'a CSV, one sample per row, the features only (a header row is detected); for image models an IDX file of images (e.g. t10k-images-idx3-ubyte) or a CSV of pixel values 0–255, one image per row',
  )
  .option('--out <file>', 'write the predictions (CSV) to this file instead of stdout')
  .option('--json', 'print one JSON object instead of CSV')
  .action(async (modelDir: string, input: string, flags: PredictFlags) => {
    await runPredict(modelDir, input, flags);
  });

program
  .command('export')
  .description(
    'Write a saved model for other tools: an ONNX file (opset 17, symbolic batch dimension) for onnxruntime and friends, ' +
      'or a PyTorch folder (model.py, state_dict.safetensors, train_ddp.py, data.safetensors) to train on with torchrun.',
  )
  .argument('<model-dir>', 'a folder written by descent train --save or model.save()')
  .option('--onnx <file>', 'write the model as an ONNX file')
  .option(
    '--torch <out-dir>',
    'write the model as a PyTorch nn.Module with its state_dict and a DistributedDataParallel trainer',
  )
  .option(
    '--data-dir <dir>',
    '--torch: the folder with the image set the model was trained on (default: the one training read)',
  )
  .option('--no-data', '--torch: do not write data.safetensors (train_ddp.py then needs --data)')
  .option('--input-shape <dims>', "one sample's shape, e.g. 1,28,28 (default: the shape model.json records)")
  .option('--input-name <name>', "the ONNX graph input's name", 'input')
  .option('--output-name <name>', "the ONNX graph output's name", 'output')
  .option('--json', 'print one JSON object')
  .action(async (modelDir: string, flags: ExportFlags) => {
    await runExport(modelDir, flags);
  });

program
  .command('import')
  .description(
    'Turn an ONNX model into a descent model folder, to evaluate, predict or fine-tune; or read a PyTorch state_dict ' +
      "(STATE.safetensors, e.g. train_ddp.py's trained.safetensors) --into the model folder it was exported from.",
  )
  .argument(
    '<source>',
    'an ONNX file (its data inside it, not in external files), or a state_dict .safetensors with --into',
  )
  .argument('<out-dir>', 'the folder to write (model.json + weights.safetensors)')
  .option(
    '--name <name>',
    "ONNX: the layer's name (its parameters are saved as <name>.<initializer>)",
    'onnx',
  )
  .option(
    '--into <model-dir>',
    'state_dict: the model folder whose architecture (and training record) it fills',
  )
  .option(
    '--no-strict',
    'state_dict: ignore keys the model lacks and keep its values for keys the file lacks',
  )
  .option('--json', 'print one JSON object')
  .action(async (source: string, outDir: string, flags: ImportFlags) => {
    await runImport(source, outDir, flags);
  });

(await import('./lab.js')).registerLab(program);
(await import('./playground.js')).registerPlayground(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exit(reportError(error));
}
