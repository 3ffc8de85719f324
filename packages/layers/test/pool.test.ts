import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import {
  type DType,
  DTypeError,
  linspace,
  Rng,
  randn,
  ShapeError,
  setKernelBackend,
  type Tensor,
  tensor,
  ValueError,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { maxPoolBackward, maxPoolBackwardNaive, maxPoolForward, maxPoolForwardNaive } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

type Forward = typeof maxPoolForward | typeof maxPoolForwardNaive;
type Backward = (dout: Tensor, cache: never) => { dx: Tensor };

const variants: [string, Forward, Backward][] = [
  ['maxPoolForwardNaive', maxPoolForwardNaive, maxPoolBackwardNaive as Backward],
  ['maxPoolForward', maxPoolForward, maxPoolBackward as Backward],
];

/** Random pooling problems: any window that fits, any stride (overlapping, tiling, gapped, flooring). */
const problem = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 9 }),
    W: fc.integer({ min: 1, max: 9 }),
    poolHeight: fc.integer({ min: 1, max: 4 }),
    poolWidth: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 10_000 }),
    dtype: fc.constantFrom<DType>('float32', 'float64'),
  })
  .filter((p) => p.poolHeight <= p.H && p.poolWidth <= p.W);

/** Non-overlapping windows that tile x: the fast path's special case (2×2 included often). */
const tiling = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    size: fc.integer({ min: 1, max: 3 }),
    Ho: fc.integer({ min: 1, max: 4 }),
    Wo: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 10_000 }),
  })
  .map((p) => ({ ...p, size: p.size === 3 ? 2 : p.size }));

describe.each(variants)('%s', (name, forward, backward) => {
  it('gives the CS231n notebook values for linspace inputs (2×2, stride 2)', () => {
    // numpy 2: x = np.linspace(-0.3, 0.4, 96).reshape(2, 3, 4, 4); x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5))
    const x = linspace(-0.3, 0.4, 2 * 3 * 4 * 4, 'float64').reshape([2, 3, 4, 4]);
    const { out } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
    const expected = tensor(
      [
        -0.2631578947368421, -0.24842105263157893, -0.20421052631578945, -0.1894736842105263,
        -0.14526315789473684, -0.13052631578947368, -0.0863157894736842, -0.07157894736842105,
        -0.027368421052631597, -0.012631578947368438, 0.03157894736842104, 0.0463157894736842,
        0.09052631578947368, 0.10526315789473684, 0.14947368421052631, 0.16421052631578947,
        0.2084210526315789, 0.22315789473684206, 0.26736842105263153, 0.2821052631578947, 0.32631578947368417,
        0.34105263157894733, 0.3852631578947368, 0.4,
      ],
      { dtype: 'float64' },
    ).reshape([2, 3, 2, 2]);
    expect(out.shape).toEqual([2, 3, 2, 2]);
    expect(relError(out, expected)).toBeLessThan(1e-14);
  });

  it('matches the numerical gradient in float64', () => {
    // The notebook's check (3,2,8,8) with 2×2 stride 2, plus overlapping 3×3 stride 2 windows.
    for (const poolParam of [
      { poolHeight: 2, poolWidth: 2, stride: 2 },
      { poolHeight: 3, poolWidth: 3, stride: 2 },
      { poolHeight: 2, poolWidth: 3, stride: 1 },
    ]) {
      const x = normal([3, 2, 8, 8], 1);
      const { out, cache } = forward(x, poolParam);
      const dout = normal(out.shape, 2);
      const { dx } = backward(dout, cache as never);
      const dxNum = evalNumericalGradientArray((xx) => forward(xx, poolParam).out, x, dout);
      expect(relError(dx, dxNum)).toBeLessThan(1e-7);
    }
  });

  it('routes a tied maximum to the first one in row-major window order', () => {
    // Plane [[1, 5, 5, 0], [5, 2, 1, 1], [3, 3, 7, 7], [3, 3, 7, 7]]: every window has a tie.
    const x = tensor([1, 5, 5, 0, 5, 2, 1, 1, 3, 3, 7, 7, 3, 3, 7, 7], { dtype: 'float64' }).reshape([
      1, 1, 4, 4,
    ]);
    const { out, cache } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
    expect(Array.from(out.data)).toEqual([5, 5, 3, 7]);
    const { dx } = backward(
      tensor([10, 20, 30, 40], { dtype: 'float64' }).reshape([1, 1, 2, 2]),
      cache as never,
    );
    expect(Array.from(dx.data)).toEqual([0, 10, 20, 0, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0]);
  });

  it('floors H′ = 1 + ⌊(H − ph)/stride⌋: rows no window reaches get zero gradient', () => {
    const x = linspace(1, 25, 25, 'float64').reshape([1, 1, 5, 5]);
    const { out, cache } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
    expect(out.toArray()).toEqual([
      [
        [
          [7, 9],
          [17, 19],
        ],
      ],
    ]);
    const { dx } = backward(tensor([1, 2, 3, 4], { dtype: 'float64' }).reshape([1, 1, 2, 2]), cache as never);
    expect(dx.toArray()).toEqual([
      [
        [
          [0, 0, 0, 0, 0],
          [0, 1, 0, 2, 0],
          [0, 0, 0, 0, 0],
          [0, 3, 0, 4, 0],
          [0, 0, 0, 0, 0],
        ],
      ],
    ]);
  });

  it('adds up the gradient where overlapping windows share a maximum', () => {
    // 1×3 input [0, 9, 0], 1×2 windows with stride 1: 9 is the max of both windows.
    const x = tensor([0, 9, 0], { dtype: 'float64' }).reshape([1, 1, 1, 3]);
    const { cache } = forward(x, { poolHeight: 1, poolWidth: 2, stride: 1 });
    const { dx } = backward(tensor([2, 3], { dtype: 'float64' }).reshape([1, 1, 1, 2]), cache as never);
    expect(Array.from(dx.data)).toEqual([0, 5, 0]);
  });

  it('does not mutate x, its cache or dout, and works in float32', () => {
    const x = randn([2, 3, 6, 6], { rng: new Rng(4) });
    const before = snapshot(x);
    const { out, cache } = forward(x, { poolHeight: 3, poolWidth: 3, stride: 3 });
    expect(out.dtype).toBe('float32');
    const dout = randn(out.shape, { rng: new Rng(5) });
    const doutBefore = snapshot(dout);
    const { dx } = backward(dout, cache as never);
    expect(dx.dtype).toBe('float32');
    expect(snapshot(dout)).toEqual(doutBefore);
    expect(snapshot(cache.x)).toEqual(before);
    expect(snapshot(backward(dout, cache as never).dx)).toEqual(snapshot(dx));
  });

  it('rejects bad shapes, pool parameters and dout, naming the argument', () => {
    const x = normal([2, 3, 4, 4], 1);
    const bname = name.replace('Forward', 'Backward');
    expectThrow(
      () => forward(normal([3, 4, 4], 1), { poolHeight: 2, poolWidth: 2, stride: 2 }),
      ShapeError,
      `${name}: x has shape [3,4,4], expected [N, C, H, W] (4 dimensions)`,
    );
    expectThrow(
      () => forward(x, { poolHeight: 5, poolWidth: 2, stride: 2 }),
      ValueError,
      `${name}: poolParam.poolHeight/poolWidth give a 5×2 window, expected one that fits inside x's 4×4 planes`,
    );
    expectThrow(
      () => forward(x, { poolHeight: 2, poolWidth: 2, stride: 0 }),
      ValueError,
      `${name}: poolParam.stride must be an integer >= 1, got 0`,
    );
    expectThrow(
      () => forward(x, { poolHeight: 0, poolWidth: 2, stride: 1 }),
      ValueError,
      `${name}: poolParam.poolHeight must be an integer >= 1, got 0`,
    );
    expectThrow(
      () => forward(x, { poolHeight: 2, poolWidth: 2.5, stride: 1 }),
      ValueError,
      `${name}: poolParam.poolWidth must be an integer >= 1, got 2.5`,
    );
    expectThrow(
      () => forward(x, null as never),
      ValueError,
      `${name}: poolParam must be an object { poolHeight, poolWidth, stride }, got null`,
    );
    const { cache } = forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
    expectThrow(
      () => backward(normal([2, 3, 2, 3], 2), cache as never),
      ShapeError,
      `${bname}: dout has shape [2,3,2,3], expected [2, 3, 2, 2] to match the forward pass's output [N, C, H', W']`,
    );
    expectThrow(
      () => backward(normal([2, 3, 2, 2], 2, 'float32'), cache as never),
      DTypeError,
      `${bname}: dout has dtype float32, expected float64 to match cache.x`,
    );
    expectThrow(
      () => backward(normal([2, 3, 2, 2], 2), null as never),
      ValueError,
      `${bname}: cache must be the cache returned by the forward pass`,
    );
  });
});

describe('maxPoolForward', () => {
  it('equals maxPoolForwardNaive for random shapes, windows and strides (forward and dx, exactly)', () => {
    fc.assert(
      fc.property(problem, (p) => {
        const x = randn([p.N, p.C, p.H, p.W], { rng: new Rng(p.seed), dtype: p.dtype });
        const poolParam = { poolHeight: p.poolHeight, poolWidth: p.poolWidth, stride: p.stride };
        const naive = maxPoolForwardNaive(x, poolParam);
        const fast = maxPoolForward(x, poolParam);
        expect(fast.out.shape).toEqual(naive.out.shape);
        expect(Array.from(fast.out.data)).toEqual(Array.from(naive.out.data));
        const dout = randn(naive.out.shape, { rng: new Rng(p.seed + 1), dtype: p.dtype });
        const dn = maxPoolBackwardNaive(dout, naive.cache).dx;
        const df = maxPoolBackward(dout, fast.cache).dx;
        for (let i = 0; i < dn.size; i++) expect(df.data[i]).toBeCloseTo(dn.data[i], 12);
      }),
      { numRuns: 150 },
    );
  });

  it('equals maxPoolForwardNaive on the non-overlapping fast path, ties included', () => {
    fc.assert(
      fc.property(tiling, (p) => {
        // Values rounded to a coarse grid, so windows often hold ties.
        const x = randn([p.N, p.C, p.Ho * p.size, p.Wo * p.size], { rng: new Rng(p.seed), dtype: 'float64' });
        for (let i = 0; i < x.size; i++) x.data[i] = Math.round(x.data[i] * 2);
        const poolParam = { poolHeight: p.size, poolWidth: p.size, stride: p.size };
        const naive = maxPoolForwardNaive(x, poolParam);
        const fast = maxPoolForward(x, poolParam);
        expect(Array.from(fast.out.data)).toEqual(Array.from(naive.out.data));
        const dout = randn(naive.out.shape, { rng: new Rng(p.seed + 1), dtype: 'float64' });
        expect(Array.from(maxPoolBackward(dout, fast.cache).dx.data)).toEqual(
          Array.from(maxPoolBackwardNaive(dout, naive.cache).dx.data),
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('maxPoolForward float32: WebAssembly SIMD kernel and JavaScript loop', () => {
  afterEach(() => {
    setKernelBackend('auto');
  });

  it('give the same out, argmax and dx, bit for bit (2×2 windows, ties and NaNs included)', () => {
    const shapes = fc.record({
      N: fc.integer({ min: 1, max: 3 }),
      C: fc.integer({ min: 1, max: 3 }),
      Ho: fc.integer({ min: 1, max: 9 }),
      Wo: fc.integer({ min: 1, max: 17 }),
      seed: fc.nat(),
      nans: fc.boolean(),
    });
    fc.assert(
      fc.property(shapes, (p) => {
        const x = randn([p.N, p.C, 2 * p.Ho, 2 * p.Wo], { rng: new Rng(p.seed), dtype: 'float32' });
        for (let i = 0; i < x.size; i++) x.data[i] = Math.max(0, Math.round(x.data[i] * 2)); // ReLU'd ties
        if (p.nans) for (let i = p.seed % 5; i < x.size; i += 7) x.data[i] = Number.NaN;
        const poolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
        const dout = randn([p.N, p.C, p.Ho, p.Wo], { rng: new Rng(p.seed + 1), dtype: 'float32' });
        const run = (backend: 'auto' | 'ts') => {
          setKernelBackend(backend);
          const { out, cache } = maxPoolForward(x, poolParam);
          return {
            out: Array.from(out.data),
            argmax: Array.from(cache.argmax),
            dx: Array.from(maxPoolBackward(dout, cache).dx.data),
          };
        };
        expect(run('auto')).toEqual(run('ts'));
      }),
      { numRuns: 100 },
    );
  });
});

describe('max pool with NaN (propagates like numpy: the window is NaN, the gradient goes to its first NaN)', () => {
  it('gives NaN for a window holding a NaN anywhere, and routes dout to the first NaN (fast and naive)', () => {
    const poolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
    // One 2×2 window per case, row-major [a, b; c, d]; `at` is the index of the first NaN.
    const cases: [number[], number][] = [
      [[Number.NaN, 1, 0, -1], 0],
      [[1, Number.NaN, 0, -1], 1],
      [[5, 1, Number.NaN, Number.NaN], 2],
      [[-1, 0, 1, Number.NaN], 3],
      [[Number.NaN, Number.NaN, Number.NaN, Number.NaN], 0],
    ];
    for (const [values, at] of cases) {
      for (const [name, forward, backward] of variants) {
        // Also through the general window loop: a 2×3 plane pooled 2×2 with stride 1 (first window only).
        for (const wide of [false, true]) {
          const x = wide
            ? tensor(
                [
                  [
                    [
                      [values[0], values[1], 7],
                      [values[2], values[3], 7],
                    ],
                  ],
                ],
                { dtype: 'float64' },
              )
            : tensor([[[values.slice(0, 2), values.slice(2)]]], { dtype: 'float64' });
          const p = wide ? { poolHeight: 2, poolWidth: 2, stride: 1 } : poolParam;
          const { out, cache } = forward(x, p);
          expect(Number.isNaN(out.data[0]), `${name} ${values} wide=${wide}`).toBe(true);
          const dout = out.clone();
          dout.data.fill(0);
          dout.data[0] = 3;
          const dx = backward(dout, cache as never).dx;
          const col = wide ? [0, 1, 3, 4][at] : at;
          const expected = new Array(x.size).fill(0);
          expected[col] = 3;
          expect(Array.from(dx.data), `${name} ${values} wide=${wide}`).toEqual(expected);
        }
      }
    }
  });

  it('fast equals naive with NaNs sprinkled in (forward NaN pattern and dx, exactly)', () => {
    fc.assert(
      fc.property(problem, fc.double({ min: 0, max: 0.5, noNaN: true }), (p, rate) => {
        const x = randn([p.N, p.C, p.H, p.W], { rng: new Rng(p.seed), dtype: p.dtype });
        const pick = new Rng(p.seed + 7);
        for (let i = 0; i < x.size; i++) if (pick.uniform() < rate) x.data[i] = Number.NaN;
        const poolParam = { poolHeight: p.poolHeight, poolWidth: p.poolWidth, stride: p.stride };
        const naive = maxPoolForwardNaive(x, poolParam);
        const fast = maxPoolForward(x, poolParam);
        // toEqual treats NaN as equal to NaN, so this checks the NaN pattern too.
        expect(Array.from(fast.out.data)).toEqual(Array.from(naive.out.data));
        const dout = randn(naive.out.shape, { rng: new Rng(p.seed + 1), dtype: p.dtype });
        expect(Array.from(maxPoolBackward(dout, fast.cache).dx.data)).toEqual(
          Array.from(maxPoolBackwardNaive(dout, naive.cache).dx.data),
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('maxPoolBackward', () => {
  it('names cache.x / cache.poolParam for a cache whose contents are bad', () => {
    const x = normal([1, 1, 4, 4], 1);
    const { out, cache } = maxPoolForward(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
    expectThrow(
      () => maxPoolBackward(out, { ...cache, x: normal([4, 4], 2) }),
      ShapeError,
      'maxPoolBackward: cache.x has shape [4,4], expected [N, C, H, W] (4 dimensions)',
    );
    expectThrow(
      () => maxPoolBackwardNaive(out, { ...cache, poolParam: { poolHeight: 2, poolWidth: 0, stride: 2 } }),
      ValueError,
      'maxPoolBackwardNaive: cache.poolParam.poolWidth must be an integer >= 1, got 0',
    );
  });

  it('rejects a cache from maxPoolForwardNaive (it holds no argmax)', () => {
    const x = normal([1, 1, 4, 4], 1);
    const { out, cache } = maxPoolForwardNaive(x, { poolHeight: 2, poolWidth: 2, stride: 2 });
    expectThrow(
      () => maxPoolBackward(normal(out.shape, 2), cache as never),
      ValueError,
      'maxPoolBackward: cache must be the cache returned by maxPoolForward (it holds no argmax of the right size)',
    );
  });
});
