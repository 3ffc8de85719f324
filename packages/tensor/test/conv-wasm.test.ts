// The convolution loop inside the WebAssembly GEMM module against the same loop written here with the
// library's JavaScript pieces (im2colImage, col2imImage) around `gemm` on one thread: bit for bit, over
// random geometries (strides, pads, "same" and "valid" convolutions, several channels) and batches that
// cross the module's image groups.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConvGeometry,
  col2imImage,
  convBackwardF32,
  convForwardF32,
  convGeometry,
  gemm,
  gemmInfo,
  im2colImage,
  Rng,
  randn,
  setGemmBackend,
  setGemmThreads,
} from '../src/index';

const defaultThreads = gemmInfo().threads;

afterEach(() => {
  setGemmBackend('auto');
  setGemmThreads(defaultThreads);
});

const names = { fn: 'test', stride: 'stride', pad: 'pad', field: 'w' };

/** The reference: per image, im2col then `gemm`, exactly as @backprop/layers' JavaScript path. */
function reference(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  dout: Float32Array,
  g: ConvGeometry,
  N: number,
  F: number,
) {
  const K = g.C * g.HH * g.WW;
  const P = g.outHeight * g.outWidth;
  const image = g.C * g.H * g.W;
  const cols = new Float32Array(K * P);
  const dcols = new Float32Array(K * P);
  const out = new Float32Array(N * F * P);
  const dw = new Float32Array(F * K);
  const dx = new Float32Array(N * image);
  const db = new Float32Array(F);
  for (let n = 0; n < N; n++) {
    im2colImage(x, n * image, g, cols, 0);
    const o = out.subarray(n * F * P, (n + 1) * F * P);
    for (let f = 0; f < F; f++) o.fill(b[f], f * P, (f + 1) * P);
    gemm(F, P, K, w, cols, o, { beta: 1 });
    const d = dout.subarray(n * F * P, (n + 1) * F * P);
    gemm(F, K, P, d, cols, dw, { transB: true, beta: n === 0 ? 0 : 1 });
    gemm(K, P, F, w, d, dcols, { transA: true });
    col2imImage(dcols, 0, g, dx, n * image);
    for (let f = 0; f < F; f++) db[f] += biasSum(d.subarray(f * P, (f + 1) * P));
  }
  return { out, dw, dx, db };
}

/** One image's sum for db[f], as @backprop/layers' biasGradient takes it: four float64 partial sums. */
function biasSum(row: Float32Array): number {
  const s = [0, 0, 0, 0];
  let p = 0;
  for (; p + 3 < row.length; p += 4) for (let t = 0; t < 4; t++) s[t] += row[p + t];
  for (; p < row.length; p++) s[0] += row[p];
  return s[0] + s[1] + s[2] + s[3];
}

/** Bitwise equality, reported as the first differing index (a diff of large arrays would take minutes). */
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  const a = new Int32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Int32Array(expected.buffer, expected.byteOffset, expected.length);
  expect(a.length, `${what}: length`).toBe(e.length);
  const first = a.findIndex((v, i) => v !== e[i]);
  expect(first, first < 0 ? '' : `${what}[${first}] = ${actual[first]}, expected ${expected[first]}`).toBe(
    -1,
  );
}

function data(n: number, seed: number): Float32Array {
  return randn([n], { rng: new Rng(seed), dtype: 'float32' }).data as Float32Array;
}

interface ConvCase {
  N: number;
  F: number;
  C: number;
  H: number;
  W: number;
  HH: number;
  WW: number;
  stride: number;
  pad: number;
}

/** One thread: out, dw, dx and db of the module equal the JavaScript reference's, bit for bit. */
function expectCaseMatchesReference(p: ConvCase, seed: number): void {
  const g = convGeometry(names, p);
  const P = g.outHeight * g.outWidth;
  const x = data(p.N * p.C * p.H * p.W, seed);
  const w = data(p.F * p.C * p.HH * p.WW, seed + 10);
  const b = data(p.F, seed + 20);
  const dout = data(p.N * p.F * P, seed + 30);
  const want = reference(x, w, b, dout, g, p.N, p.F);
  const out = new Float32Array(p.N * p.F * P);
  const dw = new Float32Array(w.length);
  const dx = new Float32Array(x.length);
  const db = new Float32Array(p.F);
  expect(convForwardF32(x, w, b, out, g, p.N, p.F)).toBe(true);
  expect(convBackwardF32(x, w, dout, dw, dx, g, p.N, p.F, db)).toBe(true);
  expectSameBits(out, want.out, `out, case ${seed}`);
  expectSameBits(dw, want.dw, `dw, case ${seed}`);
  expectSameBits(dx, want.dx, `dx, case ${seed}`);
  expectSameBits(db, want.db, `db, case ${seed}`);
}

describe.skipIf(!gemmInfo().simd)('convForwardF32 / convBackwardF32', () => {
  it('equal im2col + gemm + col2im in JavaScript, bit for bit', () => {
    setGemmThreads(1);
    const problem = fc
      .record({
        N: fc.integer({ min: 1, max: 4 }),
        F: fc.integer({ min: 1, max: 9 }),
        C: fc.integer({ min: 1, max: 3 }),
        HH: fc.integer({ min: 1, max: 5 }),
        WW: fc.integer({ min: 1, max: 5 }),
        stride: fc.integer({ min: 1, max: 3 }),
        pad: fc.integer({ min: 0, max: 3 }),
        oh: fc.integer({ min: 1, max: 9 }),
        ow: fc.integer({ min: 1, max: 12 }),
        seed: fc.nat(),
      })
      // Sizes that the stride tiles exactly: H = (oh − 1)·stride + HH − 2·pad, at least 1.
      .map((p) => ({
        ...p,
        H: Math.max(1, (p.oh - 1) * p.stride + p.HH - 2 * p.pad),
        W: Math.max(1, (p.ow - 1) * p.stride + p.WW - 2 * p.pad),
      }))
      .filter((p) => (p.H + 2 * p.pad - p.HH) % p.stride === 0 && (p.W + 2 * p.pad - p.WW) % p.stride === 0)
      .filter((p) => p.H + 2 * p.pad >= p.HH && p.W + 2 * p.pad >= p.WW);
    fc.assert(
      fc.property(problem, (p) => {
        const g = convGeometry(names, p);
        const P = g.outHeight * g.outWidth;
        const x = data(p.N * p.C * p.H * p.W, p.seed);
        const w = data(p.F * p.C * p.HH * p.WW, p.seed + 1);
        const b = data(p.F, p.seed + 2);
        const dout = data(p.N * p.F * P, p.seed + 3);
        const want = reference(x, w, b, dout, g, p.N, p.F);
        const out = new Float32Array(p.N * p.F * P).fill(Number.NaN);
        const dw = new Float32Array(p.F * p.C * p.HH * p.WW).fill(Number.NaN);
        const dx = new Float32Array(x.length).fill(Number.NaN);
        const db = new Float32Array(p.F).fill(Number.NaN);
        expect(convForwardF32(x, w, b, out, g, p.N, p.F)).toBe(true);
        expect(convBackwardF32(x, w, dout, dw, dx, g, p.N, p.F, db)).toBe(true);
        expectSameBits(out, want.out, 'out');
        expectSameBits(dw, want.dw, 'dw');
        expectSameBits(dx, want.dx, 'dx');
        expectSameBits(db, want.db, 'db');
        // Without dx, dw is the same and dx is left alone.
        const dw2 = new Float32Array(dw.length);
        expect(convBackwardF32(x, w, dout, dw2, null, g, p.N, p.F)).toBe(true);
        expectSameBits(dw2, want.dw, 'dw2');
      }),
      { numRuns: 150 },
    );
  });

  it('takes large images in blocks of output rows with the same bits (forward, dw, dx)', () => {
    setGemmThreads(1);
    // Images whose columns pass 256 KB are taken in row blocks. Wo 32 and 16: blocks of 256 columns,
    // whole GEMM K blocks, so dw is blocked too; Wo 28: blocks of 8 rows (224 columns), dw by whole
    // images; stride 2; blocks of one row (Wo 300). The last case fits 256 KB: one block.
    const cases = [
      { N: 2, F: 5, C: 3, H: 32, W: 32, HH: 7, WW: 7, stride: 1, pad: 3 },
      { N: 2, F: 3, C: 8, H: 64, W: 16, HH: 5, WW: 5, stride: 1, pad: 2 },
      { N: 2, F: 4, C: 4, H: 28, W: 28, HH: 7, WW: 7, stride: 1, pad: 3 },
      { N: 2, F: 3, C: 16, H: 63, W: 63, HH: 3, WW: 3, stride: 2, pad: 1 },
      { N: 1, F: 2, C: 8, H: 10, W: 300, HH: 3, WW: 3, stride: 1, pad: 1 },
      { N: 3, F: 4, C: 1, H: 28, W: 28, HH: 7, WW: 7, stride: 1, pad: 3 },
    ];
    for (const [seed, p] of cases.entries()) expectCaseMatchesReference(p, seed);
  });

  it('packs the columns straight from the zero-padded image where stride is 1 and W′ a multiple of 4', () => {
    setGemmThreads(1);
    // K = 294 spans two GEMM K blocks (256); W′ 12 × 3 rows = 36 columns ends on a half panel; W′ 2052
    // spans two N blocks (2048) forward, and dw's 8208 positions many K blocks with a 1-row last
    // panel (K = 9); no padding; padding wider than the filter (outputs that see only zeros).
    const cases = [
      { N: 2, F: 5, C: 6, H: 8, W: 8, HH: 7, WW: 7, stride: 1, pad: 3 },
      { N: 2, F: 3, C: 2, H: 3, W: 12, HH: 3, WW: 3, stride: 1, pad: 1 },
      { N: 1, F: 3, C: 1, H: 4, W: 2052, HH: 3, WW: 3, stride: 1, pad: 1 },
      { N: 2, F: 4, C: 2, H: 10, W: 10, HH: 3, WW: 3, stride: 1, pad: 0 },
      { N: 2, F: 2, C: 1, H: 4, W: 4, HH: 3, WW: 3, stride: 1, pad: 3 },
    ];
    for (const [seed, p] of cases.entries()) {
      expect(convGeometry(names, p).outWidth % 4, `case ${seed}: W′`).toBe(0);
      expectCaseMatchesReference(p, seed);
    }
  });

  it('streams a batch in groups of images (256 KB on one thread), the last one short', () => {
    setGemmThreads(1);
    // 120 images of 16×16 with 4 filters: 5 KB each with the output (groups of 51, 51, 18 forward),
    // 6 KB with dout and dx (42, 42, 36 backward). 3 images of 800×800: 7.7 MB each, a group apiece.
    const cases = [
      { N: 120, F: 4, geometry: { C: 1, H: 16, W: 16, HH: 3, WW: 3, stride: 1, pad: 1 } },
      { N: 3, F: 2, geometry: { C: 1, H: 800, W: 800, HH: 3, WW: 3, stride: 1, pad: 1 } },
    ];
    for (const [seed, { N, F, geometry }] of cases.entries()) {
      expectCaseMatchesReference({ N, F, ...geometry }, seed);
    }
  });

  it("returns false, touching nothing, under setGemmBackend('ts') and for an empty batch", () => {
    const g = convGeometry(names, { C: 1, H: 4, W: 4, HH: 3, WW: 3, stride: 1, pad: 1 });
    const out = new Float32Array(16).fill(7);
    expect(convForwardF32(new Float32Array(0), new Float32Array(9), new Float32Array(1), out, g, 0, 1)).toBe(
      false,
    );
    setGemmBackend('ts');
    expect(convForwardF32(new Float32Array(16), new Float32Array(9), new Float32Array(1), out, g, 1, 1)).toBe(
      false,
    );
    expect(
      convBackwardF32(new Float32Array(16), new Float32Array(9), out, new Float32Array(9), null, g, 1, 1),
    ).toBe(false);
    expect(Array.from(out)).toEqual(new Array(16).fill(7));
  });
});
