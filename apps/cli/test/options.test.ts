import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  parseIntegerArg,
  parseIntegerListArg,
  parseNumberArg,
  parsePathArg,
  parsePositiveIntegerArg,
} from '../src/options';

describe('flag value parsers', () => {
  it('parseNumberArg reads decimal and exponent forms', () => {
    expect(parseNumberArg('1e-3')).toBe(0.001);
    expect(parseNumberArg(' 0.5 ')).toBe(0.5);
    expect(parseNumberArg('-2')).toBe(-2);
  });

  it.each(['', 'abc', '1x', 'Infinity', 'NaN', '1e999'])('parseNumberArg rejects %j', (v) => {
    expect(() => parseNumberArg(v)).toThrow(InvalidArgumentError);
    expect(() => parseNumberArg(v)).toThrow(`Expected a number, got '${v}'.`);
  });

  it('parseIntegerArg accepts integers only', () => {
    expect(parseIntegerArg('100')).toBe(100);
    expect(() => parseIntegerArg('1.5')).toThrow("Expected an integer, got '1.5'.");
  });

  it('parsePositiveIntegerArg rejects 0', () => {
    expect(parsePositiveIntegerArg('3')).toBe(3);
    expect(() => parsePositiveIntegerArg('0')).toThrow("Expected an integer >= 1, got '0'.");
  });

  it('parseIntegerListArg splits on commas; the empty string is the empty list', () => {
    expect(parseIntegerListArg('256,128')).toEqual([256, 128]);
    expect(parseIntegerListArg('100')).toEqual([100]);
    expect(parseIntegerListArg('')).toEqual([]);
    expect(() => parseIntegerListArg('256,x')).toThrow(
      "Expected comma-separated integers like 256,128, got '256,x'.",
    );
    expect(() => parseIntegerListArg('256,,128')).toThrow(InvalidArgumentError);
  });

  it('parsePathArg rejects an empty path', () => {
    expect(parsePathArg('a/b')).toBe('a/b');
    expect(() => parsePathArg('')).toThrow('Expected a path, got an empty string.');
  });
});
