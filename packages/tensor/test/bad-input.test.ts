// Bad input never crashes with a TypeError or RangeError and never becomes a silent NaN: every public
// function of @backprop/tensor, given wrong shapes, ranks, dtypes, non-tensors or out-of-range numbers,
// throws a BackpropError subclass whose message starts with "<function>: <argument>".
// Property tests draw the bad inputs (small shapes, bounded runs); `tried` counts them
// (BAD_INPUT_REPORT=1 prints the total).
import {
  abs,
  add,
  allocate,
  arange,
  argmax,
  argmin,
  BackpropError,
  broadcastShapes,
  bytesPerElement,
  checkLabels,
  checkNumber,
  checkOneOf,
  checkSameDType,
  checkShape,
  col2im,
  type DType,
  DTypeError,
  div,
  equal,
  exp,
  FormatError,
  formatShape,
  full,
  gemm,
  greater,
  greaterEqual,
  im2col,
  less,
  lessEqual,
  linspace,
  log,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  normalizeAxes,
  ones,
  pad,
  pow,
  Rng,
  rand,
  randn,
  readSafetensors,
  ShapeError,
  setGemmBackend,
  shapesEqual,
  sizeOf,
  sqrt,
  square,
  stridesOf,
  sub,
  sum,
  Tensor,
  tensor,
  ValueError,
  variance,
  where,
  writeSafetensors,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExpectBad } from '../../../scripts/testing/expect-bad.ts';

let tried = 0;
afterAll(() => {
  if (process.env.BAD_INPUT_REPORT) console.log(`[bad-input] @backprop/tensor: ${tried} bad inputs tried`);
});

const expectBad = makeExpectBad(BackpropError, () => {
  tried++;
});

const RUNS = { numRuns: 60 };

/** Values that are not tensors (nor numbers): what a JavaScript caller may pass by mistake. */
const notTensorNorNumber = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.array(fc.double(), { maxLength: 4 }),
  fc.constant({}),
  fc.constant(new Float64Array(3)),
  // Duck-typed look-alike: not a Tensor, so not trusted.
  fc.constant({ shape: [3], dtype: 'float64', data: new Float64Array(3), size: 3 }),
);
const notTensor = fc.oneof(notTensorNorNumber, fc.double(), fc.integer());
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const otherDType = (d: DType): DType => (d === 'float32' ? 'float64' : 'float32');
/** A small shape of rank 0-3 with dimensions 0-3. */
const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });
/** Numbers that are not valid sizes: negative, fractional, non-finite, or not numbers at all. */
const badSize = fc.oneof(
  fc.integer({ min: -5, max: -1 }),
  fc.double({ min: 0.1, max: 5, noInteger: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);
const notFinite = fc.constantFrom<unknown>(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '1',
  true,
);

const BINARY = { add, sub, mul, div, pow, maximum, minimum, greater, greaterEqual, less, lessEqual, equal };
const UNARY = { neg, exp, log, sqrt, abs, square };
const REDUCE = { sum, mean, variance, max, min };

/** numpy's broadcasting rule, written independently: the broadcast shape, or null if incompatible. */
function broadcastOf(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

describe('elementwise ops › bad input', () => {
  it('reject non-tensor operands with a ValueError naming the operand', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(BINARY)),
        notTensorNorNumber,
        fc.boolean(),
        dtypeArb,
        (name, bad, first, dtype) => {
          const op = BINARY[name as keyof typeof BINARY] as (a: unknown, b: unknown) => Tensor;
          const t = ones([2], dtype);
          expectBad(() => (first ? op(bad, t) : op(t, bad)), ValueError, name, first ? 'a' : 'b');
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(UNARY)), notTensor, (name, bad) => {
        const op = UNARY[name as keyof typeof UNARY] as (x: unknown) => Tensor;
        expectBad(() => op(bad), ValueError, name, 'x');
      }),
      RUNS,
    );
  });

  it('reject two numbers (there is no tensor to take a dtype from)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(BINARY)), fc.double(), fc.double(), (name, a, b) => {
        const op = BINARY[name as keyof typeof BINARY] as (a: unknown, b: unknown) => Tensor;
        expectBad(() => op(a, b), ValueError, name, 'a, b');
      }),
      RUNS,
    );
  });

  it('reject a float32 tensor mixed with a float64 one with a DTypeError naming b', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(BINARY)), shapeArb, dtypeArb, (name, shape, dtype) => {
        const op = BINARY[name as keyof typeof BINARY];
        expectBad(() => op(zeros(shape, dtype), zeros(shape, otherDType(dtype))), DTypeError, name, 'b');
      }),
      RUNS,
    );
  });

  it('reject shapes that do not broadcast with a ShapeError naming b, and accept those that do', () => {
    let incompatible = 0;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(BINARY)), shapeArb, shapeArb, (name, sa, sb) => {
        const op = BINARY[name as keyof typeof BINARY];
        const expected = broadcastOf(sa, sb);
        if (expected === null) {
          incompatible++;
          const e = expectBad(() => op(zeros(sa), zeros(sb)), ShapeError, name, 'b');
          expect(e.message).toContain('cannot broadcast');
        } else {
          expect(op(ones(sa), ones(sb)).shape).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
    expect(incompatible).toBeGreaterThan(10); // the generator does reach the error path
  });

  it('where: a non-tensor mask, a non-operand branch or mixed dtypes name the argument', () => {
    fc.assert(
      fc.property(notTensor, dtypeArb, (bad, dtype) => {
        const t = ones([2], dtype);
        expectBad(() => where(bad as Tensor, t, t), ValueError, 'where', 'mask');
        if (typeof bad !== 'number') {
          expectBad(() => where(t, bad as Tensor, t), ValueError, 'where', 'a');
          expectBad(() => where(t, t, bad as Tensor), ValueError, 'where', 'b');
        }
        expectBad(() => where(t, t, ones([2], otherDType(dtype))), DTypeError, 'where', 'b');
        expectBad(() => where(ones([3], dtype), t, t), ShapeError, 'where', 'mask');
      }),
      RUNS,
    );
  });
});

describe('reductions › bad input', () => {
  const badAxis = (rank: number) =>
    fc.oneof(
      fc.integer({ min: rank, max: rank + 4 }),
      fc.integer({ min: -rank - 4, max: -rank - 1 }),
      fc.double({ min: -2, max: 2, noInteger: true }),
      fc.constantFrom<unknown>(Number.NaN, '0', true, {}),
    );

  it('reject a non-tensor x, an axis out of range, a repeated axis and non-object opts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(REDUCE)),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        notTensor,
        fc.constantFrom<unknown>(null, 1, 'keepdims'),
        (name, shape, bad, badOpts) => {
          const op = REDUCE[name as keyof typeof REDUCE] as (
            x: unknown,
            axis?: unknown,
            opts?: unknown,
          ) => Tensor;
          const x = ones(shape);
          expectBad(() => op(bad), ValueError, name, 'x');
          fc.assert(
            fc.property(badAxis(shape.length), (axis) => {
              expectBad(() => op(x, axis), ValueError, name, 'axis');
              expectBad(() => op(x, [0, axis]), ValueError, name, 'axis');
            }),
            { numRuns: 5 },
          );
          expectBad(() => op(x, [0, -shape.length]), ValueError, name, 'axis'); // axis 0 twice
          expectBad(() => op(x, 0, badOpts), ValueError, name, 'opts');
        },
      ),
      RUNS,
    );
  });

  it('max, min, argmax and argmin over an empty axis throw a ShapeError instead of inventing a value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[string, (x: Tensor, axis?: number) => Tensor]>(
          ['max', max],
          ['min', min],
          ['argmax', argmax],
          ['argmin', argmin],
        ),
        fc.integer({ min: 1, max: 4 }),
        ([name, op], n) => {
          expectBad(() => op(zeros([0, n]), 0), ShapeError, name, 'x');
          expectBad(() => op(zeros([n, 0]), 1), ShapeError, name, 'x');
          expectBad(() => op(zeros([0])), ShapeError, name, 'x');
        },
      ),
      { numRuns: 20 },
    );
  });

  it('argmax and argmin reject a list of axes', () => {
    expectBad(() => argmax(ones([2, 2]), [0, 1] as unknown as number), ValueError, 'argmax', 'axis');
    expectBad(() => argmin(ones([2, 2]), [0] as unknown as number), ValueError, 'argmin', 'axis');
  });

  it('mean of float32 values near the float32 limit is finite (accumulated in float64)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: Math.fround(-3e38), max: Math.fround(3e38), noNaN: true }), {
          minLength: 1,
          maxLength: 20,
        }),
        (v) => {
          const m = mean(tensor(v, { dtype: 'float32' })).item();
          expect(Number.isFinite(m)).toBe(true);
          expect(Math.abs(m)).toBeLessThanOrEqual(3e38 * (1 + 1e-6));
        },
      ),
      RUNS,
    );
  });
});

describe('creation › bad input', () => {
  it('zeros, ones and full reject bad shapes (ShapeError) and dtypes (DTypeError)', () => {
    const creators: [string, (shape: unknown, dtype?: unknown) => Tensor][] = [
      ['zeros', (s, d) => zeros(s as number[], d as DType)],
      ['full', (s, d) => full(s as number[], 1, d as DType)],
      ['full', (s, d) => ones(s as number[], d as DType)], // ones is full(shape, 1)
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...creators),
        fc.oneof(
          fc.tuple(fc.integer({ min: 0, max: 3 }), badSize).map(([d, b]) => [d, b]),
          fc.constantFrom<unknown>(null, 3, '2,3', {}),
        ),
        ([name, make], shape) => {
          expectBad(() => make(shape), ShapeError, name, 'shape');
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...creators),
        fc.constantFrom<unknown>('int32', 'float16', 'f32', null, 64),
        ([name, make], dtype) => {
          expectBad(() => make([2], dtype), DTypeError, name, 'dtype');
        },
      ),
      { numRuns: 20 },
    );
    expectBad(() => full([2], 'x' as unknown as number), ValueError, 'full', 'value');
  });

  it('a shape too large to allocate is a ValueError, not a RangeError', () => {
    expectBad(() => zeros([1e6, 1e6]), ValueError, 'zeros', 'shape');
    expectBad(() => full([1e6, 1e6], 0), ValueError, 'full', 'shape');
    expectBad(() => arange(0, 1e12), ValueError, 'arange', 'stop');
    expectBad(() => linspace(0, 1, 1e12), ValueError, 'linspace', 'num');
  });

  it('tensor rejects non-arrays, non-numbers, ragged nesting, bad shapes and bad dtypes', () => {
    fc.assert(
      fc.property(fc.constantFrom<unknown>(null, undefined, 'abc', true, {}), (bad) => {
        expectBad(() => tensor(bad as number[]), ValueError, 'tensor', 'values');
      }),
      { numRuns: 10 },
    );
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 5 }), fc.nat(4), (values, at) => {
        const i = at % values.length;
        const withString: unknown[] = [...values];
        withString[i] = 'x';
        expectBad(() => tensor(withString as number[]), ValueError, 'tensor', `values[${i}]`);
        expectBad(() => tensor(values, { shape: [values.length + 1] }), ShapeError, 'tensor', 'opts.shape');
        expectBad(() => tensor(values, { shape: [-1, -values.length] }), ShapeError, 'tensor', 'opts.shape');
        expectBad(() => tensor(values, { dtype: 'int32' as DType }), DTypeError, 'tensor', 'opts.dtype');
        expectBad(() => tensor(values, null as unknown as { dtype?: DType }), ValueError, 'tensor', 'opts');
      }),
      RUNS,
    );
    expectBad(() => tensor([[1, 2], [3]]), ShapeError, 'tensor', 'values');
    expectBad(() => tensor([[1], 2] as unknown as number[][]), ShapeError, 'tensor', 'values');
  });

  it('linspace and arange reject non-finite ends, bad counts and a zero step', () => {
    fc.assert(
      fc.property(notFinite, badSize, (bad, size) => {
        expectBad(() => linspace(bad as number, 1, 3), ValueError, 'linspace', 'start');
        expectBad(() => linspace(0, bad as number, 3), ValueError, 'linspace', 'stop');
        expectBad(() => linspace(0, 1, size), ValueError, 'linspace', 'num');
        expectBad(() => arange(bad as number, 1), ValueError, 'arange', 'start');
        expectBad(() => arange(0, bad as number), ValueError, 'arange', 'stop');
        expectBad(() => arange(0, 1, bad as number), ValueError, 'arange', 'step');
      }),
      RUNS,
    );
    expectBad(() => arange(0, 1, 0), ValueError, 'arange', 'step');
  });

  it('randn and rand need an Rng and finite parameters (std >= 0): never a NaN sample', () => {
    fc.assert(
      fc.property(notFinite, fc.double({ min: -1e3, max: -1e-9 }), (bad, negative) => {
        const rng = new Rng(1);
        expectBad(() => randn([2], { rng, mean: bad as number }), ValueError, 'randn', 'opts.mean');
        expectBad(() => randn([2], { rng, std: bad as number }), ValueError, 'randn', 'opts.std');
        expectBad(() => randn([2], { rng, std: negative }), ValueError, 'randn', 'opts.std');
        expectBad(() => rand([2], { rng, low: bad as number }), ValueError, 'rand', 'opts.low');
        expectBad(() => rand([2], { rng, high: bad as number }), ValueError, 'rand', 'opts.high');
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.constantFrom<unknown>(undefined, null, {}, { rng: {} }, { rng: Math }), (opts) => {
        expectBad(() => randn([2], opts as { rng: Rng }), ValueError, 'randn', 'opts.rng');
        expectBad(() => rand([2], opts as { rng: Rng }), ValueError, 'rand', 'opts.rng');
      }),
      { numRuns: 10 },
    );
    expectBad(() => randn([-1], { rng: new Rng(0) }), ShapeError, 'randn', 'shape');
    expectBad(() => rand([2], { rng: new Rng(0), dtype: 'int8' as DType }), DTypeError, 'rand', 'opts.dtype');
  });
});

describe('Tensor methods › bad input', () => {
  it('the constructor rejects non-float data and shapes that are not non-negative integers', () => {
    fc.assert(
      fc.property(badSize, (d) => {
        expectBad(() => new Tensor(new Float32Array(2), [d]), ShapeError, 'Tensor', 'shape');
      }),
      RUNS,
    );
    for (const data of [new Int32Array(2), [1, 2], null, new Uint8Array(2)]) {
      expectBad(() => new Tensor(data as unknown as Float32Array, [2]), DTypeError, 'Tensor', 'data');
    }
    expectBad(
      () => new Tensor(new Float32Array(2), null as unknown as number[]),
      ShapeError,
      'Tensor',
      'shape',
    );
    expectBad(() => new Tensor(new Float32Array(2), [3]), ShapeError, 'Tensor', 'shape');
  });

  it('reshape rejects shapes that do not hold the elements, or are not shapes at all', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.oneof(
          fc.array(fc.integer({ min: -3, max: 7 }), { maxLength: 3 }),
          fc.array(badSize, { minLength: 1, maxLength: 2 }),
          fc.constantFrom<unknown>(null, 6, 'abc'),
        ),
        (shape, target) => {
          const x = zeros(shape);
          const fits =
            Array.isArray(target) &&
            target.every((d) => Number.isInteger(d) && d >= -1) &&
            target.filter((d) => d === -1).length <= 1 &&
            (target.includes(-1)
              ? (() => {
                  const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
                  return known > 0 && x.size % known === 0;
                })()
              : target.reduce((p, d) => p * d, 1) === x.size);
          if (fits) expect(x.reshape(target as number[]).size).toBe(x.size);
          else expectBad(() => x.reshape(target as number[]), ShapeError, 'reshape', 'shape');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('permute, slice, take, get, item and astype reject bad arguments by name', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.oneof(fc.integer({ min: -3, max: -1 }), fc.integer({ min: 3, max: 9 }), badSize),
        (shape, bad) => {
          const x = zeros(shape);
          const n = shape[0];
          const axes = shape.map((_, i) => i);
          expectBad(() => x.permute([...axes.slice(1), bad]), ValueError, 'permute', 'axes');
          expectBad(() => x.permute([...axes, 0]), ValueError, 'permute', 'axes');
          expectBad(() => x.permute(bad as unknown as number[]), ValueError, 'permute', 'axes');
          const badRow = Number.isInteger(bad) ? n + Math.abs(bad) : bad;
          expectBad(() => x.slice(0, badRow), ValueError, 'slice', 'start, end');
          expectBad(() => x.slice(badRow), ValueError, 'slice', 'start, end');
          expectBad(() => x.take([0, badRow]), ValueError, 'take', 'indices[1]');
          expectBad(() => x.take(bad as unknown as number[]), ValueError, 'take', 'indices');
          expectBad(() => x.get(...shape.map(() => 0), 0), ValueError, 'get', 'index');
          expectBad(
            () => x.get(...shape.map((_, i) => (i === 0 ? badRow : 0))),
            ValueError,
            'get',
            'index[0]',
          );
          if (x.size !== 1) expectBad(() => x.item(), ShapeError, 'item', 'this');
          expectBad(() => x.astype('int32' as DType), DTypeError, 'astype', 'dtype');
        },
      ),
      RUNS,
    );
    expectBad(() => zeros([]).slice(0), ShapeError, 'slice', 'this');
    expectBad(() => zeros([]).take([0]), ShapeError, 'take', 'this');
  });
});

describe('Rng › bad input', () => {
  it('rejects non-integer seeds, empty or fractional ranges, bad sizes and non-finite parameters', () => {
    fc.assert(
      fc.property(badSize, notFinite, fc.integer({ min: -5, max: 5 }), (bad, nonFinite, low) => {
        if (!Number.isInteger(bad)) expectBad(() => new Rng(bad), ValueError, 'Rng', 'seed');
        const rng = new Rng(3);
        expectBad(() => rng.integer(low, low), ValueError, 'Rng.integer', 'low, high');
        expectBad(() => rng.integer(low, low + bad), ValueError, 'Rng.integer', 'low, high');
        expectBad(() => rng.permutation(bad), ValueError, 'Rng.permutation', 'n');
        expectBad(() => rng.choice(bad, 2), ValueError, 'Rng.choice', 'n');
        expectBad(() => rng.choice(0, 2), ValueError, 'Rng.choice', 'n');
        expectBad(() => rng.choice(3, bad), ValueError, 'Rng.choice', 'size');
        expectBad(() => rng.uniform(nonFinite as number, 1), ValueError, 'Rng.uniform', 'low, high');
        expectBad(() => rng.normal(nonFinite as number, 1), ValueError, 'Rng.normal', 'mean');
        expectBad(() => rng.normal(0, nonFinite as number), ValueError, 'Rng.normal', 'std');
        expectBad(() => rng.normal(0, -1), ValueError, 'Rng.normal', 'std');
        expectBad(
          () => rng.fillNormal(new Float32Array(2), 0, nonFinite as number),
          ValueError,
          'Rng.fillNormal',
          'std',
        );
        expectBad(
          () => rng.fillUniform(new Float32Array(2), 0, nonFinite as number),
          ValueError,
          'Rng.fillUniform',
          'low, high',
        );
      }),
      RUNS,
    );
    for (const bad of [null, undefined, 3, 'abc']) {
      const rng = new Rng(0);
      expectBad(() => rng.fillNormal(bad as unknown as number[]), ValueError, 'Rng.fillNormal', 'out');
      expectBad(() => rng.fillUniform(bad as unknown as number[]), ValueError, 'Rng.fillUniform', 'out');
      expectBad(() => rng.shuffle(bad as unknown as number[]), ValueError, 'Rng.shuffle', 'array');
    }
    expectBad(() => new Rng('1' as unknown as number), ValueError, 'Rng', 'seed');
  });

  it('setState rejects anything but four 32-bit words (not all zero) and leaves the state alone', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(null),
          fc
            .record({ s: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 6 }) })
            .filter((st) => st.s.length !== 4),
          fc.record({ s: fc.tuple(fc.integer({ min: 0, max: 9 }), badSize, fc.nat(), fc.nat()) }),
          fc.constant({ s: [0, 0, 0, 0], spareNormal: null }),
          fc.constant({ s: [1, 2, 3, 2 ** 32], spareNormal: null }),
        ),
        (state) => {
          const rng = new Rng(7);
          const before = rng.getState();
          expectBad(() => rng.setState(state as never), ValueError, 'Rng.setState', 'state.s');
          expect(rng.getState()).toEqual(before);
        },
      ),
      RUNS,
    );
    expectBad(
      () => new Rng(0).setState({ s: [1, 2, 3, 4], spareNormal: 'x' as unknown as number }),
      ValueError,
      'Rng.setState',
      'state.spareNormal',
    );
  });
});

describe('linear algebra › bad input', () => {
  it('matmul rejects wrong ranks, mismatched inner dimensions and mixed dtypes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        dtypeArb,
        (M, K, N, extra, dtype) => {
          const a = zeros([M, K], dtype);
          expectBad(() => matmul(zeros([M * K], dtype), zeros([K, N], dtype)), ShapeError, 'matmul', 'a');
          expectBad(() => matmul(a, zeros([K, N, 1], dtype)), ShapeError, 'matmul', 'b');
          expectBad(() => matmul(a, zeros([K + extra, N], dtype)), ShapeError, 'matmul', 'b');
          expectBad(() => matmul(a, zeros([K, N], otherDType(dtype))), DTypeError, 'matmul', 'b');
          expectBad(() => matmul(null as unknown as Tensor, a), ValueError, 'matmul', 'a');
        },
      ),
      RUNS,
    );
  });

  it('gemm rejects bad sizes, non-finite scales, short arrays and mixed array types', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        badSize,
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
        fc.boolean(),
        (M, N, K, bad, nonFinite, wide) => {
          const A = new (wide ? Float64Array : Float32Array)(M * K).fill(1);
          const B = new (wide ? Float64Array : Float32Array)(K * N).fill(1);
          const C = new (wide ? Float64Array : Float32Array)(M * N);
          expectBad(() => gemm(bad, N, K, A, B, C), ValueError, 'gemm', 'M');
          expectBad(() => gemm(M, bad, K, A, B, C), ValueError, 'gemm', 'N');
          expectBad(() => gemm(M, N, bad, A, B, C), ValueError, 'gemm', 'K');
          expectBad(() => gemm(M, N, K, A, B, C, { alpha: nonFinite }), ValueError, 'gemm', 'alpha');
          expectBad(() => gemm(M, N, K, A, B, C, { beta: nonFinite }), ValueError, 'gemm', 'beta');
          expectBad(() => gemm(M, N, K, A.subarray(1), B, C), ShapeError, 'gemm', 'A');
          expectBad(() => gemm(M, N, K, A, B.subarray(1), C), ShapeError, 'gemm', 'B');
          expectBad(() => gemm(M, N, K, A, B, C.subarray(1)), ShapeError, 'gemm', 'C');
          const other = wide ? Float32Array.from(B) : Float64Array.from(B);
          expectBad(() => gemm(M, N, K, A, other as Float32Array, C), DTypeError, 'gemm', 'B');
          expectBad(
            () => gemm(M, N, K, A, B, Array.from(C) as unknown as Float32Array),
            DTypeError,
            'gemm',
            'C',
          );
          // C is left untouched by a rejected call.
          expect(Array.from(C).every((v) => v === 0)).toBe(true);
        },
      ),
      RUNS,
    );
    expectBad(() => setGemmBackend('gpu' as never), ValueError, 'setGemmBackend', 'backend');
  });
});

describe('pad, im2col and col2im › bad input', () => {
  it('pad rejects a width list of the wrong length, negative or fractional widths and a non-number fill', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        badSize,
        fc.nat(2),
        (shape, bad, at) => {
          const x = zeros(shape);
          const ok = shape.map(() => [0, 0] as [number, number]);
          const d = at % shape.length;
          const widths = ok.map((w, i) => (i === d ? ([w[0], bad] as [number, number]) : w));
          expectBad(() => pad(x, widths), ValueError, 'pad', `widths[${d}]`);
          expectBad(() => pad(x, [...ok, [0, 0]]), ValueError, 'pad', 'widths');
          expectBad(() => pad(x, ok, 'x' as unknown as number), ValueError, 'pad', 'value');
          expectBad(() => pad(null as unknown as Tensor, ok), ValueError, 'pad', 'x');
        },
      ),
      RUNS,
    );
  });

  it('im2col rejects stride 0 / negative / fractional, negative pad, oversized fields and strides that do not tile', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 2, max: 5 }),
        fc.oneof(fc.integer({ min: -3, max: 0 }), fc.double({ min: 0.1, max: 3, noInteger: true })),
        fc.integer({ min: -3, max: -1 }),
        (C, H, badStride, badPad) => {
          const x = zeros([1, C, H, H]);
          const opts = { fieldHeight: 2, fieldWidth: 2, stride: 1, pad: 0 };
          expectBad(() => im2col(x, { ...opts, stride: badStride }), ValueError, 'im2col', 'opts.stride');
          expectBad(() => im2col(x, { ...opts, pad: badPad }), ValueError, 'im2col', 'opts.pad');
          expectBad(() => im2col(x, { ...opts, fieldHeight: 0 }), ValueError, 'im2col', 'opts.fieldHeight');
          expectBad(
            () => im2col(x, { ...opts, fieldHeight: H + 1, fieldWidth: H + 1 }),
            ValueError,
            'im2col',
            'opts.fieldHeight/fieldWidth',
          );
          // (H − 2) / stride is not an integer for stride = H − 1 (H >= 4): the window would skip columns.
          if (H >= 4) {
            expectBad(
              () => im2col(x, { ...opts, stride: H - 1 }),
              ValueError,
              'im2col',
              'opts.stride/opts.pad',
            );
          }
          expectBad(() => im2col(zeros([C, H, H]), opts), ShapeError, 'im2col', 'x');
          expectBad(() => im2col(x, null as never), ValueError, 'im2col', 'opts');
          const P = (H - 1) * (H - 1); // output positions of a 2×2 window, stride 1
          expectBad(() => col2im(zeros([1, C * 4, P + 1]), [1, C, H, H], opts), ShapeError, 'col2im', 'cols');
          expectBad(() => col2im(zeros([1, C * 4 + 1, P]), [1, C, H, H], opts), ShapeError, 'col2im', 'cols');
          expectBad(() => col2im(zeros([1, C * 4, 1]), [1, C, H], opts), ValueError, 'col2im', 'xShape');
        },
      ),
      RUNS,
    );
  });
});

describe('safetensors › bad input', () => {
  const rng = new Rng(11);
  const good = writeSafetensors(
    { w: randn([3, 2], { rng, dtype: 'float64' }), b: randn([2], { rng }) },
    { epoch: '3' },
  );

  it('corrupted or truncated files are either read or rejected with a FormatError, never another error', () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(good.length),
        fc.boolean(),
        (flips, cut, truncate) => {
          const bytes = good.slice(0, truncate ? cut : good.length);
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          let out: ReturnType<typeof readSafetensors> | undefined;
          try {
            out = readSafetensors(bytes);
          } catch (e) {
            rejected++;
            tried++;
            expect(e).toBeInstanceOf(FormatError);
            expect((e as FormatError).message.startsWith('readSafetensors: bytes ')).toBe(true);
          }
          if (out) for (const t of Object.values(out.tensors)) expect(t).toBeInstanceOf(Tensor);
        },
      ),
      { numRuns: 200 },
    );
    expect(rejected).toBeGreaterThan(50);
  });

  it('hostile headers (bad shapes, offsets, dtypes, metadata) are FormatErrors', () => {
    const value = fc.oneof(
      fc.constantFrom<unknown>(null, -1, 1.5, 2 ** 60, true, [], {}, [-1], [1.5], [2 ** 60, 2 ** 60], ['a']),
      fc.array(fc.integer({ min: -2, max: 50 }), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.constantFrom('dtype', 'shape', 'data_offsets', '__metadata__'), value, (field, v) => {
        const header: Record<string, unknown> = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
        // The generator can reproduce the valid value itself; only hostile ones are under test.
        fc.pre(JSON.stringify(v) !== JSON.stringify((header.w as Record<string, unknown>)[field]));
        if (field === '__metadata__') header.__metadata__ = { k: v };
        else (header.w as Record<string, unknown>)[field] = v;
        const json = new TextEncoder().encode(JSON.stringify(header));
        const bytes = new Uint8Array(8 + json.length + 8);
        new DataView(bytes.buffer).setUint32(0, json.length, true);
        bytes.set(json, 8);
        expectBad(() => readSafetensors(bytes), FormatError, 'readSafetensors', 'bytes');
      }),
      { numRuns: 150 },
    );
    expectBad(
      () => readSafetensors([1, 2, 3] as unknown as Uint8Array),
      ValueError,
      'readSafetensors',
      'bytes',
    );
  });

  it('writeSafetensors rejects non-tensors, a reserved name and non-string metadata', () => {
    fc.assert(
      fc.property(notTensor, (bad) => {
        expectBad(() => writeSafetensors({ w: bad as Tensor }), ValueError, 'writeSafetensors', 'tensors.w');
        if (typeof bad !== 'string' && bad !== undefined) {
          expectBad(
            () => writeSafetensors({ w: zeros([1]) }, { k: bad as string }),
            ValueError,
            'writeSafetensors',
            'metadata.k',
          );
        }
      }),
      RUNS,
    );
    expectBad(() => writeSafetensors(null as never), ValueError, 'writeSafetensors', 'tensors');
    expectBad(
      () => writeSafetensors({ __metadata__: zeros([1]) }),
      ValueError,
      'writeSafetensors',
      'tensors',
    );
  });
});

describe('shared checks › bad input', () => {
  it('checkLabels rejects NaN, negative, fractional and out-of-range labels, wrong lengths and non-arrays', () => {
    const label = fc.oneof(
      fc.constantFrom(Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY),
      fc.integer({ min: 3, max: 10 }), // C = 3
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
        fc.nat(4),
        label,
        fc.constantFrom('array', 'Int32Array', 'Float64Array'),
        (labels, at, bad, kind) => {
          const i = at % labels.length;
          const ys = [...labels];
          ys[i] = bad;
          const y =
            kind === 'array' ? ys : kind === 'Int32Array' ? Int32Array.from(ys) : Float64Array.from(ys);
          // Int32Array turns NaN and 1.5 into valid integers; only what survives the conversion is bad.
          const stored = y[i];
          if (Number.isInteger(stored) && stored >= 0 && stored < 3) {
            expect(checkLabels('f', 'y', y, labels.length, 3)).toBe(y);
          } else {
            expectBad(() => checkLabels('f', 'y', y, labels.length, 3), ValueError, 'f', 'y');
          }
          expectBad(() => checkLabels('f', 'y', labels, labels.length + 1, 3), ValueError, 'f', 'y');
          expectBad(() => checkLabels('f', 'y', Uint8Array.from([3]), 1, 3), ValueError, 'f', 'y');
        },
      ),
      RUNS,
    );
    for (const bad of [null, undefined, 3, 'abc', {}]) {
      expectBad(() => checkLabels('f', 'y', bad, 3, 3), ValueError, 'f', 'y');
    }
  });

  it('checkNumber, checkOneOf, checkShape and checkSameDType name the function and argument', () => {
    fc.assert(
      fc.property(notFinite, fc.double({ min: -10, max: 10, noNaN: true }), (bad, v) => {
        expectBad(() => checkNumber('f', 'a', bad), ValueError, 'f', 'a');
        if (v < 0) expectBad(() => checkNumber('f', 'a', v, { min: 0 }), ValueError, 'f', 'a');
        if (v <= 1) expectBad(() => checkNumber('f', 'a', v, { greaterThan: 1 }), ValueError, 'f', 'a');
        if (!Number.isInteger(v))
          expectBad(() => checkNumber('f', 'a', v, { integer: true }), ValueError, 'f', 'a');
        expectBad(() => checkOneOf('f', 'mode', bad, ['train', 'test']), ValueError, 'f', 'mode');
        expectBad(() => checkShape('f', 'x', bad, [1]), ValueError, 'f', 'x');
        expectBad(() => checkShape('f', 'x', zeros([2, 3]), ['N', 'N']), ShapeError, 'f', 'x');
        expectBad(
          () => checkSameDType('f', { x: zeros([1]), w: zeros([1], 'float64') }),
          DTypeError,
          'f',
          'w',
        );
      }),
      RUNS,
    );
    expectBad(() => broadcastShapes(null as never, [1], 'add'), ShapeError, 'add', 'a');
  });

  it('the shape and dtype helpers reject what is not a shape or a dtype', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<unknown>(null, undefined, 3, 'abc', {}),
        fc.constantFrom<unknown>('int32', 'float16', null, 4),
        badSize,
        (notShape, notDType, length) => {
          expectBad(() => sizeOf(notShape as number[]), ShapeError, 'sizeOf', 'shape');
          expectBad(() => stridesOf(notShape as number[]), ShapeError, 'stridesOf', 'shape');
          expectBad(() => shapesEqual(notShape as number[], [1]), ShapeError, 'shapesEqual', 'a');
          expectBad(() => shapesEqual([1], notShape as number[]), ShapeError, 'shapesEqual', 'b');
          expect(typeof formatShape(notShape as number[])).toBe('string'); // used inside messages: never throws
          expectBad(() => allocate(notDType as DType, 2), DTypeError, 'allocate', 'dtype');
          expectBad(() => allocate('float32', length), ValueError, 'allocate', 'length');
          expectBad(() => bytesPerElement(notDType as DType), DTypeError, 'bytesPerElement', 'dtype');
          expectBad(() => normalizeAxes('sum', notShape as Tensor, 0), ValueError, 'sum', 'x');
        },
      ),
      RUNS,
    );
  });
});
