// `backprop gradcheck`: numerical gradient checks of every layer, loss and model in float64,
// printed as a pass/fail table of relative errors. Exit 1 if any check fails.
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CliFailure } from '../errors';
import { ABSOLUTE_NOISE_FLOOR, compareGradients, type GradCheck, gradChecks } from '../gradchecks';
import { formatRelError, formatSeconds } from '../ui/format';
import { formatTable } from '../ui/table';

interface GradcheckOptions {
  json?: boolean;
}

/** One compared gradient in the result of `backprop gradcheck --json`. */
export interface GradcheckRow {
  check: string;
  group: string;
  gradient: string;
  relError: number | null;
  absError: number | null;
  tolerance: number;
  pass: boolean;
  error?: string;
}

export function registerGradcheck(program: Command, ctx: CliContext): void {
  program
    .command('gradcheck')
    .description('check every layer, loss and model gradient against numerical gradients (float64)')
    .argument('[filter]', 'run only the checks whose name contains this text (case-insensitive)')
    .option('--json', 'print one JSON object with every relative error on stdout')
    .addHelpText('after', '\nExamples:\n  backprop gradcheck\n  backprop gradcheck conv --json')
    .action(async (filter: string | undefined, opts: GradcheckOptions) => {
      runGradcheck(filter, opts, ctx);
    });
}

/** Runs the checks (those matching `filter`), prints the table or JSON, and throws CliFailure if any fails. */
export function runGradcheck(
  filter: string | undefined,
  opts: GradcheckOptions,
  ctx: CliContext,
  allChecks: readonly GradCheck[] = gradChecks(),
): GradcheckRow[] {
  const start = performance.now();
  const checks = allChecks.filter((c) => !filter || c.name.toLowerCase().includes(filter.toLowerCase()));
  if (checks.length === 0) throw new CliFailure(`error: no gradient check matches '${filter}'`);
  const rows: GradcheckRow[] = [];
  for (const check of checks) {
    try {
      for (const [gradient, pair] of Object.entries(check.run())) {
        const { relError, absError, pass } = compareGradients(pair, check.tolerance);
        rows.push({
          check: check.name,
          group: check.group,
          gradient,
          relError,
          absError,
          tolerance: check.tolerance,
          pass,
        });
      }
    } catch (error) {
      rows.push({
        check: check.name,
        group: check.group,
        gradient: '-',
        relError: null,
        absError: null,
        tolerance: check.tolerance,
        pass: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const failed = rows.filter((r) => !r.pass);
  const seconds = (performance.now() - start) / 1000;
  if (opts.json) {
    ctx.stdout(
      `${JSON.stringify({ passed: failed.length === 0, seconds, absoluteNoiseFloor: ABSOLUTE_NOISE_FLOOR, checks: rows })}\n`,
    );
  } else {
    ctx.stdout(
      formatTable(
        ['check', 'gradient', 'rel error', 'abs error', 'tolerance', 'result'],
        rows.map((r) => [
          r.check,
          r.gradient,
          r.relError === null ? '-' : formatRelError(r.relError),
          r.absError === null ? '-' : formatRelError(r.absError),
          formatRelError(r.tolerance),
          r.pass ? 'pass' : r.error ? `FAIL: ${r.error}` : 'FAIL',
        ]),
        ['left', 'left', 'right', 'right', 'right', 'left'],
      ),
    );
    ctx.stdout(
      `\n${rows.length - failed.length} of ${rows.length} gradients pass (${checks.length} checks, ${formatSeconds(seconds)}).\n` +
        `rel error: CS231n's max over entries of |num - ana| / max(1e-8, |num| + |ana|); an entry passes when that is\n` +
        `within tolerance or |num - ana| <= ${ABSOLUTE_NOISE_FLOOR} (float64 centered differences are no more exact).\n`,
    );
  }
  if (failed.length > 0) {
    throw new CliFailure(
      `gradcheck: ${failed.length} of ${rows.length} gradients failed: ${[...new Set(failed.map((r) => r.check))].join(', ')}`,
    );
  }
  return rows;
}
