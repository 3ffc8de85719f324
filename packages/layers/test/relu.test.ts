import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import {
  DTypeError,
  linspace,
  Rng,
  randn,
  ShapeError,
  setKernelBackend,
  Tensor,
  tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { reluBackward, reluForward } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

describe('reluForward', () => {
  it("matches the CS231n notebook's linspace check", () => {
    const x = linspace(-0.5, 0.5, 12, 'float64').reshape([3, 4]);
    const { out } = reluForward(x);
    // numpy: np.maximum(0, np.linspace(-0.5, 0.5, 12).reshape(3, 4)); the positives are (2k-11)/22
    const expected = tensor(
      [
        [0, 0, 0, 0],
        [0, 0, 1 / 22, 3 / 22],
        [5 / 22, 7 / 22, 9 / 22, 11 / 22],
      ],
      { dtype: 'float64' },
    );
    expect(out.shape).toEqual([3, 4]);
    expect(relError(out, expected)).toBeLessThan(1e-14);
  });

  it('keeps shape and dtype, and passes NaN through', () => {
    const x = tensor([-1, 0, 2, Number.NaN, -0], { dtype: 'float32' }).reshape([5, 1, 1]);
    const { out } = reluForward(x);
    expect(out.shape).toEqual([5, 1, 1]);
    expect(out.dtype).toBe('float32');
    expect(Array.from(out.data)).toEqual([0, 0, 2, Number.NaN, 0]);
  });

  it('rejects a non-tensor', () => {
    expectThrow(
      () => reluForward(3 as unknown as Tensor),
      ValueError,
      'reluForward: x must be a Tensor, got number',
    );
  });
});

/** float32 values from raw bit patterns, so every NaN, infinity, zero and subnormal can come up. */
function fromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(Int32Array.from(bits).buffer);
}

/** Same value, and the same sign for zeros; any NaN matches any NaN. */
function sameFloat(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

const SPECIAL_BITS = [
  0x00000000, // +0
  0x80000000 | 0, // −0
  0x7f800000, // +Infinity
  0xff800000 | 0, // −Infinity
  0x7fc00000, // NaN
  0xffc00000 | 0, // NaN with the sign bit set (x86's default NaN)
  0x7f800001, // signalling NaN
  0x00000001, // smallest positive subnormal
  0x80000001 | 0, // smallest negative subnormal
  0x7f7fffff, // largest finite
  0xff7fffff | 0, // most negative finite
];

describe('relu in float32 (branchless bit-pattern loops)', () => {
  it('forward equals Math.max(x, 0) for every bit pattern, including ±0, ±Infinity and NaNs', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(...SPECIAL_BITS)),
          { minLength: 1, maxLength: 40 },
        ),
        (bits) => {
          const data = fromBits(bits);
          const { out } = reluForward(new Tensor(data, [data.length]));
          for (let i = 0; i < data.length; i++) {
            expect(sameFloat(out.data[i], Math.max(data[i], 0)), `x = ${data[i]} (bits ${bits[i]})`).toBe(
              true,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('backward equals (x > 0 ? dout : +0) for every bit pattern of x and dout', () => {
    const int32 = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.constantFrom(...SPECIAL_BITS),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(int32, int32), { minLength: 1, maxLength: 40 }), (pairs) => {
        const x = fromBits(pairs.map((p) => p[0]));
        const g = fromBits(pairs.map((p) => p[1]));
        const shape = [x.length];
        const { dx } = reluBackward(new Tensor(g, shape), reluForward(new Tensor(x, shape)).cache);
        for (let i = 0; i < x.length; i++) {
          expect(sameFloat(dx.data[i], x[i] > 0 ? g[i] : 0), `x = ${x[i]}, dout = ${g[i]}`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads inputs that are views into a larger buffer', () => {
    const buffer = Float32Array.from([9, -1, 2, -3, 4, 9]);
    const x = new Tensor(buffer.subarray(1, 5), [2, 2]);
    const dout = new Tensor(Float32Array.from([7, 7, 5, 6, 7, 8]).subarray(2, 6), [2, 2]);
    const { out, cache } = reluForward(x);
    expect(Array.from(out.data)).toEqual([0, 2, 0, 4]);
    expect(Array.from(reluBackward(dout, cache).dx.data)).toEqual([0, 6, 0, 8]);
  });
});

describe('reluBackward', () => {
  it('matches the numerical gradient in float64', () => {
    const x = normal([10, 10], 5);
    const dout = normal([10, 10], 6);
    const { dx } = reluBackward(dout, reluForward(x).cache);
    const dxNum = evalNumericalGradientArray((v) => reluForward(v).out, x, dout);
    expect(relError(dx, dxNum)).toBeLessThan(1e-7);
  });

  it('passes no gradient where the input is exactly 0', () => {
    const x = tensor([-2, 0, 3, 0, 1e-300], { dtype: 'float64' });
    const dout = tensor([1, 2, 3, 4, 5], { dtype: 'float64' });
    const { dx } = reluBackward(dout, reluForward(x).cache);
    expect(Array.from(dx.data)).toEqual([0, 0, 3, 0, 5]);
  });

  it('does not mutate its cache or dout', () => {
    const x = normal([4, 5], 1);
    const dout = normal([4, 5], 2);
    const { cache } = reluForward(x);
    const before = [snapshot(x), snapshot(dout)];
    reluBackward(dout, cache);
    expect([snapshot(cache.x), snapshot(dout)]).toEqual(before);
  });

  it('works in float32', () => {
    const x = normal([3, 4], 1, 'float32');
    const dout = normal([3, 4], 2, 'float32');
    const { dx } = reluBackward(dout, reluForward(x).cache);
    expect(dx.dtype).toBe('float32');
    for (let i = 0; i < x.size; i++) expect(dx.data[i]).toBe(x.data[i] > 0 ? dout.data[i] : 0);
  });

  it('rejects a dout that does not match the forward input', () => {
    const { cache } = reluForward(zeros([2, 3], 'float64'));
    expectThrow(
      () => reluBackward(zeros([3, 2], 'float64'), cache),
      ShapeError,
      'reluBackward: dout has shape [3,2], expected [2, 3] to match the forward input',
    );
    expectThrow(
      () => reluBackward(zeros([2, 3], 'float32'), cache),
      DTypeError,
      'reluBackward: dout has dtype float32, expected float64 to match cache.x',
    );
    expectThrow(
      () => reluBackward(zeros([2, 3], 'float64'), undefined as never),
      ValueError,
      'reluBackward: cache must be the cache reluForward returned, got undefined',
    );
  });
});

describe('float32 ReLU: WebAssembly SIMD kernel and JavaScript loop', () => {
  afterEach(() => {
    setKernelBackend('auto');
  });

  it('give the same out and dx, bit for bit (±0, ±Infinity, NaNs, subnormals; lengths across the chunk)', () => {
    const special = [0, -0, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45, 2, -2];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20000 }), fc.nat(), (n, seed) => {
        const x = randn([n], { rng: new Rng(seed), dtype: 'float32' });
        for (let i = seed % 3; i < n; i += 5) x.data[i] = special[(i + seed) % special.length];
        const dout = randn([n], { rng: new Rng(seed + 1), dtype: 'float32' });
        const bits = (t: Tensor) => Array.from(new Int32Array(t.data.buffer, t.data.byteOffset, t.size));
        const run = (backend: 'auto' | 'ts') => {
          setKernelBackend(backend);
          const { out, cache } = reluForward(x);
          return { out: bits(out), dx: bits(reluBackward(dout, cache).dx) };
        };
        expect(run('auto')).toEqual(run('ts'));
      }),
      { numRuns: 40 },
    );
  });
});
