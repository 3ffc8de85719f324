// Bad input never crashes with a TypeError and never becomes a silent NaN gradient: every public function
// of @backprop/gradcheck, given a non-function, non-tensors, bad options or a function that returns
// NaN, throws a BackpropError subclass whose message starts with "<function>: <argument>", and leaves
// x exactly as it was. `tried` counts the bad inputs (BAD_INPUT_REPORT=1 prints the total).
import {
  evalNumericalGradient,
  evalNumericalGradientArray,
  gradCheckSparse,
  relError,
} from '@backprop/gradcheck';
import { BackpropError, Rng, randn, ShapeError, Tensor, ValueError, zeros } from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExpectBad } from '../../../scripts/testing/expect-bad.ts';

let tried = 0;
afterAll(() => {
  if (process.env.BAD_INPUT_REPORT) console.log(`[bad-input] @backprop/gradcheck: ${tried} bad inputs tried`);
});

const expectBad = makeExpectBad(BackpropError, () => {
  tried++;
});

const RUNS = { numRuns: 60 };
const notTensor = fc.oneof(
  fc.constantFrom<unknown>(null, undefined, {}, 'x', true),
  fc.double(),
  fc.array(fc.double(), { maxLength: 3 }),
  fc.constant(new Float64Array(3)),
);
const notFunction = fc.constantFrom<unknown>(null, undefined, 3, 'sum', {}, [], new Float64Array(1));
const badStep = fc.oneof(
  fc.double({ max: 0, noNaN: true }),
  fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, '1e-5', true),
);
/** What a broken loss function may return instead of a finite number. */
const badValue = fc.constantFrom<unknown>(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  undefined,
  '1',
  null,
);
const point = (rng: Rng, shape: number[]) => randn(shape, { rng, dtype: 'float64' });
const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 });
const sumSquares = (x: Tensor): number => {
  let s = 0;
  for (const v of x.data) s += v * v;
  return s;
};

describe('evalNumericalGradient › bad input', () => {
  it('rejects a non-function f, a non-tensor x and non-positive or non-finite steps', () => {
    fc.assert(
      fc.property(notFunction, notTensor, badStep, (f, x, h) => {
        const good = zeros([2], 'float64');
        const fn = 'evalNumericalGradient';
        expectBad(() => evalNumericalGradient(f as never, good), ValueError, fn, 'f');
        expectBad(() => evalNumericalGradient(sumSquares, x as Tensor), ValueError, fn, 'x');
        expectBad(
          () => evalNumericalGradient(sumSquares, good, { h: h as number }),
          ValueError,
          fn,
          'opts.h',
        );
        expectBad(() => evalNumericalGradient(sumSquares, good, null as never), ValueError, fn, 'opts');
      }),
      RUNS,
    );
  });

  it('a function returning NaN, ±Infinity or a non-number is an error, and x is restored exactly', () => {
    fc.assert(
      fc.property(
        shapeArb,
        badValue,
        fc.nat(),
        fc.integer({ min: 1, max: 1000 }),
        (shape, value, at, seed) => {
          const x = point(new Rng(seed), shape);
          const before = Array.from(x.data);
          const broken = at % x.size; // f goes bad only when this coordinate is perturbed
          const f = (t: Tensor) => (t.data[broken] !== before[broken] ? (value as number) : sumSquares(t));
          const e = expectBad(() => evalNumericalGradient(f, x), ValueError, 'evalNumericalGradient', 'f(x)');
          expect(e.message).toContain(`x[${broken}]`);
          expect(Array.from(x.data)).toEqual(before);
        },
      ),
      RUNS,
    );
  });
});

describe('evalNumericalGradientArray › bad input', () => {
  const fn = 'evalNumericalGradientArray';
  const identity = (t: Tensor) => t;

  it('rejects a non-function f, non-tensor x or df, bad steps and a df of the wrong size', () => {
    fc.assert(
      fc.property(
        notFunction,
        notTensor,
        badStep,
        shapeArb,
        fc.integer({ min: 1, max: 3 }),
        (f, bad, h, shape, extra) => {
          const x = zeros(shape, 'float64');
          expectBad(() => evalNumericalGradientArray(f as never, x, x), ValueError, fn, 'f');
          expectBad(() => evalNumericalGradientArray(identity, bad as Tensor, x), ValueError, fn, 'x');
          expectBad(() => evalNumericalGradientArray(identity, x, bad as Tensor), ValueError, fn, 'df');
          expectBad(
            () => evalNumericalGradientArray(identity, x, x, { h: h as number }),
            ValueError,
            fn,
            'opts.h',
          );
          const df = zeros([x.size + extra], 'float64');
          expectBad(() => evalNumericalGradientArray(identity, x, df), ShapeError, fn, 'df');
        },
      ),
      RUNS,
    );
  });

  it('f returning a non-tensor or non-finite values is an error, and x is restored exactly', () => {
    fc.assert(
      fc.property(shapeArb, badValue, fc.integer({ min: 1, max: 1000 }), (shape, value, seed) => {
        const rng = new Rng(seed);
        const x = point(rng, shape);
        const df = point(rng, shape);
        const before = Array.from(x.data);
        expectBad(() => evalNumericalGradientArray(() => value as never, x, df), ValueError, fn, 'f(x)');
        expect(Array.from(x.data)).toEqual(before);
        if (typeof value === 'number') {
          const poisoned = (t: Tensor) => {
            const out = t.clone();
            out.data[out.size - 1] = value;
            return out;
          };
          expectBad(() => evalNumericalGradientArray(poisoned, x, df), ValueError, fn, 'f(x)');
          expect(Array.from(x.data)).toEqual(before);
        }
      }),
      RUNS,
    );
  });
});

describe('gradCheckSparse › bad input', () => {
  const fn = 'gradCheckSparse';

  it('rejects a non-function f, non-tensors, mismatched shapes, empty x and bad options', () => {
    fc.assert(
      fc.property(
        notFunction,
        notTensor,
        badStep,
        fc.oneof(fc.integer({ min: -3, max: 0 }), fc.double({ min: 0.1, max: 5, noInteger: true })),
        fc.constantFrom<unknown>({}, 7, 'seed', { integer: 1 }),
        (f, bad, h, numChecks, rng) => {
          const x = zeros([2, 3], 'float64');
          expectBad(() => gradCheckSparse(f as never, x, x), ValueError, fn, 'f');
          expectBad(() => gradCheckSparse(sumSquares, bad as Tensor, x), ValueError, fn, 'x');
          expectBad(() => gradCheckSparse(sumSquares, x, bad as Tensor), ValueError, fn, 'analyticGrad');
          // Same size, other shape: the analytic gradient was computed for something else.
          expectBad(
            () => gradCheckSparse(sumSquares, x, zeros([3, 2], 'float64')),
            ShapeError,
            fn,
            'analyticGrad',
          );
          expectBad(
            () => gradCheckSparse(sumSquares, zeros([0], 'float64'), zeros([0], 'float64')),
            ShapeError,
            fn,
            'x',
          );
          expectBad(() => gradCheckSparse(sumSquares, x, x, { h: h as number }), ValueError, fn, 'opts.h');
          expectBad(() => gradCheckSparse(sumSquares, x, x, { numChecks }), ValueError, fn, 'opts.numChecks');
          expectBad(() => gradCheckSparse(sumSquares, x, x, { rng: rng as Rng }), ValueError, fn, 'opts.rng');
          expectBad(() => gradCheckSparse(sumSquares, x, x, null as never), ValueError, fn, 'opts');
        },
      ),
      RUNS,
    );
  });

  it('a function returning NaN or a non-number is an error, and x is restored exactly', () => {
    fc.assert(
      fc.property(shapeArb, badValue, fc.integer({ min: 1, max: 1000 }), (shape, value, seed) => {
        const x = point(new Rng(seed), shape);
        const before = Array.from(x.data);
        expectBad(() => gradCheckSparse(() => value as number, x, x.clone()), ValueError, fn, 'f(x)');
        expect(Array.from(x.data)).toEqual(before);
      }),
      RUNS,
    );
  });
});

describe('relError › bad input and extremes', () => {
  it('rejects non-tensors and tensors of different shapes', () => {
    fc.assert(
      fc.property(notTensor, shapeArb, shapeArb, (bad, sa, sb) => {
        const a = zeros(sa, 'float64');
        if (typeof bad !== 'number') {
          expectBad(() => relError(bad as Tensor, a), ValueError, 'relError', 'a');
          expectBad(() => relError(a, bad as Tensor), ValueError, 'relError', 'b');
        }
        const same = sa.length === sb.length && sa.every((d, i) => d === sb[i]);
        if (same) expect(relError(a, zeros(sb, 'float64'))).toBe(0);
        else expectBad(() => relError(a, zeros(sb, 'float64')), ShapeError, 'relError', 'b');
      }),
      RUNS,
    );
  });

  it('is NaN (so a `< tol` check fails) when an element is NaN, wherever it is', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (v, at) => {
          const a = new Tensor(Float64Array.from(v), [v.length]);
          const b = a.clone();
          b.data[at % v.length] = Number.NaN;
          expect(Number.isNaN(relError(a, b))).toBe(true);
          expect(relError(a, b) < 1e-7).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('is finite and exact for finite values near the float64 limit (|a| + |b| overflows)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e307, max: 1.7e308, noNaN: true }),
        fc.double({ min: 1e307, max: 1.7e308, noNaN: true }),
        fc.boolean(),
        (p, q, opposite) => {
          const b = opposite ? -q : q;
          const e = relError(p, b);
          expect(Number.isFinite(e)).toBe(true);
          // The same ratio computed on values scaled down by 2^-10 (exact), where nothing overflows.
          const s = 2 ** -10;
          expect(e).toBeCloseTo(Math.abs(p * s - b * s) / (Math.abs(p * s) + Math.abs(b * s)), 12);
        },
      ),
      RUNS,
    );
    expect(relError(1.7e308, -1.7e308)).toBe(1);
  });
});
