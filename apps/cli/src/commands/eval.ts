// `backprop eval`: loads a checkpoint written by `backprop train`, rebuilds its data pipeline from
// the experiment stored in it (same split, same train-mean preprocessing), and reports test
// accuracy, per-class accuracy and the confusion matrix.
import { resolve } from 'node:path';
import { loadDataset } from '@backprop/data/node';
import { type ExperimentConfig, prepareData } from '@backprop/experiment';
import { loadModel } from '@backprop/models';
import type { Tensor } from '@backprop/tensor';
import { type Command, Option } from 'commander';
import { readCheckpointFile } from '../checkpoint-file';
import type { CliContext } from '../context';
import { CliFailure } from '../errors';
import { experimentFlags } from '../experiment-flags';
import { accuracies, confusionMatrix, predictClasses } from '../metrics';
import { parsePathArg } from '../options';
import { formatAccuracy } from '../ui/format';
import { formatTable } from '../ui/table';

interface EvalOptions {
  checkpoint: string;
  dataset?: ExperimentConfig['data']['dataset'];
  dataDir?: string;
  json?: boolean;
}

/** The object `backprop eval --json` prints. */
export interface EvalResult {
  checkpoint: string;
  dataset: string;
  examples: number;
  testAcc: number;
  perClass: { name: string; accuracy: number; count: number }[];
  confusion: number[][];
}

export function registerEval(program: Command, ctx: CliContext): void {
  const datasetFlag = experimentFlags.find((f) => f.path === 'data.dataset');
  program
    .command('eval')
    .description('test accuracy, per-class accuracy and confusion matrix of a checkpoint')
    .requiredOption('--checkpoint <file>', 'checkpoint written by backprop train', parsePathArg)
    .addOption(
      new Option('--dataset <name>', 'evaluate on this dataset (default: the one it was trained on)').choices(
        datasetFlag?.choices ?? [],
      ),
    )
    .option(
      '--data-dir <dir>',
      'directory holding the dataset files (default: the one it was trained on)',
      parsePathArg,
    )
    .option('--json', 'print one JSON object with the results on stdout')
    .addHelpText('after', '\nExample:\n  backprop eval --checkpoint model.safetensors --json')
    .action(async (opts: EvalOptions) => {
      await runEval(opts, ctx);
    });
}

/** `X` (centred by `current`) centred by `stored` instead: X + current - stored, per example. */
export function recentre(X: Tensor, current: Tensor, stored: Tensor): Tensor {
  if (stored.size !== current.size) {
    throw new CliFailure(
      `error: the checkpoint's mean image has ${stored.size} values, the dataset's examples ${current.size}: ` +
        'evaluate on the kind of data the model was trained on',
    );
  }
  let same = true;
  for (let i = 0; i < stored.size && same; i++) same = stored.data[i] === current.data[i];
  if (same) return X;
  const out = X.clone();
  const D = stored.size;
  for (let n = 0; n < X.shape[0]; n++) {
    for (let d = 0; d < D; d++) out.data[n * D + d] += current.data[d] - stored.data[d];
  }
  return out;
}

/** Runs `backprop eval` and returns its result (also printed). */
export async function runEval(opts: EvalOptions, ctx: CliContext): Promise<EvalResult> {
  const path = resolve(ctx.cwd, opts.checkpoint);
  const file = await readCheckpointFile(path);
  let config = file.config;
  if (opts.dataset !== undefined || opts.dataDir !== undefined) {
    config = {
      ...config,
      data: {
        ...config.data,
        ...(opts.dataset && { dataset: opts.dataset }),
        ...(opts.dataDir && { dataDir: opts.dataDir }),
      },
    };
  }
  const model = loadModel(file.bytes);
  const data = prepareData(config, await loadDataset(config.data));
  // prepareData subtracted the mean of the training split it just loaded; the model was trained with
  // the mean stored in the checkpoint. They agree unless the data changed; if not, use the stored one.
  const XTest = file.mean ? recentre(data.XTest, data.mean, file.mean) : data.XTest;
  const modelClasses = model.loss(XTest.slice(0, 1)).shape[1];
  if (modelClasses !== data.numClasses) {
    throw new CliFailure(
      `error: the checkpoint's model scores ${modelClasses} classes, the ${config.data.dataset} test set has ${data.numClasses} classes`,
    );
  }
  const predictions = predictClasses(model, XTest);
  const matrix = confusionMatrix(data.yTest, predictions, data.numClasses);
  const { accuracy, perClass } = accuracies(matrix);
  const names =
    data.classNames.length === data.numClasses ? data.classNames : matrix.map((_, c) => String(c));
  const result: EvalResult = {
    checkpoint: path,
    dataset: config.data.dataset,
    examples: data.yTest.length,
    testAcc: accuracy,
    perClass: perClass.map((acc, c) => ({
      name: names[c],
      accuracy: acc,
      count: matrix[c].reduce((a, b) => a + b, 0),
    })),
    confusion: matrix,
  };
  if (opts.json) {
    ctx.stdout(`${JSON.stringify(result)}\n`);
    return result;
  }
  ctx.stdout(
    `${config.data.dataset} test set: ${result.examples} examples, accuracy ${formatAccuracy(accuracy)}\n\n`,
  );
  ctx.stdout(
    formatTable(
      ['class', 'name', 'examples', 'accuracy'],
      result.perClass.map((p, c) => [String(c), p.name, String(p.count), formatAccuracy(p.accuracy)]),
      ['right', 'left', 'right', 'right'],
    ),
  );
  ctx.stdout('\nconfusion matrix (rows: true class, columns: predicted class)\n');
  ctx.stdout(
    formatTable(
      ['true', ...matrix.map((_, c) => String(c))],
      matrix.map((row, t) => [String(t), ...row.map(String)]),
    ),
  );
  return result;
}
