// Flag value parsers. They run inside commander, so a bad value becomes commander's
// "option '--batch-size <n>' argument 'x' is invalid. <reason>" and exit status 2.
// Ranges beyond "is a number" are checked once, by parseExperiment, so the CLI, --config files and
// the playground URL agree on every rule.
import { InvalidArgumentError } from 'commander';

/** A finite decimal number (`1e-3`, `0.5`, `-2`); rejects '', 'abc', '1x', 'Infinity'. */
export function parseNumberArg(value: string): number {
  const trimmed = value.trim();
  const v = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(v)) throw new InvalidArgumentError(`Expected a number, got '${value}'.`);
  return v;
}

/** An integer (`100`, `0`). */
export function parseIntegerArg(value: string): number {
  const trimmed = value.trim();
  const v = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`Expected an integer, got '${value}'.`);
  return v;
}

/** An integer >= 1. */
export function parsePositiveIntegerArg(value: string): number {
  const v = parseIntegerArg(value);
  if (v < 1) throw new InvalidArgumentError(`Expected an integer >= 1, got '${value}'.`);
  return v;
}

/** A comma-separated list of integers: `256,128`. The empty string is the empty list (no hidden layers). */
export function parseIntegerListArg(value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((part) => {
    try {
      return parseIntegerArg(part);
    } catch {
      throw new InvalidArgumentError(`Expected comma-separated integers like 256,128, got '${value}'.`);
    }
  });
}

/** A non-empty string (a path). */
export function parsePathArg(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a path, got an empty string.');
  return value;
}
