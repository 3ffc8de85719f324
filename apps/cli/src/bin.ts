#!/usr/bin/env node
// The `backprop` executable: runs the command line and sets the exit status.
import { processContext } from './context';
import { main } from './main';
import { enableRelaxedSimd, relaunch, wantsRelaunch } from './runtime';

// `backprop data | head`: the reader went away; stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

const argv = process.argv.slice(2);
// A long run reruns itself with malloc tuned (see runtime.ts); the rerun, and every short command,
// runs here, with fused multiply-add on where Node has it behind a flag.
function run(): Promise<number> {
  if (wantsRelaunch(argv)) return relaunch(argv);
  enableRelaxedSimd();
  return main(argv, processContext());
}
run().then((code) => {
  process.exitCode = code;
});
