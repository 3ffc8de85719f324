import {
  arange,
  DTypeError,
  full,
  linspace,
  ones,
  Rng,
  rand,
  randn,
  ShapeError,
  tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers';

describe('tensor', () => {
  it('infers the shape from nesting and copies the values', () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const t = tensor(rows);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    rows[0][0] = 9;
    expect(t.data[0]).toBe(1);
    expect(tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
  });

  it('takes flat values with opts.shape, a bare number as a scalar, and a typed array dtype', () => {
    expect(tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(tensor(7).shape).toEqual([]);
    const src = new Float64Array([1, 2]);
    const t = tensor(src);
    expect(t.dtype).toBe('float64');
    expect(t.data).not.toBe(src);
    expect(tensor(src, { dtype: 'float32' }).dtype).toBe('float32');
    expect(tensor([]).shape).toEqual([0]);
  });

  it('rejects ragged nesting, a mismatched shape, non-numbers and bad dtypes', () => {
    expectError(
      () => tensor([[1, 2], [3]]),
      new ShapeError('tensor', 'values', 'are ragged: expected 2 entries at depth 1'),
    );
    expectError(
      () =>
        tensor([
          [1, [2]],
          [3, 4],
        ] as never),
      new ShapeError('tensor', 'values', 'are ragged: nesting depth varies'),
    );
    expectError(
      () => tensor([1, 2, 3], { shape: [2, 2] }),
      new ShapeError('tensor', 'opts.shape', '[2,2] holds 4 elements, values have 3'),
    );
    expectError(
      () => tensor([1, 'a'] as never),
      new ValueError('tensor', 'values[1]', 'must be a number, got string'),
    );
    expectError(
      () => tensor([1], { dtype: 'int8' as never }),
      new DTypeError('tensor', 'opts.dtype', "must be 'float32' or 'float64', got 'int8'"),
    );
  });
});

describe('zeros / ones / full', () => {
  it('fill a new tensor of the shape and dtype', () => {
    expect(Array.from(zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
    expect(zeros([2], 'float64').dtype).toBe('float64');
    expect(Array.from(ones([3], 'float64').data)).toEqual([1, 1, 1]);
    const f = full([2, 1], -2.5);
    expect(f.shape).toEqual([2, 1]);
    expect(Array.from(f.data)).toEqual([-2.5, -2.5]);
    expect(zeros([]).size).toBe(1);
  });

  it('reject bad shapes, dtypes and values', () => {
    expectError(
      () => zeros([2, -1]),
      new ShapeError('zeros', 'shape', 'must be an array of non-negative integers, got [2,-1]'),
    );
    expectError(
      () => full([2.5], 1),
      new ShapeError('full', 'shape', 'must be an array of non-negative integers, got [2.5]'),
    );
    expectError(
      () => full([2], '1' as never),
      new ValueError('full', 'value', 'must be a number, got string'),
    );
    expectError(
      () => zeros([2], 'float16' as never),
      new DTypeError('zeros', 'dtype', "must be 'float32' or 'float64', got 'float16'"),
    );
  });
});

describe('linspace / arange', () => {
  it("linspace matches numpy's values exactly, including the endpoint", () => {
    // python3: np.linspace(-0.4, 0.6, num=6).tolist(); numpy computes start + i * step too
    expect(Array.from(linspace(-0.4, 0.6, 6, 'float64').data)).toEqual([
      -0.4, -0.2, 0, 0.20000000000000007, 0.4, 0.6,
    ]);
    expect(Array.from(linspace(2, 3, 1, 'float64').data)).toEqual([2]);
    expect(linspace(0, 1, 0).shape).toEqual([0]);
  });

  it('arange counts from start by step, excluding stop', () => {
    expect(Array.from(arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(arange(1, 2, 0.25, 'float64').data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(3, 0, -1).data)).toEqual([3, 2, 1]);
    expect(arange(3, 1).shape).toEqual([0]);
  });

  it('reject bad arguments', () => {
    expectError(
      () => linspace(0, 1, 2.5),
      new ValueError('linspace', 'num', 'must be an integer >= 0, got 2.5'),
    );
    expectError(
      () => linspace(0, Number.POSITIVE_INFINITY, 3),
      new ValueError('linspace', 'stop', 'must be a finite number, got Infinity'),
    );
    expectError(
      () => arange(0, 3, 0),
      new ValueError('arange', 'step', 'must be a finite non-zero number, got 0'),
    );
  });
});

describe('randn / rand', () => {
  it('draw from the given Rng, in order, with mean/std or low/high', () => {
    const x = randn([2, 3], { rng: new Rng(1), dtype: 'float64', mean: 1, std: 0.5 });
    const r = new Rng(1);
    expect(Array.from(x.data)).toEqual(Array.from({ length: 6 }, () => 1 + 0.5 * r.normal()));
    const u = rand([4], { rng: new Rng(2), low: -1, high: 1 });
    const s = new Rng(2);
    expect(u.dtype).toBe('float32');
    expect(Array.from(u.data)).toEqual(Array.from({ length: 4 }, () => Math.fround(s.uniform(-1, 1))));
  });

  it('the same seed gives the same tensor', () => {
    const a = randn([5], { rng: new Rng(3) });
    const b = randn([5], { rng: new Rng(3) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('require an Rng', () => {
    const err = (fn: string) =>
      new ValueError(fn, 'opts.rng', 'must be an Rng: randomness always comes from a seeded generator');
    expectError(() => randn([2], {} as never), err('randn'));
    expectError(() => rand([2], undefined as never), err('rand'));
  });
});
