import { describe, expect, it } from 'vitest';
import { formatAccuracy, formatRate, formatRelError, formatSeconds } from '../../src/ui/format';
import { formatTable } from '../../src/ui/table';

describe('formatTable', () => {
  it('pads columns to their widest cell, right-aligns numeric columns and rules the header', () => {
    const text = formatTable(
      ['class', 'acc'],
      [
        ['T-shirt', '0.9'],
        ['Bag', '0.875'],
      ],
    );
    expect(text).toBe(
      ['class      acc', '-------  -----', 'T-shirt    0.9', 'Bag      0.875', ''].join('\n'),
    );
  });

  it('follows explicit alignments and treats missing cells as empty', () => {
    const text = formatTable(['a', 'b'], [['1'], ['22', 'x']], ['left', 'right']);
    expect(text).toBe(['a   b', '--  -', '1', '22  x', ''].join('\n'));
  });

  it('prints just the header for no rows', () => {
    expect(formatTable(['epoch', 'loss'], [])).toBe('epoch  loss\n-----  ----\n');
  });
});

describe('number formats', () => {
  it('accuracy has 4 decimals, non-finite is a dash', () => {
    expect(formatAccuracy(0.89123)).toBe('0.8912');
    expect(formatAccuracy(1)).toBe('1.0000');
    expect(formatAccuracy(Number.NaN)).toBe('-');
  });

  it('seconds switch to minutes past 60', () => {
    expect(formatSeconds(0.4213)).toBe('0.42 s');
    expect(formatSeconds(12.34)).toBe('12.3 s');
    expect(formatSeconds(125.2)).toBe('2 min 05 s');
  });

  it('relative errors in scientific notation, rates with 3 significant digits', () => {
    expect(formatRelError(3.14159e-9)).toBe('3.14e-9');
    expect(formatRelError(Number.NaN)).toBe('NaN');
    expect(formatRate(54.23)).toBe('54.2');
    expect(formatRate(5.4231)).toBe('5.42');
    expect(formatRate(262.4)).toBe('262');
  });
});
