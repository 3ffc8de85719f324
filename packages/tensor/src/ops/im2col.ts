// im2col turns a convolution into a GEMM: for one image, column (oh, ow) of the matrix holds the
// receptive field the filter sees at output position (oh, ow):
//   cols[(c·HH + i)·WW + j, oh·W' + ow] = xpad[c, oh·stride + i, ow·stride + j]   (zero outside x)
// col2im is its adjoint (<im2col(x), cols> = <x, col2im(cols)>): it adds every column entry back onto
// the input pixel it was read from, which is how a convolution's dx is assembled from dcols.
//
// Layout: one (C·HH·WW) × (H'·W') matrix per image, so `w (F × C·HH·WW) · cols` is that image's
// output already in NCHW order (no transpose after the GEMM), and each image's columns fit in cache.
// The loops are per matrix row (c, i, j): the valid output range along a row is computed once, so
// the zero padding costs two short fills and the inner loop has no branch.
import { checkNumber, checkRank, describe } from '../check';
import { allocate, type FloatArray } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';

/** Sizes of one sliding-window operation over a C×H×W image, validated by `convGeometry`. */
export interface ConvGeometry {
  /** Input channels, height and width. */
  C: number;
  H: number;
  W: number;
  /** Filter (field) height and width. */
  HH: number;
  WW: number;
  stride: number;
  pad: number;
  /** H' = 1 + (H + 2·pad − HH) / stride. */
  outHeight: number;
  /** W' = 1 + (W + 2·pad − WW) / stride. */
  outWidth: number;
}

/** Names of the arguments `convGeometry` reports in its errors (they differ between callers). */
export interface ConvGeometryNames {
  /** The function to blame, e.g. `convForward`. */
  fn: string;
  /** e.g. `convParam.stride` */
  stride: string;
  /** e.g. `convParam.pad` */
  pad: string;
  /** The argument holding the filter size, e.g. `w`. */
  field: string;
}

/**
 * Validates a convolution's sizes and returns its geometry. stride must be an integer >= 1 and pad an
 * integer >= 0; the filter must fit the padded input, and stride must tile it exactly:
 * (H + 2·pad − HH) and (W + 2·pad − WW) must both be multiples of stride (else a ValueError that names
 * the stride and pad and shows the arithmetic), so no input row or column is silently dropped.
 */
export function convGeometry(
  names: ConvGeometryNames,
  sizes: { C: number; H: number; W: number; HH: number; WW: number; stride: unknown; pad: unknown },
): ConvGeometry {
  if (names === null || typeof names !== 'object' || typeof names.fn !== 'string') {
    throw new ValueError(
      'convGeometry',
      'names',
      `must be an object { fn, stride, pad, field } naming the caller's arguments, got ${describe(names)}`,
    );
  }
  const { fn } = names;
  if (sizes === null || typeof sizes !== 'object') {
    throw new ValueError(
      fn,
      'sizes',
      `must be an object { C, H, W, HH, WW, stride, pad }, got ${describe(sizes)}`,
    );
  }
  const { C, H, W, HH, WW } = sizes;
  const stride = checkNumber(fn, names.stride, sizes.stride, { integer: true, min: 1 });
  const pad = checkNumber(fn, names.pad, sizes.pad, { integer: true, min: 0 });
  const spanH = H + 2 * pad - HH;
  const spanW = W + 2 * pad - WW;
  if (HH < 1 || WW < 1 || spanH < 0 || spanW < 0) {
    throw new ValueError(
      fn,
      names.field,
      `has a ${HH}×${WW} field, expected one that fits the padded ${H + 2 * pad}×${W + 2 * pad} input (H, W = ${H}, ${W}; pad = ${pad}) and is at least 1×1`,
    );
  }
  for (const [axis, span, size, field] of [
    ['H', spanH, H, HH],
    ['W', spanW, W, WW],
  ] as const) {
    if (span % stride !== 0) {
      throw new ValueError(
        fn,
        `${names.stride}/${names.pad}`,
        `do not tile the input: (${axis} + 2·pad − ${axis === 'H' ? 'HH' : 'WW'}) / stride = (${size} + 2·${pad} − ${field}) / ${stride} = ${span}/${stride} is not an integer; choose stride ${stride} and pad ${pad} so it is`,
      );
    }
  }
  return { C, H, W, HH, WW, stride, pad, outHeight: 1 + spanH / stride, outWidth: 1 + spanW / stride };
}

/** A per-image kernel's geometry must be a `convGeometry` result (one cheap check per image, not per value). */
function checkGeometry(fn: string, g: ConvGeometry): void {
  if (g === null || typeof g !== 'object' || !(g.outHeight >= 0) || !(g.outWidth >= 0)) {
    throw new ValueError(fn, 'g', `must be the ConvGeometry convGeometry returned, got ${describe(g)}`);
  }
}

/** First output index o in [0, n) with 0 <= o·stride + offset, i.e. the start of the in-bounds range. */
function firstInside(offset: number, stride: number, n: number): number {
  return offset >= 0 ? 0 : Math.min(n, Math.ceil(-offset / stride));
}

/** One past the last output index o in [0, n) with o·stride + offset < size. */
function endInside(offset: number, stride: number, size: number, n: number): number {
  if (offset >= size) return 0;
  return Math.min(n, Math.floor((size - 1 - offset) / stride) + 1);
}

/**
 * im2col of one image: `x` holds C·H·W values from `xOffset`; `cols` receives the
 * (C·HH·WW) × (H'·W') matrix from `colsOffset`, every entry written (zeros included), so `cols` can be
 * a reused workspace.
 */
export function im2colImage(
  x: FloatArray,
  xOffset: number,
  g: ConvGeometry,
  cols: FloatArray,
  colsOffset: number,
): void {
  checkGeometry('im2colImage', g);
  const { C, H, W, HH, WW, stride, pad, outHeight, outWidth } = g;
  const P = outHeight * outWidth;
  let row = colsOffset;
  for (let c = 0; c < C; c++) {
    const plane = xOffset + c * H * W;
    for (let i = 0; i < HH; i++) {
      // Output rows whose input row oh·stride + i − pad lies inside x.
      const ohLo = firstInside(i - pad, stride, outHeight);
      const ohHi = Math.max(ohLo, endInside(i - pad, stride, H, outHeight));
      for (let j = 0; j < WW; j++) {
        const owLo = firstInside(j - pad, stride, outWidth);
        const owHi = Math.max(owLo, endInside(j - pad, stride, W, outWidth));
        if (stride === 1 && outWidth === W && ohHi > ohLo && owHi > owLo) {
          // "Same" convolution: the matrix row is x's plane shifted by (i − pad, j − pad), so the in-bounds
          // rows are one contiguous span of x (a memcpy), after which the few entries that wrapped round
          // from a neighbouring image row are zeroed (measured 4x faster than per-row loops, bench/conv).
          const dst = row + ohLo * W + owLo;
          const src = plane + (ohLo + i - pad) * W + owLo + j - pad;
          const len = (ohHi - ohLo - 1) * W + (owHi - owLo);
          cols.fill(0, row, dst);
          cols.set(x.subarray(src, src + len), dst);
          cols.fill(0, dst + len, row + P);
          if (owHi - owLo < W) {
            for (let oh = ohLo; oh < ohHi; oh++) {
              const r = row + oh * W;
              for (let ow = 0; ow < owLo; ow++) cols[r + ow] = 0;
              for (let ow = owHi; ow < W; ow++) cols[r + ow] = 0;
            }
          }
          row += P;
          continue;
        }
        cols.fill(0, row, row + ohLo * outWidth);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const dst = row + oh * outWidth;
          const src = plane + (oh * stride + i - pad) * W + j - pad;
          for (let ow = 0; ow < owLo; ow++) cols[dst + ow] = 0;
          if (stride === 1) {
            for (let ow = owLo; ow < owHi; ow++) cols[dst + ow] = x[src + ow];
          } else {
            for (let ow = owLo, s = src + owLo * stride; ow < owHi; ow++, s += stride) cols[dst + ow] = x[s];
          }
          for (let ow = owHi; ow < outWidth; ow++) cols[dst + ow] = 0;
        }
        cols.fill(0, row + ohHi * outWidth, row + P);
        row += P;
      }
    }
  }
}

/**
 * col2im of one image, the adjoint of `im2colImage`: adds each entry of the (C·HH·WW) × (H'·W') matrix
 * at `colsOffset` onto the input pixel it was read from. The C·H·W values of `dx` at `dxOffset` are
 * overwritten (zeroed first), not accumulated into; entries that fell on the padding are dropped.
 */
export function col2imImage(
  cols: FloatArray,
  colsOffset: number,
  g: ConvGeometry,
  dx: FloatArray,
  dxOffset: number,
): void {
  checkGeometry('col2imImage', g);
  const { C, H, W, HH, WW, stride, pad, outHeight, outWidth } = g;
  const P = outHeight * outWidth;
  dx.fill(0, dxOffset, dxOffset + C * H * W);
  let row = colsOffset;
  for (let c = 0; c < C; c++) {
    const plane = dxOffset + c * H * W;
    for (let i = 0; i < HH; i++) {
      const ohLo = firstInside(i - pad, stride, outHeight);
      const ohHi = endInside(i - pad, stride, H, outHeight);
      for (let j = 0; j < WW; j++) {
        const owLo = firstInside(j - pad, stride, outWidth);
        const owHi = endInside(j - pad, stride, W, outWidth);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const src = row + oh * outWidth;
          const dst = plane + (oh * stride + i - pad) * W + j - pad;
          if (stride === 1) {
            // Unrolled by 4: V8 does not unroll, and the loop overhead was a third of col2im (bench/conv).
            let ow = owLo;
            for (; ow + 3 < owHi; ow += 4) {
              const d = dst + ow;
              const s = src + ow;
              dx[d] += cols[s];
              dx[d + 1] += cols[s + 1];
              dx[d + 2] += cols[s + 2];
              dx[d + 3] += cols[s + 3];
            }
            for (; ow < owHi; ow++) dx[dst + ow] += cols[src + ow];
          } else {
            for (let ow = owLo, d = dst + owLo * stride; ow < owHi; ow++, d += stride)
              dx[d] += cols[src + ow];
          }
        }
        row += P;
      }
    }
  }
}

/** Options of `im2col` / `col2im`: the sliding window. */
export interface Im2colOptions {
  /** HH, the window height. */
  fieldHeight: number;
  /** WW, the window width. */
  fieldWidth: number;
  /** Step between windows; default 1. */
  stride?: number;
  /** Zero padding on every side; default 0. */
  pad?: number;
}

function geometryFor(fn: string, C: number, H: number, W: number, opts: Im2colOptions): ConvGeometry {
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError(fn, 'opts', 'must be an object { fieldHeight, fieldWidth, stride?, pad? }');
  }
  const HH = checkNumber(fn, 'opts.fieldHeight', opts.fieldHeight, { integer: true, min: 1 });
  const WW = checkNumber(fn, 'opts.fieldWidth', opts.fieldWidth, { integer: true, min: 1 });
  return convGeometry(
    { fn, stride: 'opts.stride', pad: 'opts.pad', field: 'opts.fieldHeight/fieldWidth' },
    { C, H, W, HH, WW, stride: opts.stride ?? 1, pad: opts.pad ?? 0 },
  );
}

/**
 * The im2col matrices of a batch: `out[n, (c·HH + i)·WW + j, oh·W' + ow] = xpad[n, c, oh·stride + i, ow·stride + j]`.
 * @param x - images, shape [N, C, H, W]
 * @param opts - window size, stride (default 1) and zero padding (default 0); the stride must tile the
 *   padded input exactly (see `convGeometry`)
 * @returns shape [N, C·HH·WW, H'·W'], x's dtype
 */
export function im2col(x: Tensor, opts: Im2colOptions): Tensor {
  checkRank('im2col', 'x', x, 4, '[N, C, H, W]');
  const [N, C, H, W] = x.shape;
  const g = geometryFor('im2col', C, H, W, opts);
  const K = C * g.HH * g.WW;
  const P = g.outHeight * g.outWidth;
  const out = allocate(x.dtype, N * K * P);
  for (let n = 0; n < N; n++) im2colImage(x.data, n * C * H * W, g, out, n * K * P);
  return new Tensor(out, [N, K, P]);
}

/**
 * The adjoint of `im2col`: sums each column entry back onto the input pixel it came from.
 * @param cols - shape [N, C·HH·WW, H'·W']
 * @param xShape - the image shape [N, C, H, W]
 * @param opts - the same window options given to `im2col`
 * @returns shape xShape, cols' dtype
 */
export function col2im(cols: Tensor, xShape: readonly number[], opts: Im2colOptions): Tensor {
  checkRank('col2im', 'cols', cols, 3, '[N, C·HH·WW, H′·W′]');
  if (!Array.isArray(xShape) || xShape.length !== 4 || xShape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError(
      'col2im',
      'xShape',
      `must be 4 non-negative integers [N, C, H, W], got ${Array.isArray(xShape) ? formatShape(xShape) : String(xShape)}`,
    );
  }
  const [N, C, H, W] = xShape;
  const g = geometryFor('col2im', C, H, W, opts);
  const K = C * g.HH * g.WW;
  const P = g.outHeight * g.outWidth;
  if (cols.shape[0] !== N || cols.shape[1] !== K || cols.shape[2] !== P) {
    throw new ShapeError(
      'col2im',
      'cols',
      `has shape ${formatShape(cols.shape)}, expected [${N}, ${K}, ${P}] (N, C·HH·WW, H′·W′) for xShape ${formatShape(xShape)}`,
    );
  }
  const dx = allocate(cols.dtype, N * C * H * W);
  for (let n = 0; n < N; n++) col2imImage(cols.data, n * K * P, g, dx, n * C * H * W);
  return new Tensor(dx, [N, C, H, W]);
}
