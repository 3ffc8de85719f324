import { evalNumericalGradientArray, relError } from '@backprop/gradcheck';
import {
  type DType,
  DTypeError,
  gemmInfo,
  linspace,
  Rng,
  randn,
  ShapeError,
  setGemmBackend,
  type Tensor,
  tensor,
  ValueError,
} from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ConvCache, convBackward, convBackwardNaive, convForward, convForwardNaive } from '../src/index';
import { expectThrow, normal, snapshot } from './dense-helpers';

type Forward = typeof convForward | typeof convForwardNaive;
type Backward = (dout: Tensor, cache: never) => { dx: Tensor | null; dw: Tensor; db: Tensor };

const variants: [string, Forward, Backward][] = [
  ['convForwardNaive', convForwardNaive, convBackwardNaive as Backward],
  ['convForward', convForward, convBackward as Backward],
];

/** Random conv geometries that tile: H = (H' − 1)·stride + HH − 2·pad >= 1, small enough to stay fast. */
const geometry = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    F: fc.integer({ min: 1, max: 3 }),
    HH: fc.integer({ min: 1, max: 4 }),
    WW: fc.integer({ min: 1, max: 4 }),
    Ho: fc.integer({ min: 1, max: 4 }),
    Wo: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.integer({ min: 0, max: 2 }),
    seed: fc.integer({ min: 0, max: 10_000 }),
  })
  .map((g) => ({
    ...g,
    H: (g.Ho - 1) * g.stride + g.HH - 2 * g.pad,
    W: (g.Wo - 1) * g.stride + g.WW - 2 * g.pad,
  }))
  .filter((g) => g.H >= 1 && g.W >= 1);

function inputs(
  g: { N: number; C: number; F: number; H: number; W: number; HH: number; WW: number; seed: number },
  dtype: DType,
) {
  const rng = new Rng(g.seed);
  return {
    x: randn([g.N, g.C, g.H, g.W], { rng, dtype }),
    w: randn([g.F, g.C, g.HH, g.WW], { rng, dtype }),
    b: randn([g.F], { rng, dtype }),
  };
}

/**
 * Largest |a − b| relative to max(1, largest |b|). The floor of 1 is the scale of the summed terms here
 * (unit-normal inputs): a sum that cancels to a small value (a db of 0.004, say) still carries the
 * float32 rounding of its O(1) terms, so its error is judged against them, not against itself.
 */
function maxDiff(a: Tensor, b: Tensor): number {
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < a.size; i++) {
    worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
    scale = Math.max(scale, Math.abs(b.data[i]));
  }
  return worst / scale;
}

describe.each(variants)('%s', (name, forward, backward) => {
  it('gives the CS231n notebook values for linspace inputs (stride 2, pad 1)', () => {
    // The notebook's conv_forward_naive check; expected values from numpy 2 with an independent loop over
    // np.pad(x) windows: np.sum(xpad[n, :, i*2:i*2+4, j*2:j*2+4] * w[f]) + b[f].
    const x = linspace(-0.1, 0.5, 2 * 3 * 4 * 4, 'float64').reshape([2, 3, 4, 4]);
    const w = linspace(-0.2, 0.3, 3 * 3 * 4 * 4, 'float64').reshape([3, 3, 4, 4]);
    const b = linspace(-0.1, 0.2, 3, 'float64');
    const { out } = forward(x, w, b, { stride: 2, pad: 1 });
    const expected = tensor(
      [
        -0.08759808612440192, -0.10987780640412217, -0.18387191755612808, -0.2109216047110784,
        0.2102708870077291, 0.216610967979389, 0.22847626058152373, 0.23004637467795364, 0.5081398601398601,
        0.5430997423629003, 0.6408244387191755, 0.6710143540669855, -0.9805358851674643, -1.031435406698565,
        -1.1912889216047111, -1.2469584100110418, 0.6910835480309164, 0.6688038277511961, 0.5948097165991902,
        0.56776002944424, 2.3627029812292974, 2.369043062200957, 2.3809083548030916, 2.3824784688995213,
      ],
      { dtype: 'float64' },
    ).reshape([2, 3, 2, 2]);
    expect(out.shape).toEqual([2, 3, 2, 2]);
    expect(relError(out, expected)).toBeLessThan(1e-13);
  });

  it('matches the numerical gradient in float64 (dx, dw, db)', () => {
    // The notebook's check: x (4,3,5,5), w (2,3,3,3), stride 1, pad 1; plus a strided, padded case.
    for (const [xs, ws, stride, pad] of [
      [[4, 3, 5, 5], [2, 3, 3, 3], 1, 1],
      [[2, 2, 7, 5], [3, 2, 3, 3], 2, 2],
    ] as const) {
      const x = normal(xs, 1);
      const w = normal(ws, 2);
      const b = normal([ws[0]], 3);
      const cp = { stride, pad };
      const { out, cache } = forward(x, w, b, cp);
      const dout = normal(out.shape, 4);
      const { dx, dw, db } = backward(dout, cache as never);
      const dxNum = evalNumericalGradientArray((xx) => forward(xx, w, b, cp).out, x, dout);
      const dwNum = evalNumericalGradientArray((ww) => forward(x, ww, b, cp).out, w, dout);
      const dbNum = evalNumericalGradientArray((bb) => forward(x, w, bb, cp).out, b, dout);
      expect(relError(dx as Tensor, dxNum)).toBeLessThan(1e-7);
      expect(relError(dw, dwNum)).toBeLessThan(1e-7);
      expect(relError(db, dbNum)).toBeLessThan(1e-7);
    }
  });

  it('does not mutate its inputs, its cache or dout', () => {
    const x = normal([2, 2, 5, 5], 5);
    const w = normal([3, 2, 3, 3], 6);
    const b = normal([3], 7);
    const before = [x, w, b].map(snapshot);
    const { out, cache } = forward(x, w, b, { stride: 2, pad: 1 });
    expect([x, w, b].map(snapshot)).toEqual(before);
    const dout = normal(out.shape, 8);
    const doutBefore = snapshot(dout);
    const first = backward(dout, cache as never);
    expect(snapshot(dout)).toEqual(doutBefore);
    expect([cache.x, cache.w, cache.b].map(snapshot)).toEqual(before);
    expect(cache.convParam).toEqual({ stride: 2, pad: 1 });
    // A second backward on the same cache gives the same gradients (no hidden state consumed).
    const second = backward(dout, cache as never);
    expect(snapshot(second.dx as Tensor)).toEqual(snapshot(first.dx as Tensor));
    expect(snapshot(second.dw)).toEqual(snapshot(first.dw));
  });

  it('works in float32 with float32 outputs', () => {
    const rng = new Rng(3);
    const x = randn([2, 3, 6, 6], { rng });
    const w = randn([4, 3, 3, 3], { rng });
    const b = randn([4], { rng });
    const { out, cache } = forward(x, w, b, { stride: 1, pad: 1 });
    expect(out.dtype).toBe('float32');
    const { dx, dw, db } = backward(randn(out.shape, { rng }), cache as never);
    expect([dx?.dtype, dw.dtype, db.dtype]).toEqual(['float32', 'float32', 'float32']);
    const ref = convForwardNaive(x.astype('float64'), w.astype('float64'), b.astype('float64'), {
      stride: 1,
      pad: 1,
    });
    expect(maxDiff(out, ref.out)).toBeLessThan(1e-5);
  });

  it('rejects bad shapes, dtypes and conv parameters, naming the argument', () => {
    const x = normal([2, 3, 8, 8], 1);
    const b = normal([8], 2);
    expectThrow(
      () => forward(x, normal([8, 4, 5, 5], 3), b, { stride: 1, pad: 2 }),
      ShapeError,
      `${name}: w has shape [8,4,5,5], expected [F, 3, HH, WW] to match x's 3 channels`,
    );
    expectThrow(
      () => forward(x, normal([8, 3, 5, 5], 3), normal([7], 2), { stride: 1, pad: 2 }),
      ShapeError,
      `${name}: b has shape [7], expected [8] to match w's 8 filters`,
    );
    expectThrow(
      () => forward(normal([3, 8, 8], 1), normal([8, 3, 5, 5], 3), b, { stride: 1, pad: 2 }),
      ShapeError,
      `${name}: x has shape [3,8,8], expected [N, C, H, W] (4 dimensions)`,
    );
    expectThrow(
      () => forward(x, normal([8, 3, 5, 5], 3, 'float32'), b, { stride: 1, pad: 2 }),
      DTypeError,
      `${name}: w has dtype float32, expected float64 to match x`,
    );
    const w = normal([8, 3, 3, 3], 3);
    expectThrow(
      () => forward(x, w, b, { stride: 2, pad: 0 }),
      ValueError,
      `${name}: convParam.stride/convParam.pad do not tile the input: (H + 2·pad − HH) / stride = (8 + 2·0 − 3) / 2 = 5/2 is not an integer; choose stride 2 and pad 0 so it is`,
    );
    expectThrow(
      () => forward(x, w, b, { stride: 0, pad: 1 }),
      ValueError,
      `${name}: convParam.stride must be an integer >= 1, got 0`,
    );
    expectThrow(
      () => forward(x, w, b, { stride: 1.5, pad: 1 }),
      ValueError,
      `${name}: convParam.stride must be an integer >= 1, got 1.5`,
    );
    expectThrow(
      () => forward(x, w, b, { stride: 1, pad: -1 }),
      ValueError,
      `${name}: convParam.pad must be an integer >= 0, got -1`,
    );
    expectThrow(
      () => forward(x, w, b, undefined as never),
      ValueError,
      `${name}: convParam must be an object { stride, pad }`,
    );
    expectThrow(
      () => forward(normal([1, 3, 2, 2], 1), w, b, { stride: 1, pad: 0 }),
      ValueError,
      `${name}: w has a 3×3 field, expected one that fits the padded 2×2 input (H, W = 2, 2; pad = 0) and is at least 1×1`,
    );
  });

  it('backward rejects a dout that does not match the forward output, and a bad cache', () => {
    const { cache } = forward(normal([2, 3, 6, 6], 1), normal([4, 3, 3, 3], 2), normal([4], 3), {
      stride: 1,
      pad: 1,
    });
    const bname = name.replace('Forward', 'Backward');
    expectThrow(
      () => backward(normal([2, 4, 5, 6], 4), cache as never),
      ShapeError,
      `${bname}: dout has shape [2,4,5,6], expected [2, 4, 6, 6] to match the forward pass's output [N, F, H', W']`,
    );
    expectThrow(
      () => backward(normal([2, 4, 6, 6], 4, 'float32'), cache as never),
      DTypeError,
      `${bname}: dout has dtype float32, expected float64 to match cache.x`,
    );
    expectThrow(
      () => backward(normal([2, 4, 6, 6], 4), {} as never),
      ValueError,
      `${bname}: cache must be the cache returned by the forward pass`,
    );
  });
});

describe('convForward', () => {
  it('equals convForwardNaive for random shapes, strides and pads (float64, every gradient)', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const { x, w, b } = inputs(g, 'float64');
        const cp = { stride: g.stride, pad: g.pad };
        const naive = convForwardNaive(x, w, b, cp);
        const fast = convForward(x, w, b, cp);
        expect(fast.out.shape).toEqual([g.N, g.F, g.Ho, g.Wo]);
        expect(maxDiff(fast.out, naive.out)).toBeLessThan(1e-13);
        const dout = randn(naive.out.shape, { rng: new Rng(g.seed + 1), dtype: 'float64' });
        const gn = convBackwardNaive(dout, naive.cache);
        const gf = convBackward(dout, fast.cache);
        expect(maxDiff(gf.dx, gn.dx)).toBeLessThan(1e-13);
        expect(maxDiff(gf.dw, gn.dw)).toBeLessThan(1e-13);
        expect(maxDiff(gf.db, gn.db)).toBeLessThan(1e-13);
      }),
      { numRuns: 120 },
    );
  });

  it('equals convForwardNaive in float32 within float32 rounding', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const { x, w, b } = inputs(g, 'float32');
        const cp = { stride: g.stride, pad: g.pad };
        const naive = convForwardNaive(x, w, b, cp);
        const fast = convForward(x, w, b, cp);
        expect(maxDiff(fast.out, naive.out)).toBeLessThan(1e-5);
        const dout = randn(naive.out.shape, { rng: new Rng(g.seed + 1) });
        const gn = convBackwardNaive(dout, naive.cache);
        const gf = convBackward(dout, fast.cache);
        expect(maxDiff(gf.dx, gn.dx)).toBeLessThan(1e-5);
        expect(maxDiff(gf.dw, gn.dw)).toBeLessThan(1e-5);
        expect(maxDiff(gf.db, gn.db)).toBeLessThan(1e-5);
      }),
      { numRuns: 60 },
    );
  });

  it('handles the ThreeLayerConvNet layer shape (7×7, stride 1, pad 3) like the naive loops', () => {
    const { x, w, b } = inputs({ N: 2, C: 3, F: 4, H: 12, W: 10, HH: 7, WW: 7, seed: 9 }, 'float64');
    const naive = convForwardNaive(x, w, b, { stride: 1, pad: 3 });
    const fast = convForward(x, w, b, { stride: 1, pad: 3 });
    expect(fast.out.shape).toEqual([2, 4, 12, 10]);
    expect(maxDiff(fast.out, naive.out)).toBeLessThan(1e-13);
    const dout = normal(naive.out.shape, 10);
    const gn = convBackwardNaive(dout, naive.cache);
    const gf = convBackward(dout, fast.cache);
    expect(maxDiff(gf.dx, gn.dx)).toBeLessThan(1e-13);
    expect(maxDiff(gf.dw, gn.dw)).toBeLessThan(1e-13);
  });
});

describe('convBackward', () => {
  it('with computeDx false returns dx null and the same dw and db', () => {
    const { x, w, b } = inputs({ N: 3, C: 2, F: 3, H: 7, W: 7, HH: 3, WW: 3, seed: 4 }, 'float64');
    const { out, cache } = convForward(x, w, b, { stride: 2, pad: 1 });
    const dout = normal(out.shape, 5);
    const full = convBackward(dout, cache);
    const skipped = convBackward(dout, cache, { computeDx: false });
    expect(skipped.dx).toBeNull();
    expect(snapshot(skipped.dw)).toEqual(snapshot(full.dw));
    expect(snapshot(skipped.db)).toEqual(snapshot(full.db));
    expect(convBackward(dout, cache, { computeDx: true }).dx).not.toBeNull();
  });

  it('types dx as Tensor by default and as null with computeDx false', () => {
    const { x, w, b } = inputs({ N: 1, C: 1, F: 1, H: 3, W: 3, HH: 3, WW: 3, seed: 1 }, 'float64');
    const { out, cache } = convForward(x, w, b, { stride: 1, pad: 1 });
    expectTypeOf(cache).toEqualTypeOf<ConvCache>();
    const dout = normal(out.shape, 2);
    expectTypeOf(convBackward(dout, cache).dx).toEqualTypeOf<Tensor>();
    expectTypeOf(convBackward(dout, cache, { computeDx: false }).dx).toEqualTypeOf<null>();
    const maybe: { computeDx?: boolean } = {};
    expectTypeOf(convBackward(dout, cache, maybe).dx).toEqualTypeOf<Tensor | null>();
  });

  it('gives the same gradients when called again after other convolutions reused its workspace', () => {
    const a = inputs({ N: 2, C: 2, F: 2, H: 6, W: 6, HH: 3, WW: 3, seed: 11 }, 'float64');
    const fa = convForward(a.x, a.w, a.b, { stride: 1, pad: 1 });
    const dout = normal(fa.out.shape, 12);
    const first = convBackward(dout, fa.cache);
    // A bigger conv in between grows and overwrites the shared scratch buffers.
    const c = inputs({ N: 1, C: 3, F: 2, H: 9, W: 9, HH: 5, WW: 5, seed: 13 }, 'float64');
    const fc2 = convForward(c.x, c.w, c.b, { stride: 1, pad: 2 });
    convBackward(normal(fc2.out.shape, 14), fc2.cache);
    const again = convBackward(dout, fa.cache);
    expect(snapshot(again.dx)).toEqual(snapshot(first.dx));
    expect(snapshot(again.dw)).toEqual(snapshot(first.dw));
    expect(snapshot(convForward(a.x, a.w, a.b, { stride: 1, pad: 1 }).out)).toEqual(snapshot(fa.out));
  });

  // Without WebAssembly SIMD both runs would take the JavaScript path: nothing to compare.
  it.skipIf(!gemmInfo().simd)(
    'float32: db from the WebAssembly module equals the JavaScript sum bit for bit',
    () => {
      // db is no GEMM: the module's f64x2 partial sums must give biasGradient's bits exactly (the GEMM
      // results differ by float32 rounding between the backends, fused multiply-add or not).
      for (const [seed, p] of [
        { N: 3, C: 2, F: 5, H: 9, W: 7, HH: 3, WW: 3, pad: 1 }, // P = 63: a tail after the groups of four
        { N: 2, C: 1, F: 4, H: 28, W: 28, HH: 7, WW: 7, pad: 3 },
      ].entries()) {
        const { x, w, b } = inputs({ ...p, seed }, 'float32');
        const run = (backend: 'auto' | 'ts') => {
          const previous = setGemmBackend(backend);
          try {
            const { out, cache } = convForward(x, w, b, { stride: 1, pad: p.pad });
            return convBackward(normal(out.shape, seed + 7, 'float32'), cache);
          } finally {
            setGemmBackend(previous);
          }
        };
        const wasm = run('auto');
        const js = run('ts');
        expect(Array.from(wasm.db.data)).toEqual(Array.from(js.db.data));
        // The GEMMs: float32 rounding apart, relative to the largest entry (single entries may cancel).
        for (const key of ['dw', 'dx'] as const) {
          const a = wasm[key].data;
          const e = js[key].data;
          const scale = Math.max(...Array.from(e, Math.abs));
          const worst = Math.max(...Array.from(a, (v, i) => Math.abs(v - e[i])));
          expect(worst / scale, key).toBeLessThan(1e-6);
        }
      }
    },
  );
});
