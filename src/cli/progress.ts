/**
 * Turns training events into terminal output: a live progress bar per epoch on a
 * terminal (cli-progress), one line per epoch elsewhere (logs, CI).
 */
import cliProgress from 'cli-progress';
import type { BatchEnd, Callback, EpochEnd, TrainBegin } from '../train/callbacks.js';
import type { Diagnostic } from '../train/diagnose.js';

function fmt(value: number | undefined, digits = 4): string {
  return value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): Callback {
  const live = Boolean(stream.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  let epochs = 0;
  let lastAccuracy: number | undefined;
  let trainStart = 0;
  let batchesPerEpoch = 0;
  return {
    onTrainBegin(info: TrainBegin) {
      epochs = info.epochs;
      batchesPerEpoch = info.batchesPerEpoch;
      trainStart = Date.now();
    },
    onEpochBegin(epoch: number) {
      if (!live) return;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `epoch {epoch}/${epochs} {bar} {value}/{total} batches | loss {loss} | acc {acc} | {speed} samples/s | ETA {eta_total}`,
          barCompleteChar: '█',
          barIncompleteChar: '░',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
          fps: 12,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batchesPerEpoch, 0, {
        epoch: epoch + 1,
        loss: '—',
        acc: fmt(lastAccuracy),
        speed: '—',
        eta_total: '—',
      });
    },
    onBatchEnd(info: BatchEnd) {
      if (!bar) return;
      const elapsed = (Date.now() - trainStart) / 1000;
      const done = info.epoch * info.batchesPerEpoch + info.batch + 1;
      const remaining = (elapsed / done) * (epochs * info.batchesPerEpoch - done);
      bar.update(info.batch + 1, {
        loss: fmt(info.loss),
        speed: Math.round(info.samplesPerSec).toLocaleString('en'),
        eta_total: duration(remaining),
      });
    },
    onEpochEnd(info: EpochEnd) {
      lastAccuracy = info.logs.accuracy;
      const val =
        info.logs.valLoss !== undefined
          ? ` | val loss ${fmt(info.logs.valLoss)} | val acc ${fmt(info.logs.valAccuracy)}`
          : '';
      if (bar) {
        bar.update(batchesPerEpoch, { loss: fmt(info.logs.loss), acc: fmt(info.logs.accuracy) });
        bar.stop();
        bar = null;
        if (val) stream.write(`          ${val.slice(3)}\n`);
      } else {
        stream.write(
          `epoch ${info.epoch + 1}/${epochs} | loss ${fmt(info.logs.loss)} | acc ${fmt(info.logs.accuracy)}${val} | ` +
            `${Math.round(info.logs.samplesPerSec).toLocaleString('en')} samples/s | ${info.seconds.toFixed(2)}s\n`,
        );
      }
    },
    onDiagnostic(d: Diagnostic) {
      // A warning mid-epoch (a NaN output: training is about to stop) ends the bar, so the lines stay whole.
      bar?.stop();
      bar = null;
      stream.write(`  ⚠ ${d.message}.\n    advice: ${d.advice}.\n`);
    },
  };
}
