// Bad input never crashes and never becomes a silent NaN: every forward and backward function of
// @backprop/layers, given non-tensors, wrong ranks or shapes, mixed float32/float64 tensors, bad
// parameter objects (eps <= 0 or NaN, momentum outside [0, 1], keep probability outside (0, 1],
// stride 0 / negative / fractional, negative pad, windows that do not fit, a group count that does not
// divide the channels, unknown modes) or a cache from somewhere else, throws a BackpropError subclass
// whose message starts with "<function>: <argument>". Empty batches (N = 0) either throw or give
// empty outputs of the right shape. Sandwich layers check their tensors and convParam at entry, under
// their own name (e.g. `affineReluForward: w …`); their parameter objects (bnParam, poolParam) are
// checked by the inner layer, which names itself (e.g. `batchnormForward: bnParam.eps …`).
// `tried` counts the bad inputs (BAD_INPUT_REPORT=1 prints the total).
import {
  affineBackward,
  affineForward,
  affineNormReluBackward,
  affineNormReluForward,
  affineReluBackward,
  affineReluForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  type ConvParam,
  convBackward,
  convBackwardNaive,
  convBnReluBackward,
  convBnReluForward,
  convForward,
  convForwardNaive,
  convReluBackward,
  convReluForward,
  convReluPoolBackward,
  convReluPoolForward,
  dropoutBackward,
  dropoutForward,
  layernormBackward,
  layernormForward,
  maxPoolBackward,
  maxPoolBackwardNaive,
  maxPoolForward,
  maxPoolForwardNaive,
  type PoolParam,
  reluBackward,
  reluForward,
  spatialBatchnormBackward,
  spatialBatchnormForward,
  spatialGroupnormBackward,
  spatialGroupnormForward,
} from '@backprop/layers';
import {
  BackpropError,
  type DType,
  DTypeError,
  full,
  Rng,
  randn,
  ShapeError,
  Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExpectBad } from '../../../scripts/testing/expect-bad.ts';

let tried = 0;
afterAll(() => {
  if (process.env.BAD_INPUT_REPORT) console.log(`[bad-input] @backprop/layers: ${tried} bad inputs tried`);
});

const expectBad = makeExpectBad(BackpropError, () => {
  tried++;
});

const RUNS = { numRuns: 50 };
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const other = (d: DType): DType => (d === 'float32' ? 'float64' : 'float32');
const notTensor = fc.constantFrom<unknown>(null, undefined, 2, 'x', [1, 2], new Float64Array(4), {});
const notFinite = fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, '1e-5', true);
const notPositive = fc.oneof(fc.double({ min: -1, max: 0, noNaN: true }), notFinite);

interface Sizes {
  N: number;
  C: number;
  D: number;
  M: number;
  F: number;
  dtype: DType;
}
const sizesArb = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  C: fc.integer({ min: 1, max: 2 }),
  D: fc.integer({ min: 1, max: 4 }),
  M: fc.integer({ min: 1, max: 3 }),
  F: fc.integer({ min: 1, max: 2 }),
  dtype: dtypeArb,
});

/**
 * One forward function with a maker of valid arguments. `tensors` are the tensor arguments in order;
 * `errFn[arg]` is the function named in the error for that argument (default: the function itself; sandwiches check their tensors under their own name).
 */
interface ForwardCase {
  name: string;
  make: (s: Sizes, rng: Rng) => Record<string, unknown>;
  call: (a: Record<string, unknown>) => { out: Tensor; cache: unknown };
  tensors: string[];
  errFn?: Record<string, string>;
}

const t = (shape: number[], s: Sizes, rng: Rng) => randn(shape, { rng, dtype: s.dtype });
const image = (s: Sizes, rng: Rng) => t([s.N, s.C, 4, 4], s, rng);
const bn = () => ({ mode: 'train' });
const conv = () => ({ stride: 1, pad: 1 });
const pool = () => ({ poolHeight: 2, poolWidth: 2, stride: 2 });
// biome-ignore lint/suspicious/noExplicitAny: the table calls layers with arguments it builds itself
type AnyFn = (...args: any[]) => { out: Tensor; cache: unknown };
const call =
  (f: AnyFn, ...keys: string[]) =>
  (a: Record<string, unknown>) =>
    f(...keys.map((k) => a[k]));

const FORWARD: ForwardCase[] = [
  {
    name: 'affineForward',
    make: (s, r) => ({ x: t([s.N, s.D], s, r), w: t([s.D, s.M], s, r), b: t([s.M], s, r) }),
    call: call(affineForward, 'x', 'w', 'b'),
    tensors: ['x', 'w', 'b'],
  },
  {
    name: 'reluForward',
    make: (s, r) => ({ x: t([s.N, s.D], s, r) }),
    call: call(reluForward, 'x'),
    tensors: ['x'],
  },
  {
    name: 'batchnormForward',
    make: (s, r) => ({ x: t([s.N, s.D], s, r), gamma: t([s.D], s, r), beta: t([s.D], s, r), p: bn() }),
    call: call(batchnormForward, 'x', 'gamma', 'beta', 'p'),
    tensors: ['x', 'gamma', 'beta'],
  },
  {
    name: 'layernormForward',
    make: (s, r) => ({ x: t([s.N, s.D], s, r), gamma: t([s.D], s, r), beta: t([s.D], s, r), p: {} }),
    call: call(layernormForward, 'x', 'gamma', 'beta', 'p'),
    tensors: ['x', 'gamma', 'beta'],
  },
  {
    name: 'dropoutForward',
    make: (s, r) => ({ x: t([s.N, s.D], s, r), p: { p: 0.5, mode: 'train', seed: 1 } }),
    call: call(dropoutForward, 'x', 'p'),
    tensors: ['x'],
  },
  ...(
    [
      ['convForward', convForward],
      ['convForwardNaive', convForwardNaive],
    ] as const
  ).map(
    ([name, f]): ForwardCase => ({
      name,
      make: (s, r) => ({ x: image(s, r), w: t([s.F, s.C, 3, 3], s, r), b: t([s.F], s, r), p: conv() }),
      call: call(f, 'x', 'w', 'b', 'p'),
      tensors: ['x', 'w', 'b'],
    }),
  ),
  ...(
    [
      ['maxPoolForward', maxPoolForward],
      ['maxPoolForwardNaive', maxPoolForwardNaive],
    ] as const
  ).map(
    ([name, f]): ForwardCase => ({
      name,
      make: (s, r) => ({ x: image(s, r), p: pool() }),
      call: call(f, 'x', 'p'),
      tensors: ['x'],
    }),
  ),
  {
    name: 'spatialBatchnormForward',
    make: (s, r) => ({ x: image(s, r), gamma: t([s.C], s, r), beta: t([s.C], s, r), p: bn() }),
    call: call(spatialBatchnormForward, 'x', 'gamma', 'beta', 'p'),
    tensors: ['x', 'gamma', 'beta'],
  },
  {
    name: 'spatialGroupnormForward',
    make: (s, r) => ({
      x: image(s, r),
      gamma: t([1, s.C, 1, 1], s, r),
      beta: t([1, s.C, 1, 1], s, r),
      G: 1,
      p: {},
    }),
    call: call(spatialGroupnormForward, 'x', 'gamma', 'beta', 'G', 'p'),
    tensors: ['x', 'gamma', 'beta'],
  },
  {
    name: 'affineReluForward',
    make: (s, r) => ({ x: t([s.N, s.D], s, r), w: t([s.D, s.M], s, r), b: t([s.M], s, r) }),
    call: call(affineReluForward, 'x', 'w', 'b'),
    tensors: ['x', 'w', 'b'],
  },
  ...(['batchnorm', 'layernorm'] as const).map(
    (norm): ForwardCase => ({
      name: `affineNormReluForward(${norm})`,
      make: (s, r) => ({
        x: t([s.N, s.D], s, r),
        w: t([s.D, s.M], s, r),
        b: t([s.M], s, r),
        gamma: t([s.M], s, r),
        beta: t([s.M], s, r),
        p: norm === 'batchnorm' ? bn() : {},
        norm,
      }),
      call: call(affineNormReluForward, 'x', 'w', 'b', 'gamma', 'beta', 'p', 'norm'),
      tensors: ['x', 'w', 'b', 'gamma', 'beta'],
    }),
  ),
  {
    name: 'convReluForward',
    make: (s, r) => ({ x: image(s, r), w: t([s.F, s.C, 3, 3], s, r), b: t([s.F], s, r), p: conv() }),
    call: call(convReluForward, 'x', 'w', 'b', 'p'),
    tensors: ['x', 'w', 'b'],
  },
  {
    name: 'convReluPoolForward',
    make: (s, r) => ({
      x: image(s, r),
      w: t([s.F, s.C, 3, 3], s, r),
      b: t([s.F], s, r),
      p: conv(),
      q: pool(),
    }),
    call: call(convReluPoolForward, 'x', 'w', 'b', 'p', 'q'),
    tensors: ['x', 'w', 'b'],
  },
  {
    name: 'convBnReluForward',
    make: (s, r) => ({
      x: image(s, r),
      w: t([s.F, s.C, 3, 3], s, r),
      b: t([s.F], s, r),
      gamma: t([s.F], s, r),
      beta: t([s.F], s, r),
      p: conv(),
      q: bn(),
    }),
    call: call(convBnReluForward, 'x', 'w', 'b', 'gamma', 'beta', 'p', 'q'),
    tensors: ['x', 'w', 'b', 'gamma', 'beta'],
  },
];
const errFnOf = (c: ForwardCase, arg: string) => c.errFn?.[arg] ?? c.name.replace(/\(.*\)$/, '');
const forwardArb = fc.constantFrom(...FORWARD);

describe('forward passes › bad tensors', () => {
  it('reject a non-tensor in place of any tensor argument with a ValueError naming it', () => {
    fc.assert(
      fc.property(forwardArb, sizesArb, notTensor, fc.nat(), fc.integer(), (c, s, bad, pick, seed) => {
        const args = c.make(s, new Rng(seed));
        const arg = c.tensors[pick % c.tensors.length];
        expectBad(() => c.call({ ...args, [arg]: bad }), ValueError, errFnOf(c, arg), arg);
      }),
      { numRuns: 150 },
    );
  });

  it('reject a parameter tensor with an extra dimension (ShapeError) or the other dtype (DTypeError)', () => {
    const withParams = FORWARD.filter((c) => c.tensors.length > 1);
    fc.assert(
      fc.property(fc.constantFrom(...withParams), sizesArb, fc.nat(), fc.integer(), (c, s, pick, seed) => {
        const rng = new Rng(seed);
        const args = c.make(s, rng);
        const arg = c.tensors[1 + (pick % (c.tensors.length - 1))];
        const good = args[arg] as Tensor;
        expectBad(
          () => c.call({ ...args, [arg]: zeros([...good.shape, 1], s.dtype) }),
          ShapeError,
          errFnOf(c, arg),
          arg,
        );
        expectBad(
          () => c.call({ ...args, [arg]: zeros([good.shape[0] + 1], s.dtype) }),
          ShapeError,
          errFnOf(c, arg),
          arg,
        );
        expectBad(
          () => c.call({ ...args, [arg]: zeros(good.shape, other(s.dtype)) }),
          DTypeError,
          errFnOf(c, arg),
          arg,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('reject x of the wrong rank or with features that do not match the weights', () => {
    const shaped = FORWARD.filter((c) => c.name !== 'reluForward' && c.name !== 'dropoutForward');
    fc.assert(
      fc.property(fc.constantFrom(...shaped), sizesArb, fc.integer(), (c, s, seed) => {
        const args = c.make(s, new Rng(seed));
        const x = args.x as Tensor;
        const fn = errFnOf(c, 'x');
        const spatial = x.ndim === 4;
        // Rank: an image batch loses a dimension; a feature matrix becomes a vector.
        const wrongRank = spatial ? zeros(x.shape.slice(1), s.dtype) : zeros([x.size], s.dtype);
        if (fn !== 'affineForward') expectBad(() => c.call({ ...args, x: wrongRank }), ShapeError, fn, 'x');
        // Features / channels: one more than the parameters were made for.
        const wider = spatial ? [s.N, s.C + 1, 4, 4] : [s.N, s.D + 1];
        const param = c.tensors[1]; // the first parameter checked against x's features or channels
        if (param !== undefined) {
          expectBad(
            () => c.call({ ...args, x: zeros(wider, s.dtype) }),
            ShapeError,
            errFnOf(c, param),
            param,
          );
        }
      }),
      { numRuns: 100 },
    );
    // affineForward flattens any x of rank >= 2 into [N, D]; a rank-0 or rank-1 x has no batch axis.
    expectBad(() => affineForward(zeros([3]), zeros([3, 2]), zeros([2])), ShapeError, 'affineForward', 'x');
    expectBad(() => affineForward(zeros([]), zeros([1, 2]), zeros([2])), ShapeError, 'affineForward', 'x');
  });

  it('give empty outputs of the right shape, or a ShapeError naming x, for an empty batch (N = 0)', () => {
    fc.assert(
      fc.property(forwardArb, sizesArb, fc.integer(), (c, s, seed) => {
        const args = c.make(s, new Rng(seed));
        const x = args.x as Tensor;
        const empty = zeros([0, ...x.shape.slice(1)], s.dtype);
        const full_ = c.call(args).out;
        let out: Tensor | undefined;
        try {
          out = c.call({ ...args, x: empty }).out;
        } catch (e) {
          tried++;
          expect(e).toBeInstanceOf(ShapeError);
          expect((e as ShapeError).arg).toBe('x');
          expect((e as ShapeError).message).toMatch(/expected/);
        }
        if (out) expect(out.shape).toEqual([0, ...full_.shape.slice(1)]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('forward passes › bad parameter objects', () => {
  const x2 = (d: DType) => randn([3, 2], { rng: new Rng(1), dtype: d });
  const x4 = (d: DType) => randn([2, 4, 4, 4], { rng: new Rng(2), dtype: d });

  it('batchnorm (flat and spatial): unknown mode, eps <= 0 or NaN, momentum outside [0, 1], bad running stats', () => {
    const cases: [
      string,
      (x: Tensor, g: Tensor, b: Tensor, p: unknown) => unknown,
      (d: DType) => Tensor,
      number,
    ][] = [
      ['batchnormForward', (x, g, b, p) => batchnormForward(x, g, b, p as never), x2, 2],
      ['spatialBatchnormForward', (x, g, b, p) => spatialBatchnormForward(x, g, b, p as never), x4, 4],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        dtypeArb,
        fc.constantFrom<unknown>('eval', 'Train', '', null, 1),
        notPositive,
        fc.oneof(
          fc.double({ min: 1.0001, max: 5, noNaN: true }),
          fc.double({ min: -5, max: -0.0001, noNaN: true }),
          notFinite,
        ),
        ([fn, f, makeX, D], d, mode, eps, momentum) => {
          const x = makeX(d);
          const g = full([D], 1, d);
          const b = zeros([D], d);
          expectBad(() => f(x, g, b, { mode }), ValueError, fn, 'bnParam.mode');
          expectBad(() => f(x, g, b, { mode: 'train', eps }), ValueError, fn, 'bnParam.eps');
          expectBad(() => f(x, g, b, { mode: 'train', momentum }), ValueError, fn, 'bnParam.momentum');
          expectBad(() => f(x, g, b, null), ValueError, fn, 'bnParam');
          expectBad(
            () => f(x, g, b, { mode: 'test', runningMean: zeros([D + 1], d) }),
            ShapeError,
            fn,
            'bnParam.runningMean',
          );
          expectBad(
            () => f(x, g, b, { mode: 'test', runningVar: zeros([D], other(d)) }),
            DTypeError,
            fn,
            'bnParam.runningVar',
          );
          expectBad(
            () => f(x, g, b, { mode: 'test', runningVar: [1, 1] }),
            ValueError,
            fn,
            'bnParam.runningVar',
          );
        },
      ),
      RUNS,
    );
  });

  it('layernorm and groupnorm: eps <= 0 or NaN, a non-object param; groupnorm: G must divide C', () => {
    fc.assert(
      fc.property(dtypeArb, notPositive, fc.integer({ min: 1, max: 12 }), badG(), (d, eps, G, bad) => {
        const x = x2(d);
        expectBad(
          () => layernormForward(x, full([2], 1, d), zeros([2], d), { eps: eps as number }),
          ValueError,
          'layernormForward',
          'lnParam.eps',
        );
        expectBad(
          () => layernormForward(x, full([2], 1, d), zeros([2], d), null as never),
          ValueError,
          'layernormForward',
          'lnParam',
        );
        const img = x4(d);
        const g = full([1, 4, 1, 1], 1, d);
        const b = zeros([1, 4, 1, 1], d);
        const fn = 'spatialGroupnormForward';
        expectBad(
          () => spatialGroupnormForward(img, g, b, 2, { eps: eps as number }),
          ValueError,
          fn,
          'gnParam.eps',
        );
        expectBad(() => spatialGroupnormForward(img, g, b, bad as number), ValueError, fn, 'G');
        if (4 % G !== 0) {
          const e = expectBad(() => spatialGroupnormForward(img, g, b, G), ValueError, fn, 'G');
          expect(e.message).toContain('divisor');
        } else {
          expect(spatialGroupnormForward(img, g, b, G).out.shape).toEqual([2, 4, 4, 4]);
        }
        // The seed's per-channel gamma shape [C] is not groupnorm's [1, C, 1, 1].
        expectBad(() => spatialGroupnormForward(img, full([4], 1, d), b, 2), ShapeError, fn, 'gamma');
      }),
      RUNS,
    );
  });

  it('dropout: keep probability outside (0, 1] or NaN, unknown mode, fractional seed, bad rng, no randomness', () => {
    fc.assert(
      fc.property(
        dtypeArb,
        fc.oneof(
          fc.double({ min: -1, max: 0, noNaN: true }),
          fc.double({ min: 1.0001, max: 10, noNaN: true }),
          notFinite,
        ),
        fc.constantFrom<unknown>('eval', 'TRAIN', null, 0),
        fc.oneof(fc.double({ min: -5, max: 5, noInteger: true }), notFinite),
        (d, p, mode, seed) => {
          const x = x2(d);
          const fn = 'dropoutForward';
          expectBad(
            () => dropoutForward(x, { p: p as number, mode: 'train', seed: 1 }),
            ValueError,
            fn,
            'dropoutParam.p',
          );
          expectBad(
            () => dropoutForward(x, { p: 0.5, mode: mode as 'train', seed: 1 }),
            ValueError,
            fn,
            'dropoutParam.mode',
          );
          expectBad(
            () => dropoutForward(x, { p: 0.5, mode: 'train', seed: seed as number }),
            ValueError,
            fn,
            'dropoutParam.seed',
          );
          expectBad(
            () => dropoutForward(x, { p: 0.5, mode: 'train', rng: {} as Rng }),
            ValueError,
            fn,
            'dropoutParam.rng',
          );
          expectBad(() => dropoutForward(x, { p: 0.5, mode: 'train' }), ValueError, fn, 'dropoutParam');
          expectBad(() => dropoutForward(x, null as never), ValueError, fn, 'dropoutParam');
        },
      ),
      RUNS,
    );
  });

  it('conv (fast and naive): stride 0 / negative / fractional, negative pad, oversized filters, non-tiling strides', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[string, (x: Tensor, w: Tensor, b: Tensor, p: ConvParam) => { out: Tensor }]>(
          ['convForward', convForward],
          ['convForwardNaive', convForwardNaive],
        ),
        dtypeArb,
        fc.oneof(
          fc.integer({ min: -3, max: 0 }),
          fc.double({ min: 0.1, max: 3, noInteger: true }),
          notFinite,
        ),
        fc.oneof(
          fc.integer({ min: -3, max: -1 }),
          fc.double({ min: 0.1, max: 3, noInteger: true }),
          notFinite,
        ),
        ([fn, f], d, stride, pad) => {
          const x = x4(d); // [2, 4, 4, 4]
          const w = zeros([3, 4, 3, 3], d);
          const b = zeros([3], d);
          expectBad(
            () => f(x, w, b, { stride: stride as number, pad: 1 }),
            ValueError,
            fn,
            'convParam.stride',
          );
          expectBad(() => f(x, w, b, { stride: 1, pad: pad as number }), ValueError, fn, 'convParam.pad');
          expectBad(() => f(x, zeros([3, 4, 7, 7], d), b, { stride: 1, pad: 1 }), ValueError, fn, 'w');
          // (4 + 2·0 − 3) / 2 is not an integer: the last column would be silently dropped.
          expectBad(
            () => f(x, w, b, { stride: 2, pad: 0 }),
            ValueError,
            fn,
            'convParam.stride/convParam.pad',
          );
          expectBad(() => f(x, w, b, null as never), ValueError, fn, 'convParam');
        },
      ),
      RUNS,
    );
  });

  it('max pool (fast and naive): windows larger than the input, stride or sizes 0 / negative / fractional', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[string, (x: Tensor, p: PoolParam) => { out: Tensor }]>(
          ['maxPoolForward', maxPoolForward],
          ['maxPoolForwardNaive', maxPoolForwardNaive],
        ),
        dtypeArb,
        fc.oneof(
          fc.integer({ min: -3, max: 0 }),
          fc.double({ min: 0.1, max: 3, noInteger: true }),
          notFinite,
        ),
        fc.integer({ min: 5, max: 9 }),
        ([fn, f], d, bad, big) => {
          const x = x4(d); // 4×4 planes
          const ok = { poolHeight: 2, poolWidth: 2, stride: 2 };
          expectBad(() => f(x, { ...ok, stride: bad as number }), ValueError, fn, 'poolParam.stride');
          expectBad(() => f(x, { ...ok, poolHeight: bad as number }), ValueError, fn, 'poolParam.poolHeight');
          expectBad(() => f(x, { ...ok, poolWidth: bad as number }), ValueError, fn, 'poolParam.poolWidth');
          expectBad(() => f(x, { ...ok, poolHeight: big }), ValueError, fn, 'poolParam.poolHeight/poolWidth');
          expectBad(() => f(x, { ...ok, poolWidth: big }), ValueError, fn, 'poolParam.poolHeight/poolWidth');
          expectBad(() => f(x, null as never), ValueError, fn, 'poolParam');
        },
      ),
      RUNS,
    );
  });

  it('affineNormReluForward rejects an unknown normalization', () => {
    fc.assert(
      fc.property(fc.constantFrom<unknown>('groupnorm', 'none', null, 'BatchNorm', ''), (norm) => {
        const d = 'float64';
        expectBad(
          () =>
            affineNormReluForward(
              x2(d),
              zeros([2, 3], d),
              zeros([3], d),
              full([3], 1, d),
              zeros([3], d),
              { mode: 'train' },
              norm as 'batchnorm',
            ),
          ValueError,
          'affineNormReluForward',
          'normalization',
        );
      }),
      { numRuns: 10 },
    );
  });
});

function badG() {
  return fc.oneof(
    fc.integer({ min: -3, max: 0 }),
    fc.double({ min: 0.1, max: 3, noInteger: true }),
    notFinite,
  );
}

/** A backward function, with a forward pass that produces its cache and what it names in its errors. */
interface BackwardCase {
  name: string;
  forward: ForwardCase;
  backward: (dout: unknown, cache: unknown) => unknown;
  /** The function named for a bad dout (sandwiches: the inner layer that sees dout first). */
  doutFn?: string;
}
const fwd = (name: string) => FORWARD.find((c) => c.name === name) as ForwardCase;
// biome-ignore lint/suspicious/noExplicitAny: see AnyFn
type AnyBackward = (dout: any, cache: any) => unknown;
const BACKWARD: BackwardCase[] = (
  [
    ['affineBackward', 'affineForward', affineBackward],
    ['reluBackward', 'reluForward', reluBackward],
    ['batchnormBackward', 'batchnormForward', batchnormBackward],
    ['batchnormBackwardAlt', 'batchnormForward', batchnormBackwardAlt],
    ['layernormBackward', 'layernormForward', layernormBackward],
    ['dropoutBackward', 'dropoutForward', dropoutBackward],
    ['convBackward', 'convForward', convBackward],
    ['convBackwardNaive', 'convForwardNaive', convBackwardNaive],
    ['maxPoolBackward', 'maxPoolForward', maxPoolBackward],
    ['maxPoolBackwardNaive', 'maxPoolForwardNaive', maxPoolBackwardNaive],
    ['spatialBatchnormBackward', 'spatialBatchnormForward', spatialBatchnormBackward],
    ['spatialGroupnormBackward', 'spatialGroupnormForward', spatialGroupnormBackward],
    ['affineReluBackward', 'affineReluForward', affineReluBackward, 'reluBackward'],
    ['affineNormReluBackward', 'affineNormReluForward(batchnorm)', affineNormReluBackward, 'reluBackward'],
    ['affineNormReluBackward', 'affineNormReluForward(layernorm)', affineNormReluBackward, 'reluBackward'],
    ['convReluBackward', 'convReluForward', convReluBackward, 'reluBackward'],
    ['convReluPoolBackward', 'convReluPoolForward', convReluPoolBackward, 'reluBackward'],
    ['convBnReluBackward', 'convBnReluForward', convBnReluBackward, 'reluBackward'],
  ] as [string, string, AnyBackward, string?][]
).map(([name, forward, backward, doutFn]) => ({ name, forward: fwd(forward), backward, doutFn }));

describe('backward passes › bad input', () => {
  it('reject a cache that is not the forward pass’s (null, {}, a number, another layer’s cache)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BACKWARD),
        sizesArb,
        fc.constantFrom<unknown>(null, undefined, {}, 3, 'cache', []),
        (c, s, bad) => {
          const { out } = c.forward.call(c.forward.make(s, new Rng(3)));
          expectBad(() => c.backward(out, bad), ValueError, c.name, /^cache(\.\w+)?$/);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reject another layer’s cache with a BackpropError from the backward pass called (every pair)', () => {
    const convs = ['convForward', 'convForwardNaive'];
    const pools = ['maxPoolForward', 'maxPoolForwardNaive'];
    const s: Sizes = { N: 2, C: 2, D: 3, M: 2, F: 2, dtype: 'float64' };
    for (const c of BACKWARD) {
      for (const foreign of BACKWARD) {
        if (foreign.name === c.name) continue;
        // The fast and naive conv share one cache layout, and the naive pool reads a subset of the fast one's.
        if (convs.includes(c.forward.name) && convs.includes(foreign.forward.name)) continue;
        if (pools.includes(c.forward.name) && pools.includes(foreign.forward.name)) continue;
        // batchnormBackward and batchnormBackwardAlt share batchnormForward's cache.
        if (c.forward === foreign.forward) continue;
        // reluBackward reads only cache.x, which every forward's cache holds: a foreign cache whose x
        // has the output's shape is indistinguishable from a relu cache.
        if (c.name === 'reluBackward') continue;
        const mine = c.forward.call(c.forward.make(s, new Rng(1)));
        const theirs = foreign.forward.call(foreign.forward.make(s, new Rng(2)));
        tried++;
        let thrown: unknown;
        try {
          c.backward(mine.out, theirs.cache);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, `${c.name} given ${foreign.forward.name}'s cache`).toBeInstanceOf(BackpropError);
        const e = thrown as BackpropError;
        const fn = c.doutFn && e.arg === 'dout' ? c.doutFn : c.name;
        expect(e.fn, `${c.name} given ${foreign.forward.name}'s cache: ${e.message}`).toBe(fn);
      }
    }
  });

  it('reject a dout that is not a tensor, has another shape or the other dtype, and leave the cache alone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BACKWARD), sizesArb, notTensor, fc.integer(), (c, s, bad, seed) => {
        const args = c.forward.make(s, new Rng(seed));
        const { out, cache } = c.forward.call(args);
        const x = args.x as Tensor;
        const before = Array.from(x.data);
        const fn = c.doutFn ?? c.name;
        expectBad(() => c.backward(bad, cache), ValueError, fn, 'dout');
        if (c.name === 'dropoutBackward') return; // (train mode checks the mask's shape below)
        expectBad(() => c.backward(zeros([...out.shape, 1], s.dtype), cache), ShapeError, fn, 'dout');
        expectBad(
          () => c.backward(zeros([out.shape[0] + 1, ...out.shape.slice(1)], s.dtype), cache),
          ShapeError,
          fn,
          'dout',
        );
        expectBad(() => c.backward(zeros(out.shape, other(s.dtype)), cache), DTypeError, fn, 'dout');
        expect(Array.from(x.data)).toEqual(before);
      }),
      { numRuns: 150 },
    );
    const { out, cache } = dropoutForward(zeros([2, 3]), { p: 0.5, mode: 'train', seed: 0 });
    expectBad(() => dropoutBackward(zeros([3, 2]), cache), ShapeError, 'dropoutBackward', 'dout');
    expectBad(
      () => dropoutBackward(zeros(out.shape, 'float64'), cache),
      DTypeError,
      'dropoutBackward',
      'dout',
    );
  });

  it('give finite zero-size gradients of the right shapes for an empty batch that the forward accepted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BACKWARD), sizesArb, (c, s) => {
        const args = c.forward.make(s, new Rng(5));
        const x = args.x as Tensor;
        let fw: { out: Tensor; cache: unknown };
        try {
          fw = c.forward.call({ ...args, x: zeros([0, ...x.shape.slice(1)], s.dtype) });
        } catch {
          return; // the forward rejected it (checked above)
        }
        const grads = c.backward(zeros(fw.out.shape, s.dtype), fw.cache) as Record<string, Tensor | null>;
        for (const [name, g] of Object.entries(grads)) {
          if (g === null) continue;
          for (const v of g.data) expect(Number.isFinite(v), `${c.name} ${name}`).toBe(true);
          if (name !== 'dx') {
            const param = args[name.slice(1)] as Tensor | undefined;
            if (param) expect(g.shape, `${c.name} ${name}`).toEqual(param.shape);
          } else expect(g.shape[0]).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('valid but extreme inputs', () => {
  it('batchnorm and layernorm give finite, normalised outputs for near-constant features and tiny eps', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-12, max: 1e-3, noNaN: true }),
        fc.double({ min: 1e-300, max: 1e-5, noNaN: true }),
        (level, spread, eps) => {
          const x = full([4, 2], level, 'float64');
          x.data[0] += spread;
          const g = full([2], 1, 'float64');
          const b = zeros([2], 'float64');
          for (const out of [
            batchnormForward(x, g, b, { mode: 'train', eps }).out,
            layernormForward(x.reshape([2, 4]), full([4], 1, 'float64'), zeros([4], 'float64'), { eps }).out,
          ]) {
            for (const v of out.data) {
              expect(Number.isFinite(v)).toBe(true);
              expect(Math.abs(v)).toBeLessThanOrEqual(2); // |normalised| <= √(n−1) for n = 4
            }
          }
        },
      ),
      RUNS,
    );
  });

  it('batchnorm normalises float32 features up to the float32 limit (statistics in float64)', () => {
    fc.assert(
      fc.property(fc.float({ min: Math.fround(1e30), max: Math.fround(3e38), noNaN: true }), (v) => {
        const x = zeros([2, 1], 'float32');
        x.data[0] = v;
        x.data[1] = -v;
        const out = batchnormForward(x, full([1], 1, 'float32'), zeros([1], 'float32'), {
          mode: 'train',
        }).out;
        expect(out.data[0]).toBeCloseTo(1, 4);
        expect(out.data[1]).toBeCloseTo(-1, 4);
      }),
      RUNS,
    );
  });

  it('max pool (fast and naive) passes -Infinity and huge values through unchanged', () => {
    for (const f of [maxPoolForward, maxPoolForwardNaive]) {
      const x = full([1, 1, 2, 2], Number.NEGATIVE_INFINITY, 'float64');
      expect(f(x, { poolHeight: 2, poolWidth: 2, stride: 2 }).out.data[0]).toBe(Number.NEGATIVE_INFINITY);
      x.data[3] = 1.7e308;
      expect(f(x, { poolHeight: 2, poolWidth: 2, stride: 2 }).out.data[0]).toBe(1.7e308);
    }
  });
});

describe('formerly known gaps (fixed)', () => {
  it('batchnormForward (test mode) rejects a negative or NaN running variance instead of returning NaN', () => {
    const x = full([2, 3], 1, 'float64');
    const args = [full([3], 1, 'float64'), zeros([3], 'float64')] as const;
    for (const v of [-1, Number.NaN]) {
      expectBad(
        () => batchnormForward(x, ...args, { mode: 'test', runningVar: full([3], v, 'float64') }),
        ValueError,
        'batchnormForward',
        'bnParam.runningVar',
      );
    }
  });

  it('spatialBatchnormForward (test mode) rejects a negative running variance instead of returning NaN', () => {
    const x = full([1, 2, 2, 2], 1, 'float64');
    expectBad(
      () =>
        spatialBatchnormForward(x, full([2], 1, 'float64'), zeros([2], 'float64'), {
          mode: 'test',
          runningVar: full([2], -1, 'float64'),
        }),
      ValueError,
      'spatialBatchnormForward',
      'bnParam.runningVar',
    );
  });

  it('maxPoolForwardNaive propagates NaN like maxPoolForward (it returns -Infinity for an all-NaN window)', () => {
    const x = full([1, 1, 2, 2], Number.NaN, 'float64');
    const p = { poolHeight: 2, poolWidth: 2, stride: 2 };
    expect(Number.isNaN(maxPoolForward(x, p).out.data[0])).toBe(true); // holds today
    expect(Number.isNaN(maxPoolForwardNaive(x, p).out.data[0])).toBe(true); // fails today: -Infinity
  });

  it('batchnormForward normalises float64 features of magnitude 1e300 to ±1 (the variance overflows to Infinity today)', () => {
    const x = new Tensor(Float64Array.from([1e300, -1e300]), [2, 1]);
    const out = batchnormForward(x, full([1], 1, 'float64'), zeros([1], 'float64'), { mode: 'train' }).out;
    expect(out.data[0]).toBeCloseTo(1, 6);
  });

  it('dropoutBackward rejects a train-mode cache without a mask (a batchnorm cache) instead of a TypeError', () => {
    const { cache } = batchnormForward(
      zeros([2, 3], 'float64'),
      full([3], 1, 'float64'),
      zeros([3], 'float64'),
      {
        mode: 'train',
      },
    );
    expectBad(
      () => dropoutBackward(zeros([2, 3], 'float64'), cache as never),
      ValueError,
      'dropoutBackward',
      /^cache/,
    );
  });

  it('affineBackward checks cache.w against cache.x (a conv cache fails inside `new Tensor` today)', () => {
    const d = 'float64';
    const c = convForward(zeros([2, 2, 4, 4], d), zeros([2, 2, 3, 3], d), zeros([2], d), {
      stride: 1,
      pad: 1,
    });
    expectBad(
      () => affineBackward(zeros([2, 2], d), c.cache as never),
      ShapeError,
      'affineBackward',
      /^cache\.w$/,
    );
  });

  it('spatialBatchnormBackward and spatialGroupnormBackward reject each other’s caches', () => {
    const d = 'float64';
    const x = randn([2, 2, 3, 3], { rng: new Rng(4), dtype: d });
    const gn = spatialGroupnormForward(x, full([1, 2, 1, 1], 1, d), zeros([1, 2, 1, 1], d), 1);
    expectBad(
      () => spatialBatchnormBackward(gn.out, gn.cache as never),
      ValueError,
      'spatialBatchnormBackward',
      /^cache/,
    );
  });

  it('affineReluBackward and convReluBackward reject the cache of their normalized twins', () => {
    const d = 'float64';
    const x = randn([2, 3], { rng: new Rng(1), dtype: d });
    const anr = affineNormReluForward(
      x,
      zeros([3, 2], d),
      zeros([2], d),
      full([2], 1, d),
      zeros([2], d),
      { mode: 'train' },
      'batchnorm',
    );
    expectBad(
      () => affineReluBackward(anr.out, anr.cache as never),
      ValueError,
      'affineReluBackward',
      'cache',
    );
    const img = randn([1, 1, 4, 4], { rng: new Rng(2), dtype: d });
    const cbr = convBnReluForward(
      img,
      zeros([1, 1, 3, 3], d),
      zeros([1], d),
      full([1], 1, d),
      zeros([1], d),
      { stride: 1, pad: 1 },
      { mode: 'train' },
    );
    expectBad(() => convReluBackward(cbr.out, cbr.cache as never), ValueError, 'convReluBackward', 'cache');
  });

  it('test-mode batchnorm rejects a NaN or infinite running mean; a +Infinity running variance is allowed', () => {
    const x = full([2, 3], 1, 'float64');
    const args = [full([3], 1, 'float64'), zeros([3], 'float64')] as const;
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const runningMean = zeros([3], 'float64');
      runningMean.data[2] = v;
      const e = expectBad(
        () => batchnormForward(x, ...args, { mode: 'test', runningMean }),
        ValueError,
        'batchnormForward',
        'bnParam.runningMean',
      );
      expect(e.message).toBe(`batchnormForward: bnParam.runningMean [2] is ${v}, expected a finite number`);
    }
    const runningVar = full([3], 1, 'float64');
    runningVar.data[1] = -1;
    expect(
      expectBad(
        () => batchnormForward(x, ...args, { mode: 'test', runningVar }),
        ValueError,
        'batchnormForward',
        'bnParam.runningVar',
      ).message,
    ).toBe('batchnormForward: bnParam.runningVar [1] is -1, expected >= 0');
    // +Infinity (what a float64 batch beyond ~1e154 accumulates) gives x̂ = 0, so out = beta.
    const out = batchnormForward(x, ...args, {
      mode: 'test',
      runningVar: full([3], Number.POSITIVE_INFINITY, 'float64'),
    }).out;
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0, 0, 0]);
    // Train mode never reads the running variance to normalise: it is only averaged, so no check there.
    expect(() =>
      batchnormForward(x, ...args, { mode: 'train', runningVar: full([3], -1, 'float64') }),
    ).not.toThrow();
  });

  it('the batchnorm sandwiches reject a bad running variance in test mode (named by the inner layer)', () => {
    const d = 'float64';
    expectBad(
      () =>
        affineNormReluForward(
          zeros([2, 3], d),
          zeros([3, 2], d),
          zeros([2], d),
          full([2], 1, d),
          zeros([2], d),
          { mode: 'test', runningVar: full([2], Number.NaN, d) },
          'batchnorm',
        ),
      ValueError,
      'batchnormForward',
      'bnParam.runningVar',
    );
    expectBad(
      () =>
        convBnReluForward(
          zeros([1, 1, 3, 3], d),
          zeros([1, 1, 3, 3], d),
          zeros([1], d),
          full([1], 1, d),
          zeros([1], d),
          { stride: 1, pad: 1 },
          { mode: 'test', runningMean: full([1], Number.NaN, d) },
        ),
      ValueError,
      'spatialBatchnormForward',
      'bnParam.runningMean',
    );
  });

  it('spatialBatchnormForward normalises float64 channels of magnitude 1e300 to ±1', () => {
    const x = new Tensor(Float64Array.from([1e300, -1e300, 3e299, -3e299, 1, 2, 3, 4]), [2, 2, 1, 2]);
    // Channel 0 holds 1e300, −1e300, 1, 2 (mean ≈ 0.75, std ≈ 1e300/√2); channel 1: 3e299, −3e299, 3, 4.
    const out = spatialBatchnormForward(x, full([2], 1, 'float64'), zeros([2], 'float64'), {
      mode: 'train',
    }).out;
    expect(out.data[0]).toBeCloseTo(Math.SQRT2, 10);
    expect(out.data[1]).toBeCloseTo(-Math.SQRT2, 10);
    expect(out.data[2]).toBeCloseTo(Math.SQRT2, 10);
    expect(out.data[3]).toBeCloseTo(-Math.SQRT2, 10);
    expect(out.data[4]).toBeCloseTo(0, 10);
    const bn = batchnormForward(
      new Tensor(Float64Array.from([1e300, 5000, -1e300, 6000]), [2, 2]),
      full([2], 1, 'float64'),
      zeros([2], 'float64'),
      { mode: 'train' },
    ).out;
    expect(Array.from(bn.data).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([1, -1, -1, 1]);
  });

  it('dropoutBackward rejects a test-mode cache holding a mask', () => {
    const { cache } = dropoutForward(zeros([2, 3], 'float64'), { p: 0.5, mode: 'train', seed: 1 });
    expectBad(
      () => dropoutBackward(zeros([2, 3], 'float64'), { ...cache, mode: 'test' }),
      ValueError,
      'dropoutBackward',
      'cache',
    );
  });

  it('convBackward names cache.x / cache.w for a cache whose tensors do not fit together', () => {
    const d = 'float64';
    const c = convForward(zeros([2, 2, 4, 4], d), zeros([2, 2, 3, 3], d), zeros([2], d), {
      stride: 1,
      pad: 1,
    });
    expectBad(
      () => convBackward(c.out, { ...c.cache, x: zeros([2, 4, 4], d) }),
      ShapeError,
      'convBackward',
      'cache.x',
    );
    expectBad(
      () => convBackward(c.out, { ...c.cache, w: zeros([2, 3, 3, 3], d) }),
      ShapeError,
      'convBackward',
      'cache.w',
    );
    expectBad(
      () => convBackwardNaive(c.out, { ...c.cache, convParam: { stride: 0, pad: 1 } }),
      ValueError,
      'convBackwardNaive',
      'cache.convParam.stride',
    );
  });
});
