// `backprop train`: builds the experiment (defaults <- --config file <- flags), loads and prepares
// the data, trains with the Solver while showing progress, checkpoints at every epoch end and on
// Ctrl-C, and reports train/val/test accuracy. The work is the experiment package's, shared with the
// playground; this file parses and prints.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadDataset } from '@backprop/data/node';
import {
  buildModel,
  buildSolver,
  defaultExperiment,
  type ExperimentConfig,
  experimentCheckpointExtra,
  overrideExperiment,
  type PreparedData,
  parseExperiment,
  prepareData,
} from '@backprop/experiment';
import { ValueError } from '@backprop/tensor';
import type { Command } from 'commander';
import { readCheckpointFile, writeCheckpointFile } from '../checkpoint-file';
import type { CliContext } from '../context';
import { CliFailure, EXIT_INTERRUPTED, UsageError } from '../errors';
import { addExperimentFlags, flagForField, flagPatch } from '../experiment-flags';
import { parsePathArg } from '../options';
import { formatRuntime, type RuntimeInfo, runtimeInfo } from '../runtime';
import { formatAccuracy, formatSeconds } from '../ui/format';
import { TrainingProgress } from '../ui/progress';

interface TrainOptions extends Record<string, unknown> {
  config?: string;
  out?: string;
  resume?: string;
  json?: boolean;
}

/** The object `backprop train --json` prints on stdout. */
export interface TrainSummary {
  trainAcc: number;
  valAcc: number;
  testAcc: number;
  bestValAcc: number;
  epochs: number;
  iterations: number;
  /** Wall time of the whole command: loading, training, testing, writing. */
  seconds: number;
  /** Wall time of the training loop alone (this process; a resumed run counts only its own part). */
  trainSeconds: number;
  secondsPerEpoch: number;
  checkpoint: string;
  finalLoss: number;
  trainAccHistory: number[];
  valAccHistory: number[];
  config: ExperimentConfig;
  /** The GEMM kernel and threads, and the malloc setting, the run had (for comparing timings). */
  runtime: RuntimeInfo;
}

export function registerTrain(program: Command, ctx: CliContext): void {
  const command = program
    .command('train')
    .description('train a model; flags override the fields of the default experiment or of --config')
    .option(
      '--config <file>',
      'experiment config JSON (the playground schema); flags override its fields',
      parsePathArg,
    );
  addExperimentFlags(command);
  command
    .option(
      '--out <file>',
      'checkpoint file, written at each epoch end, on Ctrl-C and at the end (default: the --resume file, else model.safetensors)',
      parsePathArg,
    )
    .option(
      '--resume <file>',
      'continue the run saved in this checkpoint (its experiment, to the same numbers)',
      parsePathArg,
    )
    .option('--json', 'print one JSON object with the results on stdout; progress goes to stderr')
    .addHelpText(
      'after',
      `
Examples:
  backprop train
  backprop train --hidden-dims 256,128 --normalization batchnorm --update-rule adam --epochs 5
  backprop train --model convnet --num-filters 32 --filter-size 7 --hidden-dim 100 --dataset fashion-mnist
  backprop train --dataset spiral --model fc --hidden-dims 100 --learning-rate 1e-2 --epochs 30 --json
  backprop train --resume model.safetensors       continue after Ctrl-C`,
    )
    .action(async (opts: TrainOptions) => {
      await runTrain(opts, ctx);
    });
}

/** The experiment of a fresh run: the defaults, then the --config file's fields, then the flags. */
export async function resolveExperiment(opts: TrainOptions, ctx: CliContext): Promise<ExperimentConfig> {
  let base = defaultExperiment;
  if (opts.config !== undefined) {
    const path = resolve(ctx.cwd, opts.config);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        `--config ${opts.config}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--config ${opts.config} is not valid JSON: ${(error as Error).message}`);
    }
    try {
      base = parseExperiment(json);
    } catch (error) {
      if (error instanceof ValueError)
        throw new UsageError(`--config ${opts.config}: ${error.arg} ${error.detail}`);
      throw error;
    }
  }
  const { patch, given } = flagPatch(opts);
  try {
    return overrideExperiment(base, patch);
  } catch (error) {
    if (error instanceof ValueError) {
      const flag = flagForField(error.arg, given);
      throw new UsageError(flag ? `option '${flag.flags}' ${error.detail}` : `${error.arg} ${error.detail}`);
    }
    throw error;
  }
}

/** Runs `backprop train` and returns its result (also printed). */
export async function runTrain(opts: TrainOptions, ctx: CliContext): Promise<TrainSummary> {
  const startTime = performance.now();
  const outName = opts.out ?? opts.resume ?? 'model.safetensors';
  const out = resolve(ctx.cwd, outName);
  await checkWritableDir(out);
  const say = opts.json ? ctx.stderr : ctx.stdout;

  let config: ExperimentConfig;
  let resumeBytes: Uint8Array | undefined;
  if (opts.resume !== undefined) {
    const given = flagPatch(opts).given.filter((f) => f.path !== 'data.dataDir');
    if (opts.config !== undefined || given.length > 0) {
      const names = [...(opts.config !== undefined ? ['--config'] : []), ...given.map((f) => f.name)];
      throw new UsageError(
        `--resume continues the experiment saved in the checkpoint; it cannot be combined with ${names.join(', ')}`,
      );
    }
    const file = await readCheckpointFile(resolve(ctx.cwd, opts.resume));
    config = file.config;
    if (opts.dataDir !== undefined)
      config = { ...config, data: { ...config.data, dataDir: opts.dataDir as string } };
    resumeBytes = file.bytes;
  } else {
    config = await resolveExperiment(opts, ctx);
  }

  const raw = await loadDataset(config.data);
  const data: PreparedData = prepareData(config, raw);
  const model = buildModel(config, data.inputShape, data.numClasses);
  const solver = buildSolver(config, model, data, {
    verbose: false,
    checkpointExtra: experimentCheckpointExtra(config, data),
  });
  if (resumeBytes) solver.restore(resumeBytes);
  if (solver.iteration >= solver.numIterations) {
    throw new CliFailure(
      `error: ${opts.resume} holds a finished run (all ${solver.numIterations} iterations); nothing to resume`,
    );
  }

  const numEpochs = config.solver.numEpochs;
  const numIterations = solver.numIterations;
  const startIteration = solver.iteration;
  ctx.stderr(
    `${describeRun(config, data)}\n${numIterations} iterations (${numEpochs} epochs of ${solver.iterationsPerEpoch}), checkpoint ${out}` +
      `${startIteration > 0 ? `, resuming at iteration ${startIteration}` : ''}\n`,
  );

  const progress = new TrainingProgress(
    ctx.progressStream,
    ctx.stderr,
    numIterations,
    numEpochs,
    startIteration,
    config.solver.printEvery,
  );
  const table = new EpochTable();
  // Rows go to the results stream (stderr with --json); when that is the terminal the bar is drawn
  // on, they go above the bar instead of through it.
  const sharesBarScreen = ctx.progressStream !== null && (opts.json || ctx.stdoutIsTTY);
  const sayRow = sharesBarScreen ? (text: string) => progress.log(text) : say;
  sayRow(table.header());
  let epochLossSum = 0;
  let epochLossCount = 0;
  let lastLoss = Number.NaN;
  let epochStart = performance.now();
  const epochSeconds: number[] = [];
  // Epoch-end writes run one after another, so the file on disk only ever moves forward. A failed
  // write stops training (after the current step) and is reported at the end.
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  const writeInOrder = (bytes: Uint8Array) => {
    writes = writes
      .then(() => writeCheckpointFile(out, bytes))
      .catch((error: unknown) => {
        writeError ??= error;
        solver.stop();
      });
  };

  const offIteration = solver.on('iteration', (e) => {
    epochLossSum += e.loss;
    epochLossCount++;
    lastLoss = e.loss;
    progress.update({ iteration: e.iteration, epoch: e.epoch, loss: e.loss });
  });
  const offEpoch = solver.on('epoch', (e) => {
    const seconds = (performance.now() - epochStart) / 1000;
    // The check after the very first iteration (epoch 0) is not an epoch end.
    if (e.epoch > 0) {
      epochSeconds.push(seconds);
      epochStart = performance.now();
    }
    sayRow(
      table.row(
        e.epoch,
        e.iteration,
        epochLossCount ? epochLossSum / epochLossCount : Number.NaN,
        e.trainAcc,
        e.valAcc,
        e.learningRate,
        seconds,
      ),
    );
    epochLossSum = 0;
    epochLossCount = 0;
    if (e.epoch > 0) writeInOrder(solver.checkpoint());
  });

  // Ctrl-C: the solver stops after the current step (nothing half done), then the checkpoint is written.
  let interrupted = false;
  const offInterrupt = ctx.onInterrupt(() => {
    // A terminal's Ctrl-C may arrive twice (from the terminal and passed on by the relaunching parent).
    if (interrupted) return;
    interrupted = true;
    progress.log('Ctrl-C: stopping after the current step and writing a checkpoint...');
    solver.stop();
  });
  let status: 'done' | 'stopped';
  const trainStart = performance.now();
  try {
    status = (await solver.trainAsync()).status;
  } finally {
    offIteration();
    offEpoch();
    offInterrupt();
    progress.stop();
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  await writes;
  if (writeError !== null) {
    throw new CliFailure(`error: could not write the checkpoint ${out}: ${(writeError as Error).message}`);
  }

  if (status === 'stopped') {
    await writeCheckpointFile(out, solver.checkpoint());
    throw new CliFailure(
      `Interrupted${interrupted ? ' (Ctrl-C)' : ''} at iteration ${solver.iteration}/${numIterations} (epoch ${solver.epoch}). ` +
        `Checkpoint written to ${out}.\nContinue with: backprop train --resume ${outName}`,
      EXIT_INTERRUPTED,
    );
  }

  // train() restores the best-validation parameters: that is the model we test and save.
  await writeCheckpointFile(out, solver.checkpoint());
  const testAcc = solver.checkAccuracy(data.XTest, data.yTest);
  const seconds = (performance.now() - startTime) / 1000;
  const result: TrainSummary = {
    trainAcc: last(solver.trainAccHistory),
    valAcc: last(solver.valAccHistory),
    testAcc,
    bestValAcc: solver.bestValAcc,
    epochs: numEpochs,
    iterations: solver.iteration,
    seconds,
    trainSeconds,
    secondsPerEpoch: epochSeconds.length ? epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length : 0,
    checkpoint: out,
    finalLoss: lastLoss,
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    config,
    runtime: runtimeInfo(),
  };
  say(
    `\nbest val accuracy ${formatAccuracy(result.bestValAcc)}; test accuracy ${formatAccuracy(testAcc)} ` +
      `(${data.yTest.length} examples, best-val parameters)\n` +
      `${formatSeconds(trainSeconds)} training, ${formatSeconds(seconds)} in all; checkpoint ${out}\n` +
      `${formatRuntime(result.runtime)}\n`,
  );
  if (opts.json) ctx.stdout(`${JSON.stringify(result)}\n`);
  return result;
}

/** Fails before any work when the checkpoint could not be written. */
async function checkWritableDir(file: string): Promise<void> {
  const dir = dirname(file);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `option '--out <file>': cannot write to ${dir} (no such directory, or no permission)`,
    );
  }
}

function describeRun(config: ExperimentConfig, data: PreparedData): string {
  const m = config.model;
  const arch =
    m.type === 'fc'
      ? `fc [${m.hiddenDims.join(', ')}]${m.normalization !== 'none' ? ` ${m.normalization}` : ''}${m.dropout < 1 ? ` dropout ${m.dropout}` : ''}`
      : m.type === 'two-layer'
        ? `two-layer hidden ${m.hiddenDim}`
        : `convnet ${m.numFilters}x${m.filterSize}x${m.filterSize} hidden ${m.hiddenDim}`;
  return (
    `${config.data.dataset}: ${data.yTrain.length} train, ${data.yVal.length} val, ${data.yTest.length} test, ` +
    `input [${data.inputShape.join(', ')}], ${data.numClasses} classes; ${arch} ${m.dtype}; ` +
    `${config.solver.updateRule} lr ${config.solver.learningRate}, batch ${config.solver.batchSize}, seed ${config.seed}`
  );
}

/** The per-epoch table, printed a row at a time as epochs end. */
class EpochTable {
  private static readonly widths = [5, 9, 8, 9, 9, 10, 10];

  header(): string {
    return (
      `${this.line(['epoch', 'iteration', 'loss', 'train acc', 'val acc', 'lr', 'time'])}\n` +
      `${EpochTable.widths.map((w) => '-'.repeat(w)).join('  ')}\n`
    );
  }

  row(
    epoch: number,
    iteration: number,
    loss: number,
    trainAcc: number,
    valAcc: number,
    lr: number | null,
    seconds: number,
  ): string {
    const text = this.line([
      String(epoch),
      String(iteration),
      Number.isFinite(loss) ? loss.toFixed(4) : '-',
      formatAccuracy(trainAcc),
      formatAccuracy(valAcc),
      lr === null ? '-' : lr.toExponential(2),
      formatSeconds(seconds),
    ]);
    return `${text}\n`;
  }

  private line(cells: string[]): string {
    return cells.map((c, j) => c.padStart(EpochTable.widths[j])).join('  ');
  }
}

function last(values: readonly number[]): number {
  return values.length ? values[values.length - 1] : Number.NaN;
}
