// The `backprop` program: commander parses, one file per command does the work through library
// calls, and this file turns every outcome into an exit status:
// 0 success, 1 failure, 2 bad usage (unknown flag, bad value, bad config), 130 interrupted.
import { BackpropError } from '@backprop/tensor';
import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench';
import { registerData } from './commands/data';
import { registerEval } from './commands/eval';
import { registerGradcheck } from './commands/gradcheck';
import { registerTrain } from './commands/train';
import type { CliContext } from './context';
import { CliFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { version } from './version';

const HELP_HINT = '(add --help for usage)';

/** Builds the commander program with every command, writing through `ctx`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('backprop')
    .description('Train, evaluate and check CS231n-style neural networks from the command line.')
    .version(version, '-V, --version')
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .showHelpAfterError(HELP_HINT)
    .exitOverride();
  registerTrain(program, ctx);
  registerEval(program, ctx);
  registerGradcheck(program, ctx);
  registerBench(program, ctx);
  registerData(program, ctx);
  program.addHelpText(
    'after',
    `
Examples:
  backprop train                                  train the default experiment (embedded Fashion-MNIST subset)
  backprop train --dataset spiral --model fc --hidden-dims 100 --epochs 20
  backprop eval --checkpoint model.safetensors    accuracy, per-class accuracy, confusion matrix
  backprop gradcheck                              numerical gradient checks of every layer and model
  backprop bench                                  GEMM, conv and MLP-step throughput
  backprop data                                   datasets found on this machine`,
  );
  return program;
}

/**
 * Runs the command line `argv` (without the node and script paths) and returns the exit status.
 * Never throws: every error is printed to `ctx.stderr`.
 */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return reportError(error, ctx);
  }
}

function reportError(error: unknown, ctx: CliContext): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    ctx.stderr(`error: ${error.message}\n${HELP_HINT}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof CliFailure) {
    ctx.stderr(`${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof BackpropError) {
    ctx.stderr(`error: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.stderr(`error: ${message}\n`);
  if (process.env.BACKPROP_DEBUG && error instanceof Error && error.stack) ctx.stderr(`${error.stack}\n`);
  return EXIT_FAILURE;
}
