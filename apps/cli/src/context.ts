// What a command may touch of the outside world. main() takes it as an argument so tests can run
// commands in-process and read what they printed; bin.ts passes the real process streams.

/** Where a command writes and what it knows of its terminal. */
export interface CliContext {
  /** Results: tables, the final JSON object. */
  stdout: (text: string) => void;
  /** Progress, notices and errors. */
  stderr: (text: string) => void;
  /** The stream progress bars draw on (a TTY) or null, when progress is printed as plain lines. */
  progressStream: NodeJS.WritableStream | null;
  /** Whether stdout is a terminal (then it shares the screen with the progress bar). */
  stdoutIsTTY: boolean;
  /** Working directory that relative paths are resolved against. */
  cwd: string;
  /**
   * Registers a handler for Ctrl-C (SIGINT) and returns the function that removes it. Tests inject
   * their own to simulate an interrupt.
   */
  onInterrupt: (handler: () => void) => () => void;
}

/** The context of a real run: process streams, the process's cwd and its SIGINT. */
export function processContext(): CliContext {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    progressStream: process.stderr.isTTY ? process.stderr : null,
    stdoutIsTTY: process.stdout.isTTY === true,
    cwd: process.cwd(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
