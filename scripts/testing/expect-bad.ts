// The one assertion every bad-input test makes (issue 9): a call with bad input throws an instance
// of the expected BackpropError subclass, whose fn and arg name the place and whose message reads
// "<fn>: <arg> …" — never another error class, never a quiet return.
// The error base class is passed in, so this helper imports no workspace package.
import { expect } from 'vitest';

interface NamedError extends Error {
  fn: string;
  arg: string;
}
type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Makes `expectBad(f, cls, fn, arg)` for a test file. `arg` is a string — the argument itself, or an
 * element of it named with its index (`y[3]`) — or a RegExp any argument path must match.
 * `onTry` runs once per call, so a file can report how many bad inputs it tried.
 */
export function makeExpectBad(base: ErrorClass, onTry: () => void = () => {}) {
  return function expectBad<E extends Error>(
    f: () => unknown,
    cls: abstract new (...args: never[]) => E,
    fn: string,
    arg: string | RegExp,
  ): E & NamedError {
    onTry();
    let thrown: unknown;
    let returned: unknown;
    try {
      returned = f();
    } catch (e) {
      thrown = e;
    }
    if (!(thrown instanceof base)) {
      const got =
        thrown instanceof Error
          ? `${thrown.constructor.name}: ${thrown.message}`
          : `no error (returned ${String(returned)})`;
      throw new Error(`expected ${cls.name} from ${fn} naming ${arg}, got ${got}`);
    }
    const error = thrown as E & NamedError;
    expect(error).toBeInstanceOf(cls);
    expect(error.fn).toBe(fn);
    if (typeof arg === 'string') expect(error.arg === arg || error.arg.startsWith(`${arg}[`)).toBe(true);
    else expect(error.arg).toMatch(arg);
    expect(error.message.startsWith(`${fn}: ${error.arg} `)).toBe(true);
    return error;
  };
}
