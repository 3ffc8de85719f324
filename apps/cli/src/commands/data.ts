// `backprop data`: which datasets this machine has (the embedded subset, the system installs,
// directories given with --data-dir), what is in them, and how to get the missing ones.
import { resolve } from 'node:path';
import { type DatasetLocation, findDatasets } from '@backprop/data/node';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { type DatasetContents, describeDataset } from '../dataset-headers';
import { CliFailure } from '../errors';
import { parsePathArg } from '../options';
import { formatTable } from '../ui/table';

interface DataOptions {
  dataDir: string[];
  json?: boolean;
}

/** One dataset location in the output of `backprop data --json`. */
export interface DataRow extends DatasetLocation {
  /** Given with --data-dir (a missing one makes the command fail). */
  given: boolean;
  /** For a found dataset: what its files hold (from their headers). */
  contents?: DatasetContents;
  /** For a found dataset whose files cannot be read. */
  error?: string;
}

export function registerData(program: Command, ctx: CliContext): void {
  program
    .command('data')
    .description('list the datasets found on this machine and how to get the missing ones')
    .option(
      '--data-dir <dir>',
      'also look in this directory (MNIST-style IDX files or CIFAR-10 binary batches); repeatable',
      (value: string, previous: string[]) => [...previous, parsePathArg(value)],
      [] as string[],
    )
    .option('--json', 'print one JSON object on stdout')
    .addHelpText('after', '\nExamples:\n  backprop data\n  backprop data --data-dir ~/datasets/mnist')
    .action(async (opts: DataOptions) => {
      await runData(opts, ctx);
    });
}

/** The data package's hints speak of the config field `dataDir`; here it is the --data-dir flag. */
function cliHint(hint: string): string {
  return hint
    .replace(/pass (its|their) directory as dataDir/g, 'pass $1 directory with --data-dir')
    .replace(/as dataDir/g, 'with --data-dir');
}

/** Lists the datasets, reading the found ones' headers to describe them. Throws CliFailure if a given directory has no dataset. */
export async function runData(opts: DataOptions, ctx: CliContext): Promise<DataRow[]> {
  const dirs = opts.dataDir.map((d) => resolve(ctx.cwd, d));
  const locations = await findDatasets(dirs);
  const builtin = locations.length - dirs.length;
  const rows: DataRow[] = [];
  for (const [i, location] of locations.entries()) {
    const row: DataRow = { ...location, given: i >= builtin };
    if (location.found) {
      try {
        row.contents = await describeDataset(location);
      } catch (error) {
        row.error = (error as Error).message;
      }
    }
    rows.push(row);
  }

  if (opts.json) {
    ctx.stdout(`${JSON.stringify({ datasets: rows, toy: ['spiral', 'circles', 'xor', 'gaussian'] })}\n`);
  } else {
    ctx.stdout(
      formatTable(
        ['dataset', 'status', 'train', 'test', 'image', 'directory'],
        rows.map((r) => [
          r.dataset,
          r.error ? 'unreadable' : r.found ? 'found' : 'missing',
          r.contents ? String(r.contents.train) : '-',
          r.contents ? String(r.contents.test) : '-',
          r.contents ? r.contents.imageShape.join('x') : '-',
          r.dir,
        ]),
        ['left', 'left', 'right', 'right', 'left', 'left'],
      ),
    );
    ctx.stdout('\ntoy sets (generated from the seed, nothing to download): spiral, circles, xor, gaussian\n');
    const notes = rows.filter((r) => !r.found || r.error);
    if (notes.length > 0) ctx.stdout('\n');
    for (const r of notes) {
      if (r.error) ctx.stdout(`${r.dataset} in ${r.dir}: ${r.error}\n`);
      else
        ctx.stdout(`${r.dataset} in ${r.dir}: missing ${r.missing.join(', ')}; ${cliHint(r.hint ?? '')}\n`);
    }
    ctx.stdout('\nTrain on one with: backprop train --dataset <name> [--data-dir DIR]\n');
  }
  const bad = rows.filter((r) => r.given && (!r.found || r.error));
  if (bad.length > 0) {
    throw new CliFailure(
      `error: no complete dataset in ${bad.map((r) => r.dir).join(', ')} (see above for what is missing)`,
    );
  }
  return rows;
}
