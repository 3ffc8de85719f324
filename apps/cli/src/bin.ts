#!/usr/bin/env node
// The `backprop` executable: runs the command line and sets the exit status.
import { processContext } from './context';
import { main } from './main';

// `backprop data | head`: the reader went away; stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

main(process.argv.slice(2), processContext()).then((code) => {
  process.exitCode = code;
});
