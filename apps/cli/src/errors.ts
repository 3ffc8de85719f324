// The CLI's exit statuses: 0 success, 1 failure, 2 bad usage (unknown flag, bad value), 130
// interrupted by Ctrl-C (the shell convention 128 + SIGINT).

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Bad usage: a flag value, a config file field or a combination of flags that cannot work. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure with a message meant for the user as is (no stack trace). Exit 1 unless another code is given. */
export class CliFailure extends Error {
  override name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}
