// Bad input never crashes and never becomes a silent NaN: svmLoss and softmaxLoss, given non-tensors,
// wrong ranks, empty batches or bad labels (NaN, -1, C, 1.5, wrong length, non-arrays; as number[],
// Int32Array or Uint8Array), throw a BackpropError subclass whose message starts with
// "<function>: <argument>"; valid but extreme scores give a finite loss and gradient.
// `tried` counts the bad inputs (BAD_INPUT_REPORT=1 prints the total).
import { softmaxLoss, svmLoss } from '@backprop/losses';
import { BackpropError, type DType, ShapeError, Tensor, ValueError, zeros } from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExpectBad } from '../../../scripts/testing/expect-bad.ts';

let tried = 0;
afterAll(() => {
  if (process.env.BAD_INPUT_REPORT) console.log(`[bad-input] @backprop/losses: ${tried} bad inputs tried`);
});

const expectBad = makeExpectBad(BackpropError, () => {
  tried++;
});

type Loss = (x: Tensor, y: ArrayLike<number>) => { loss: number; dx: Tensor };
const LOSSES = fc.constantFrom<[string, Loss]>(['svmLoss', svmLoss], ['softmaxLoss', softmaxLoss]);
const RUNS = { numRuns: 80 };
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const batch = fc.record({
  N: fc.integer({ min: 1, max: 4 }),
  C: fc.integer({ min: 1, max: 5 }),
  dtype: dtypeArb,
});
const labelsFor = (N: number, C: number) =>
  fc.array(fc.integer({ min: 0, max: C - 1 }), { minLength: N, maxLength: N });

describe('svmLoss and softmaxLoss › bad input', () => {
  it('reject a non-tensor x', () => {
    fc.assert(
      fc.property(
        LOSSES,
        fc.constantFrom<unknown>(null, undefined, 3, 'x', [[1, 2]], new Float64Array(4), {}),
        ([name, loss], x) => {
          expectBad(() => loss(x as Tensor, [0]), ValueError, name, 'x');
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reject x of rank other than 2 with a ShapeError naming x', () => {
    fc.assert(
      fc.property(
        LOSSES,
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }).filter((s) => s.length !== 2),
        dtypeArb,
        ([name, loss], shape, dtype) => {
          expectBad(() => loss(zeros(shape, dtype), [0]), ShapeError, name, 'x');
        },
      ),
      RUNS,
    );
  });

  it('reject an empty batch (N = 0) and zero classes (C = 0): the mean over nothing is not a loss', () => {
    fc.assert(
      fc.property(LOSSES, fc.integer({ min: 0, max: 4 }), dtypeArb, ([name, loss], n, dtype) => {
        const e = expectBad(() => loss(zeros([0, n + 1], dtype), []), ShapeError, name, 'x');
        expect(e.message).toContain('N >= 1');
        expectBad(() => loss(zeros([n + 1, 0], dtype), new Array(n + 1).fill(0)), ShapeError, name, 'x');
      }),
      RUNS,
    );
  });

  it('reject labels that are NaN, negative, fractional, infinite or >= C, in every array type', () => {
    fc.assert(
      fc.property(
        LOSSES,
        batch.chain(({ N, C, dtype }) =>
          fc.record({
            N: fc.constant(N),
            C: fc.constant(C),
            dtype: fc.constant(dtype),
            labels: labelsFor(N, C),
            at: fc.nat(N - 1),
            bad: fc.oneof(
              fc.constantFrom(Number.NaN, -1, 1.5, -0.5, Number.POSITIVE_INFINITY, C),
              fc.integer({ min: C, max: C + 300 }),
            ),
            kind: fc.constantFrom('array', 'Int32Array', 'Uint8Array'),
          }),
        ),
        ([name, loss], { N, C, dtype, labels, at, bad, kind }) => {
          const ys = [...labels];
          ys[at] = bad;
          const y = kind === 'array' ? ys : kind === 'Int32Array' ? Int32Array.from(ys) : Uint8Array.from(ys);
          const x = zeros([N, C], dtype);
          const stored = y[at];
          // A typed array converts what it stores (NaN -> 0, 1.5 -> 1, -1 -> 255 in a Uint8Array):
          // only a value that is still bad after that is bad input.
          if (Number.isInteger(stored) && stored >= 0 && stored < C) {
            expect(Number.isFinite(loss(x, y).loss)).toBe(true);
          } else {
            const e = expectBad(() => loss(x, y), ValueError, name, 'y');
            expect(e.message).toContain(`y[${at}] is`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reject labels of the wrong length and non-arrays', () => {
    fc.assert(
      fc.property(LOSSES, batch, fc.integer({ min: 1, max: 3 }), ([name, loss], { N, C, dtype }, extra) => {
        const x = zeros([N, C], dtype);
        expectBad(() => loss(x, new Array(N + extra).fill(0)), ValueError, name, 'y');
        expectBad(() => loss(x, new Int32Array(N - 1)), ValueError, name, 'y');
        for (const bad of [null, undefined, 0, 'abc', {}]) {
          expectBad(() => loss(x, bad as unknown as number[]), ValueError, name, 'y');
        }
      }),
      RUNS,
    );
  });
});

describe('svmLoss and softmaxLoss › valid but extreme scores', () => {
  /** Scores of magnitude up to `limit`, as a tensor, with labels. */
  const extreme = (limit: number) =>
    batch.chain(({ N, C, dtype }) =>
      fc.record({
        N: fc.constant(N),
        C: fc.constant(C),
        dtype: fc.constant(dtype),
        values: fc.array(
          dtype === 'float32'
            ? fc.float({ min: Math.fround(-limit), max: Math.fround(limit), noNaN: true })
            : fc.double({ min: -limit, max: limit, noNaN: true }),
          { minLength: N * C, maxLength: N * C },
        ),
        labels: labelsFor(N, C),
      }),
    );

  it('softmaxLoss is finite, >= 0, with finite dx rows summing to 0, for scores up to the float limits', () => {
    fc.assert(
      fc.property(extreme(3e38), ({ N, C, dtype, values, labels }) => {
        // float64 scores up to 3e38 as well: differences stay far below the float64 limit.
        const x = new Tensor(dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values), [
          N,
          C,
        ]);
        const { loss, dx } = softmaxLoss(x, labels);
        expect(Number.isFinite(loss)).toBe(true);
        expect(loss).toBeGreaterThanOrEqual(0);
        for (let n = 0; n < N; n++) {
          let rowSum = 0;
          for (let j = 0; j < C; j++) {
            const g = dx.data[n * C + j];
            expect(Number.isFinite(g)).toBe(true);
            rowSum += g;
          }
          expect(Math.abs(rowSum)).toBeLessThan(1e-6);
        }
      }),
      RUNS,
    );
  });

  it('svmLoss is finite and >= 0 with dx in {-(C-1)/N, …, 1/N} for scores up to ±1e37', () => {
    fc.assert(
      fc.property(extreme(1e37), ({ N, C, dtype, values, labels }) => {
        const x = new Tensor(dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values), [
          N,
          C,
        ]);
        const { loss, dx } = svmLoss(x, labels);
        expect(Number.isFinite(loss)).toBe(true);
        expect(loss).toBeGreaterThanOrEqual(0);
        for (const g of dx.data) {
          expect(Number.isFinite(g)).toBe(true);
          expect(g).toBeGreaterThanOrEqual(-(C - 1) / N - 1e-7);
          expect(g).toBeLessThanOrEqual(1 / N + 1e-7);
        }
      }),
      RUNS,
    );
  });

  it('softmaxLoss of one overwhelmingly confident correct score is 0 and of a wrong one is the score gap', () => {
    // Independent values: scores [s, 0] with label 0 -> log(1 + e^-s) = 0 to float64 precision;
    // label 1 -> log(e^s + 1) - 0 = s.
    for (const s of [1e3, 1e10, 1e300]) {
      const x = new Tensor(Float64Array.from([s, 0]), [1, 2]);
      expect(softmaxLoss(x, [0]).loss).toBe(0);
      expect(softmaxLoss(x, [1]).loss).toBe(s);
    }
  });
});
