import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import { DTypeError, linspace, ShapeError, type Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type AffineBackwardOptions, affineBackward, affineForward } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

// Naive definition: out[n, m] = Σ_d x[n, d]·w[d, m] + b[m], three plain loops.
function naiveAffine(x: Tensor, w: Tensor, b: Tensor): number[] {
  const [D, M] = w.shape;
  const N = x.shape[0];
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let s = b.data[m];
      for (let d = 0; d < D; d++) s += x.data[n * D + d] * w.data[d * M + m];
      out.push(s);
    }
  }
  return out;
}

describe('affineForward', () => {
  it("matches the CS231n notebook's linspace check", () => {
    const x = linspace(-0.1, 0.5, 240, 'float64').reshape([2, 4, 5, 6]);
    const w = linspace(-0.2, 0.3, 360, 'float64').reshape([120, 3]);
    const b = linspace(-0.3, 0.1, 3, 'float64');
    const { out } = affineForward(x, w, b);
    // Computed independently with numpy 2.4: x.reshape(2, -1) @ w + b
    const expected = tensor(
      [
        [1.4983496695842708, 1.7066013216629172, 1.9148529737415652],
        [3.2555319868066817, 3.514132702416055, 3.772733418025431],
      ],
      { dtype: 'float64' },
    );
    expect(out.shape).toEqual([2, 3]);
    expect(relError(out, expected)).toBeLessThan(1e-14);
  });

  it('equals the naive triple loop for random shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 1000 }),
        (N, dims, M, seed) => {
          const D = dims.reduce((a, c) => a * c, 1);
          const x = normal([N, ...dims], seed);
          const w = normal([D, M], seed + 1);
          const b = normal([M], seed + 2);
          const { out } = affineForward(x, w, b);
          expect(out.shape).toEqual([N, M]);
          const naive = naiveAffine(x, w, b);
          for (let i = 0; i < naive.length; i++) expect(out.data[i]).toBeCloseTo(naive[i], 12);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('works in float32 and keeps the dtype', () => {
    const x64 = normal([4, 3, 2], 1);
    const w64 = normal([6, 5], 2);
    const b64 = normal([5], 3);
    const out64 = affineForward(x64, w64, b64).out;
    const out32 = affineForward(x64.astype('float32'), w64.astype('float32'), b64.astype('float32')).out;
    expect(out32.dtype).toBe('float32');
    expect(out32.data).toBeInstanceOf(Float32Array);
    for (let i = 0; i < out64.size; i++) expect(out32.data[i]).toBeCloseTo(out64.data[i], 5);
  });

  it('rejects bad shapes and dtypes, naming the argument', () => {
    const x = zeros([2, 4, 5, 6], 'float64');
    expectThrow(
      () => affineForward(x, zeros([5, 3], 'float64'), zeros([3], 'float64')),
      ShapeError,
      "affineForward: w has shape [5,3], expected [120, M] to match x's 120 features",
    );
    expectThrow(
      () => affineForward(x, zeros([120, 3], 'float64'), zeros([4], 'float64')),
      ShapeError,
      "affineForward: b has shape [4], expected [3] to match w's 3 outputs",
    );
    expectThrow(
      () => affineForward(zeros([6], 'float64'), zeros([6, 3], 'float64'), zeros([3], 'float64')),
      ShapeError,
      'affineForward: x has shape [6], expected [N, d1, ..., dk] (at least 2 dimensions)',
    );
    expectThrow(
      () => affineForward(x, zeros([120, 3], 'float32'), zeros([3], 'float64')),
      DTypeError,
      'affineForward: w has dtype float32, expected float64 to match x',
    );
    expectThrow(
      () => affineForward([[1, 2]] as unknown as Tensor, zeros([2, 3]), zeros([3])),
      ValueError,
      'affineForward: x must be a Tensor, got an array',
    );
  });
});

describe('affineBackward', () => {
  it('matches the numerical gradient in float64', () => {
    // The notebook's check: x [10, 2, 3], w [6, 5], b [5].
    const x = normal([10, 2, 3], 11);
    const w = normal([6, 5], 12);
    const b = normal([5], 13);
    const dout = normal([10, 5], 14);
    const { cache } = affineForward(x, w, b);
    const { dx, dw, db } = affineBackward(dout, cache);
    const dxNum = evalNumericalGradientArray((v) => affineForward(v, w, b).out, x, dout);
    const dwNum = evalNumericalGradientArray((v) => affineForward(x, v, b).out, w, dout);
    const dbNum = evalNumericalGradientArray((v) => affineForward(x, w, v).out, b, dout);
    expect(dx.shape).toEqual([10, 2, 3]);
    expect(dw.shape).toEqual([6, 5]);
    expect(db.shape).toEqual([5]);
    expect(relError(dx, dxNum)).toBeLessThan(1e-7);
    expect(relError(dw, dwNum)).toBeLessThan(1e-7);
    expect(relError(db, dbNum)).toBeLessThan(1e-7);
  });

  it('equals the naive loops for random shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (N, D, M, seed) => {
          const x = normal([N, D], seed);
          const w = normal([D, M], seed + 1);
          const dout = normal([N, M], seed + 2);
          const { dx, dw, db } = affineBackward(dout, affineForward(x, w, normal([M], seed + 3)).cache);
          for (let n = 0; n < N; n++) {
            for (let d = 0; d < D; d++) {
              let s = 0;
              for (let m = 0; m < M; m++) s += dout.data[n * M + m] * w.data[d * M + m];
              expect(dx.data[n * D + d]).toBeCloseTo(s, 12);
            }
          }
          for (let d = 0; d < D; d++) {
            for (let m = 0; m < M; m++) {
              let s = 0;
              for (let n = 0; n < N; n++) s += x.data[n * D + d] * dout.data[n * M + m];
              expect(dw.data[d * M + m]).toBeCloseTo(s, 12);
            }
          }
          for (let m = 0; m < M; m++) {
            let s = 0;
            for (let n = 0; n < N; n++) s += dout.data[n * M + m];
            expect(db.data[m]).toBeCloseTo(s, 12);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not mutate its cache or dout', () => {
    const x = normal([3, 4], 1);
    const w = normal([4, 2], 2);
    const b = normal([2], 3);
    const dout = normal([3, 2], 4);
    const { cache } = affineForward(x, w, b);
    const before = [snapshot(x), snapshot(w), snapshot(b), snapshot(dout)];
    affineBackward(dout, cache);
    expect([snapshot(cache.x), snapshot(cache.w), snapshot(cache.b), snapshot(dout)]).toEqual(before);
  });

  it('works in float32', () => {
    const x = normal([3, 4], 1, 'float32');
    const w = normal([4, 2], 2, 'float32');
    const { cache } = affineForward(x, w, normal([2], 3, 'float32'));
    const { dx, dw, db } = affineBackward(normal([3, 2], 4, 'float32'), cache);
    expect([dx.dtype, dw.dtype, db.dtype]).toEqual(['float32', 'float32', 'float32']);
    const ref = affineBackward(
      normal([3, 2], 4),
      affineForward(x.astype('float64'), w.astype('float64'), normal([2], 3)).cache,
    );
    expect(relError(dw.astype('float64'), ref.dw)).toBeLessThan(1e-5);
  });

  it('with computeDx false returns dx null and the same dw and db', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = normal([7, 3, 4], 21, dtype);
      const w = normal([12, 5], 22, dtype);
      const { cache } = affineForward(x, w, normal([5], 23, dtype));
      const dout = normal([7, 5], 24, dtype);
      const full = affineBackward(dout, cache);
      const skipped = affineBackward(dout, cache, { computeDx: false });
      expect(skipped.dx).toBeNull();
      expect(snapshot(skipped.dw)).toEqual(snapshot(full.dw));
      expect(snapshot(skipped.db)).toEqual(snapshot(full.db));
      const explicit = affineBackward(dout, cache, { computeDx: true });
      expect(snapshot(explicit.dx as Tensor)).toEqual(snapshot(full.dx));
    }
  });

  it('types dx as Tensor by default and as null with computeDx false', () => {
    const { cache } = affineForward(normal([2, 3], 1), normal([3, 4], 2), normal([4], 3));
    const dout = normal([2, 4], 4);
    expectTypeOf(affineBackward(dout, cache).dx).toEqualTypeOf<Tensor>();
    expectTypeOf(affineBackward(dout, cache, { computeDx: false }).dx).toEqualTypeOf<null>();
    const maybe: AffineBackwardOptions = {};
    expectTypeOf(affineBackward(dout, cache, maybe).dx).toEqualTypeOf<Tensor | null>();
  });

  it('rejects bad options', () => {
    const { cache } = affineForward(normal([2, 3], 1), normal([3, 4], 2), normal([4], 3));
    const dout = normal([2, 4], 4);
    expectThrow(
      () => affineBackward(dout, cache, { computeDx: 'no' } as never),
      ValueError,
      "affineBackward: opts.computeDx must be true or false, got 'no'",
    );
    expectThrow(
      () => affineBackward(dout, cache, null as never),
      ValueError,
      'affineBackward: opts must be an object { computeDx? }, got null',
    );
  });

  it('rejects a dout that does not match the forward output', () => {
    const { cache } = affineForward(
      zeros([3, 4], 'float64'),
      zeros([4, 2], 'float64'),
      zeros([2], 'float64'),
    );
    expectThrow(
      () => affineBackward(zeros([3, 5], 'float64'), cache),
      ShapeError,
      'affineBackward: dout has shape [3,5], expected [3, 2] to match the forward output [3, 2]',
    );
    expectThrow(
      () => affineBackward(zeros([3, 2], 'float32'), cache),
      DTypeError,
      'affineBackward: dout has dtype float32, expected float64 to match cache.x',
    );
    expectThrow(
      () => affineBackward(zeros([3, 2], 'float64'), null as never),
      ValueError,
      'affineBackward: cache must be the cache affineForward returned, got null',
    );
  });
});
