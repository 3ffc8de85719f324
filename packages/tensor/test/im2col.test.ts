import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arange,
  col2im,
  col2imImage,
  convGeometry,
  type DType,
  type FloatArray,
  im2col,
  im2colImage,
  Rng,
  randn,
  ShapeError,
  Tensor,
  ValueError,
  zeros,
} from '../src/index';

// The definitions, written independently of the kernels: one loop per index, reading/writing through
// the formula cols[n, (c·HH + i)·WW + j, oh·W' + ow] = xpad[n, c, oh·s + i, ow·s + j].
function naiveIm2col(x: Tensor, HH: number, WW: number, s: number, p: number): number[] {
  const [N, C, H, W] = x.shape;
  const Ho = 1 + (H + 2 * p - HH) / s;
  const Wo = 1 + (W + 2 * p - WW) / s;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < HH; i++)
        for (let j = 0; j < WW; j++)
          for (let oh = 0; oh < Ho; oh++)
            for (let ow = 0; ow < Wo; ow++) {
              const h = oh * s + i - p;
              const w = ow * s + j - p;
              out.push(h >= 0 && h < H && w >= 0 && w < W ? x.get(n, c, h, w) : 0);
            }
  return out;
}

function naiveCol2im(cols: Tensor, xShape: number[], HH: number, WW: number, s: number, p: number): number[] {
  const [N, C, H, W] = xShape;
  const Ho = 1 + (H + 2 * p - HH) / s;
  const Wo = 1 + (W + 2 * p - WW) / s;
  const dx = new Array<number>(N * C * H * W).fill(0);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < HH; i++)
        for (let j = 0; j < WW; j++)
          for (let oh = 0; oh < Ho; oh++)
            for (let ow = 0; ow < Wo; ow++) {
              const h = oh * s + i - p;
              const w = ow * s + j - p;
              if (h >= 0 && h < H && w >= 0 && w < W) {
                dx[((n * C + c) * H + h) * W + w] += cols.get(n, (c * HH + i) * WW + j, oh * Wo + ow);
              }
            }
  return dx;
}

/** Random window geometries that tile their input: H = (H' − 1)·stride + HH − 2·pad >= 1. */
const geometry = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    HH: fc.integer({ min: 1, max: 4 }),
    WW: fc.integer({ min: 1, max: 4 }),
    Ho: fc.integer({ min: 1, max: 5 }),
    Wo: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map((g) => ({
    ...g,
    H: (g.Ho - 1) * g.stride + g.HH - 2 * g.pad,
    W: (g.Wo - 1) * g.stride + g.WW - 2 * g.pad,
  }))
  .filter((g) => g.H >= 1 && g.W >= 1);

const names = { fn: 'f', stride: 'opts.stride', pad: 'opts.pad', field: 'w' };

function expectThrow(fn: () => unknown, cls: new (...args: never[]) => Error, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name}: ${message}`).toBeInstanceOf(cls);
  expect((caught as Error).message).toBe(message);
}

describe('im2col', () => {
  it('lays out the receptive fields by hand for a 3×3 image, 2×2 field, stride 1, pad 0', () => {
    // x = [[0,1,2],[3,4,5],[6,7,8]]: the four 2×2 windows, one matrix row per field tap (i, j).
    const x = arange(0, 9, 1, 'float64').reshape([1, 1, 3, 3]);
    const cols = im2col(x, { fieldHeight: 2, fieldWidth: 2 });
    expect(cols.shape).toEqual([1, 4, 4]);
    expect(cols.toArray()).toEqual([
      [
        [0, 1, 3, 4], // tap (0,0): top-left of each window
        [1, 2, 4, 5], // tap (0,1)
        [3, 4, 6, 7], // tap (1,0)
        [4, 5, 7, 8], // tap (1,1)
      ],
    ]);
  });

  it('pads with zeros by hand for a 2×2 image, 3×3 field, pad 1, stride 1', () => {
    // xpad is 4×4 with x = [[1,2],[3,4]] in the middle; H' = 1 + (2 + 2 − 3)/1 = 2, so the windows
    // start at (0,0), (0,1), (1,0), (1,1) of xpad.
    const x = arange(1, 5, 1, 'float64').reshape([1, 1, 2, 2]);
    const cols = im2col(x, { fieldHeight: 3, fieldWidth: 3, pad: 1 });
    expect(cols.shape).toEqual([1, 9, 4]);
    expect(cols.toArray()).toEqual([
      [
        [0, 0, 0, 1],
        [0, 0, 1, 2],
        [0, 0, 2, 0],
        [0, 1, 0, 3],
        [1, 2, 3, 4],
        [2, 0, 4, 0],
        [0, 3, 0, 0],
        [3, 4, 0, 0],
        [4, 0, 0, 0],
      ],
    ]);
  });

  it('equals the index formula for random shapes, strides and pads (both dtypes)', () => {
    fc.assert(
      fc.property(geometry, fc.constantFrom<DType>('float32', 'float64'), (g, dtype) => {
        const x = randn([g.N, g.C, g.H, g.W], { rng: new Rng(g.seed), dtype });
        const cols = im2col(x, { fieldHeight: g.HH, fieldWidth: g.WW, stride: g.stride, pad: g.pad });
        expect(cols.shape).toEqual([g.N, g.C * g.HH * g.WW, g.Ho * g.Wo]);
        expect(cols.dtype).toBe(dtype);
        // A copy of the input values: exact in either dtype.
        expect(Array.from(cols.data)).toEqual(naiveIm2col(x, g.HH, g.WW, g.stride, g.pad));
      }),
      { numRuns: 150 },
    );
  });

  it('covers the stride-1 "same" fast path with wide filters and large pads', () => {
    // W' = W exactly when 2·pad = WW − 1 with stride 1, the ThreeLayerConvNet case; also pads wider
    // than the image, where a tap may fall wholly outside x.
    for (const [H, W, HH, WW, pad] of [
      [5, 6, 3, 3, 1],
      [4, 4, 7, 7, 3],
      [1, 3, 5, 3, 1],
      [3, 2, 5, 5, 2],
      [2, 5, 1, 1, 0],
    ]) {
      const x = randn([2, 2, H, W], { rng: new Rng(H * 10 + W), dtype: 'float64' });
      const Ho = H + 2 * pad - HH + 1;
      const Wo = W + 2 * pad - WW + 1;
      if (Ho < 1 || Wo < 1) continue;
      const cols = im2col(x, { fieldHeight: HH, fieldWidth: WW, pad });
      expect(Array.from(cols.data)).toEqual(naiveIm2col(x, HH, WW, 1, pad));
    }
  });

  it('writes every entry of a reused workspace (zeros included)', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const x = randn([1, g.C, g.H, g.W], { rng: new Rng(g.seed), dtype: 'float64' });
        const geo = convGeometry(names, {
          C: g.C,
          H: g.H,
          W: g.W,
          HH: g.HH,
          WW: g.WW,
          stride: g.stride,
          pad: g.pad,
        });
        const K = g.C * g.HH * g.WW;
        const P = g.Ho * g.Wo;
        // Garbage before, inside and after the target range: only the range is written.
        const work = new Float64Array(K * P + 6).fill(Number.NaN);
        im2colImage(x.data, 0, geo, work, 3);
        expect(Array.from(work.subarray(3, 3 + K * P))).toEqual(naiveIm2col(x, g.HH, g.WW, g.stride, g.pad));
        expect(Array.from(work.subarray(0, 3)).every(Number.isNaN)).toBe(true);
        expect(Array.from(work.subarray(3 + K * P)).every(Number.isNaN)).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('rejects a stride that does not tile the padded input, naming stride and pad', () => {
    const x = zeros([1, 1, 5, 5], 'float64');
    expectThrow(
      () => im2col(x, { fieldHeight: 2, fieldWidth: 2, stride: 2, pad: 0 }),
      ValueError,
      'im2col: opts.stride/opts.pad do not tile the input: (H + 2·pad − HH) / stride = (5 + 2·0 − 2) / 2 = 3/2 is not an integer; choose stride 2 and pad 0 so it is',
    );
    expectThrow(
      () => im2col(zeros([1, 1, 5, 4], 'float64'), { fieldHeight: 3, fieldWidth: 3, stride: 2, pad: 0 }),
      ValueError,
      'im2col: opts.stride/opts.pad do not tile the input: (W + 2·pad − WW) / stride = (4 + 2·0 − 3) / 2 = 1/2 is not an integer; choose stride 2 and pad 0 so it is',
    );
  });

  it('rejects bad window options and inputs', () => {
    const x = zeros([1, 2, 4, 4], 'float64');
    expectThrow(
      () => im2col(x, { fieldHeight: 0, fieldWidth: 2 }),
      ValueError,
      'im2col: opts.fieldHeight must be an integer >= 1, got 0',
    );
    expectThrow(
      () => im2col(x, { fieldHeight: 2, fieldWidth: 1.5 }),
      ValueError,
      'im2col: opts.fieldWidth must be an integer >= 1, got 1.5',
    );
    expectThrow(
      () => im2col(x, { fieldHeight: 2, fieldWidth: 2, stride: 0 }),
      ValueError,
      'im2col: opts.stride must be an integer >= 1, got 0',
    );
    expectThrow(
      () => im2col(x, { fieldHeight: 2, fieldWidth: 2, pad: -1 }),
      ValueError,
      'im2col: opts.pad must be an integer >= 0, got -1',
    );
    expectThrow(
      () => im2col(x, { fieldHeight: 7, fieldWidth: 2, pad: 1 }),
      ValueError,
      'im2col: opts.fieldHeight/fieldWidth has a 7×2 field, expected one that fits the padded 6×6 input (H, W = 4, 4; pad = 1) and is at least 1×1',
    );
    expectThrow(
      () => im2col(zeros([2, 4, 4], 'float64'), { fieldHeight: 2, fieldWidth: 2 }),
      ShapeError,
      'im2col: x has shape [2,4,4], expected [N, C, H, W] (4 dimensions)',
    );
    expectThrow(
      () => im2col(x, null as unknown as { fieldHeight: number; fieldWidth: number }),
      ValueError,
      'im2col: opts must be an object { fieldHeight, fieldWidth, stride?, pad? }',
    );
  });
});

describe('col2im', () => {
  it('sums overlapping windows back by hand for a 3×3 image, 2×2 field', () => {
    // All-ones columns: each pixel receives one count per window that covers it.
    const cols = new Tensor(new Float64Array(16).fill(1), [1, 4, 4]);
    expect(col2im(cols, [1, 1, 3, 3], { fieldHeight: 2, fieldWidth: 2 }).toArray()).toEqual([
      [
        [
          [1, 2, 1],
          [2, 4, 2],
          [1, 2, 1],
        ],
      ],
    ]);
  });

  it('equals the scatter-add formula for random shapes, strides and pads', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const xShape = [g.N, g.C, g.H, g.W];
        const cols = randn([g.N, g.C * g.HH * g.WW, g.Ho * g.Wo], { rng: new Rng(g.seed), dtype: 'float64' });
        const dx = col2im(cols, xShape, {
          fieldHeight: g.HH,
          fieldWidth: g.WW,
          stride: g.stride,
          pad: g.pad,
        });
        expect(dx.shape).toEqual(xShape);
        const expected = naiveCol2im(cols, xShape, g.HH, g.WW, g.stride, g.pad);
        for (let i = 0; i < expected.length; i++) expect(dx.data[i]).toBeCloseTo(expected[i], 12);
      }),
      { numRuns: 150 },
    );
  });

  it('is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const opts = { fieldHeight: g.HH, fieldWidth: g.WW, stride: g.stride, pad: g.pad };
        const rng = new Rng(g.seed);
        const x = randn([g.N, g.C, g.H, g.W], { rng, dtype: 'float64' });
        const c = randn([g.N, g.C * g.HH * g.WW, g.Ho * g.Wo], { rng, dtype: 'float64' });
        const left = dot(im2col(x, opts).data, c.data);
        const right = dot(x.data, col2im(c, x.shape, opts).data);
        expect(Math.abs(left - right)).toBeLessThan(1e-12 * (1 + Math.abs(left)));
      }),
      { numRuns: 150 },
    );
  });

  it('overwrites its target range (a reused dx needs no clearing) and leaves cols untouched', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const geo = convGeometry(names, {
          C: g.C,
          H: g.H,
          W: g.W,
          HH: g.HH,
          WW: g.WW,
          stride: g.stride,
          pad: g.pad,
        });
        const cols = randn([1, g.C * g.HH * g.WW, g.Ho * g.Wo], { rng: new Rng(g.seed), dtype: 'float64' });
        const before = Array.from(cols.data);
        const CHW = g.C * g.H * g.W;
        const dx = new Float64Array(CHW + 4).fill(Number.NaN);
        col2imImage(cols.data, 0, geo, dx, 2);
        expect(Array.from(cols.data)).toEqual(before);
        const expected = naiveCol2im(cols, [1, g.C, g.H, g.W], g.HH, g.WW, g.stride, g.pad);
        for (let i = 0; i < CHW; i++) expect(dx[2 + i]).toBeCloseTo(expected[i], 12);
        expect([dx[0], dx[1], dx[CHW + 2], dx[CHW + 3]].every(Number.isNaN)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects columns that do not match xShape, and a bad xShape', () => {
    const opts = { fieldHeight: 2, fieldWidth: 2 };
    expectThrow(
      () => col2im(zeros([1, 4, 5], 'float64'), [1, 1, 3, 3], opts),
      ShapeError,
      'col2im: cols has shape [1,4,5], expected [1, 4, 4] (N, C·HH·WW, H′·W′) for xShape [1,1,3,3]',
    );
    expectThrow(
      () => col2im(zeros([1, 4, 4], 'float64'), [1, 3, 3], opts),
      ValueError,
      'col2im: xShape must be 4 non-negative integers [N, C, H, W], got [1,3,3]',
    );
    expectThrow(
      () => col2im(zeros([4, 4], 'float64'), [1, 1, 3, 3], opts),
      ShapeError,
      'col2im: cols has shape [4,4], expected [N, C·HH·WW, H′·W′] (3 dimensions)',
    );
  });
});

describe('convGeometry', () => {
  it('computes H′ = 1 + (H + 2·pad − HH)/stride and W′ likewise', () => {
    const g = convGeometry(names, { C: 3, H: 32, W: 30, HH: 7, WW: 5, stride: 1, pad: 3 });
    expect(g).toEqual({ C: 3, H: 32, W: 30, HH: 7, WW: 5, stride: 1, pad: 3, outHeight: 32, outWidth: 32 });
    expect(convGeometry(names, { C: 1, H: 7, W: 7, HH: 3, WW: 3, stride: 2, pad: 1 }).outHeight).toBe(4);
  });

  it('rejects null names or sizes, and the per-image kernels reject a null geometry, with ValueErrors', () => {
    const sizes = { C: 1, H: 3, W: 3, HH: 2, WW: 2, stride: 1, pad: 0 };
    expectThrow(
      () => convGeometry(null as unknown as typeof names, sizes),
      ValueError,
      "convGeometry: names must be an object { fn, stride, pad, field } naming the caller's arguments, got null",
    );
    expectThrow(
      () => convGeometry(names, null as unknown as typeof sizes),
      ValueError,
      'f: sizes must be an object { C, H, W, HH, WW, stride, pad }, got null',
    );
    const buf = new Float64Array(16);
    const bad = null as unknown as ReturnType<typeof convGeometry>;
    expectThrow(
      () => im2colImage(buf, 0, bad, buf, 0),
      ValueError,
      'im2colImage: g must be the ConvGeometry convGeometry returned, got null',
    );
    expectThrow(
      () => col2imImage(buf, 0, bad, buf, 0),
      ValueError,
      'col2imImage: g must be the ConvGeometry convGeometry returned, got null',
    );
    // A valid geometry still runs: the 2×2 fields of a 3×3 ramp.
    const g = convGeometry(names, sizes);
    const cols = new Float64Array(16);
    im2colImage(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), 0, g, cols, 0);
    expect(Array.from(cols.subarray(0, 4))).toEqual([0, 1, 3, 4]);
  });
});

function dot(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
