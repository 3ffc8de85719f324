// Convolution of float32 images on the GEMM module's memory: im2col, col2im and the per-image loop of
// a convolution layer's forward and backward passes, so the columns never leave this memory (the
// JavaScript layer copies only x, w, dout and the results). Driven by src/kernels/conv-wasm.ts; the
// arithmetic is the same as @backprop/layers' JavaScript path (im2colImage / col2imImage around
// `gemm`), image by image and in the same order, so the two give the same bits.
//
// Layouts: x is n×C×H×W, w is F×K with K = C·HH·WW (rows ordered c, i, j), cols is K×P with
// P = Ho·Wo, out and dout are n×F×P. Addresses are byte addresses in this memory.
import { blockingK, blockingM, blockingN, MR, NR, packedBlockOffset } from './blocking';
import { packAAll, packedBytes, sgemmShared, sgemmStrided, workspaceBytes } from './gemm';

/** The first output index o in [0, n) with o·stride + offset ≥ 0. */
function firstInside(offset: i32, stride: i32, n: i32): i32 {
  return offset >= 0 ? 0 : min(n, (-offset + stride - 1) / stride);
}

/** One past the last output index o in [0, n) with o·stride + offset < size. */
function endInside(offset: i32, stride: i32, size: i32, n: i32): i32 {
  if (offset >= size) return 0;
  return min(n, (size - 1 - offset) / stride + 1);
}

/** n floats from src to dst (the regions do not overlap), four at a time. */
function copyFloats(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + ((<usize>k) << 2), v128.load(src + ((<usize>k) << 2)));
  for (; k < n; k++) store<f32>(dst + ((<usize>k) << 2), load<f32>(src + ((<usize>k) << 2)));
}

/** n zeros from dst. Short runs (the few padding columns of a row) are stored inline: memory.fill
 * is a call out of the compiled code, which cost more than the stores. */
function zeroFloats(dst: usize, n: i32): void {
  if (n >= 64) {
    memory.fill(dst, 0, (<usize>n) << 2);
    return;
  }
  let k = 0;
  const zero = f32x4.splat(0);
  for (; k + 4 <= n; k += 4) v128.store(dst + ((<usize>k) << 2), zero);
  for (; k < n; k++) store<f32>(dst + ((<usize>k) << 2), 0);
}

/**
 * Rows k0..k1 of one C×H×W image's im2col matrix into cols ((k1 − k0)×P, every entry written, zeros
 * included): row k is (c, i, j) with k = (c·HH + i)·WW + j. The top padding padH is apart from the
 * left padding padW: padH = pad − oh0·stride gives the columns of output rows oh0..oh0+Ho of the
 * full matrix (padH may be negative).
 */
function im2colPadded(
  x: usize,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  padH: i32,
  padW: i32,
  Ho: i32,
  Wo: i32,
  k0: i32,
  k1: i32,
  cols: usize,
): void {
  const P = Ho * Wo;
  let row = cols;
  for (let k = k0; k < k1; k++) {
    const plane = (k / (HH * WW)) * H * W; // element index of the channel's first value
    const i = (k / WW) % HH;
    const j = k % WW;
    const ohLo = firstInside(i - padH, stride, Ho);
    const ohHi = max(ohLo, endInside(i - padH, stride, H, Ho));
    const owLo = firstInside(j - padW, stride, Wo);
    const owHi = max(owLo, endInside(j - padW, stride, W, Wo));
    if (stride === 1 && Wo === W && ohHi > ohLo && owHi > owLo) {
      // "Same" convolution: the in-bounds part of the row is one contiguous span of x (x's plane
      // shifted by (i − pad, j − pad)); the entries that wrapped round from a neighbouring image
      // row are zeroed afterwards.
      const dst = ohLo * W + owLo;
      const src = plane + (ohLo + i - padH) * W + owLo + j - padW;
      const len = (ohHi - ohLo - 1) * W + (owHi - owLo);
      zeroFloats(row, dst);
      copyFloats(row + ((<usize>dst) << 2), x + ((<usize>src) << 2), len);
      zeroFloats(row + ((<usize>(dst + len)) << 2), P - dst - len);
      if (owHi - owLo < W) {
        for (let oh = ohLo; oh < ohHi; oh++) {
          const r = row + ((<usize>(oh * W)) << 2);
          zeroFloats(r, owLo);
          zeroFloats(r + ((<usize>owHi) << 2), W - owHi);
        }
      }
    } else {
      im2colRow(x, plane, H, W, i, j, stride, padH, padW, Ho, Wo, row);
    }
    row += (<usize>P) << 2;
  }
}

/**
 * Adds the col2im of cols onto dx (not zeroed first), with the top padding padH apart from the left
 * padding padW: padH = pad − oh0·stride takes cols as the columns of output rows oh0..oh0+Ho.
 */
function col2imAdd(
  cols: usize,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  padH: i32,
  padW: i32,
  Ho: i32,
  Wo: i32,
  dx: usize,
): void {
  const P = Ho * Wo;
  let row = cols;
  for (let c = 0; c < C; c++) {
    const plane = c * H * W;
    for (let i = 0; i < HH; i++) {
      const ohLo = firstInside(i - padH, stride, Ho);
      const ohHi = endInside(i - padH, stride, H, Ho);
      for (let j = 0; j < WW; j++) {
        const owLo = firstInside(j - padW, stride, Wo);
        const owHi = endInside(j - padW, stride, W, Wo);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const src = row + ((<usize>(oh * Wo)) << 2);
          const dst = plane + (oh * stride + i - padH) * W + j - padW; // dx index at ow = 0 (may be < 0)
          if (stride === 1) {
            let ow = owLo;
            for (; ow + 4 <= owHi; ow += 4) {
              const d = dx + ((<usize>(dst + ow)) << 2);
              v128.store(d, f32x4.add(v128.load(d), v128.load(src + ((<usize>ow) << 2))));
            }
            for (; ow < owHi; ow++) {
              const d = dx + ((<usize>(dst + ow)) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + ((<usize>ow) << 2)));
            }
          } else {
            for (let ow = owLo; ow < owHi; ow++) {
              const d = dx + ((<usize>(dst + ow * stride)) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + ((<usize>ow) << 2)));
            }
          }
        }
        row += (<usize>P) << 2;
      }
    }
  }
}

/**
 * Forward pass of n images: out_m = w · cols(x_m) + b for each image m. cols is a workspace of
 * convForwardColsBytes and work the GEMM's (workspaceBytes of F×P×K).
 */
export function convForward(
  n: i32,
  F: i32,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
  x: usize,
  w: usize,
  b: usize,
  out: usize,
  cols: usize,
  work: usize,
): void {
  const K = C * HH * WW;
  const P = Ho * Wo;
  const imageBytes = (<usize>(C * H * W)) << 2;
  const outBytes = (<usize>(F * P)) << 2;
  // The product is taken a block of output rows at a time: a block's columns (K × rows·Wo, about 256
  // columns) stay in L2 between their packing and the GEMM, where a whole image's (600 KB for
  // CIFAR's 7×7 conv) went out to L3 and back. Each output element still gets the same sum.
  const rows = blockRows(K, Ho, Wo);
  const padded = paddedColumns(stride, Wo);
  const ones = biasInGemm(stride, Wo, K);
  const Kg = ones ? K + 1 : K;
  // w (with b) is packed for the GEMM once for all images and blocks (the values each call would pack).
  const packedW = cols;
  const wb = packedW + align16(packedBytes(F, Kg, MR));
  if (ones) {
    for (let f = 0; f < F; f++) {
      const row = wb + ((<usize>(f * Kg)) << 2);
      copyFloats(row, w + ((<usize>(f * K)) << 2), K);
      store<f32>(row + ((<usize>K) << 2), load<f32>(b + ((<usize>f) << 2)));
    }
  }
  packAAll(false, ones ? wb : w, Kg, F, Kg, 1, packedW);
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const planes = ones ? C + 1 : C;
  const xpad = wb + (ones ? align16((<usize>(F * Kg)) << 2) : 0);
  const offsets = xpad + (padded ? align16((<usize>(planes * Hp * Wp)) << 2) : 0);
  const block = offsets + (padded ? align16((<usize>Kg) << 2) : 0);
  if (padded) {
    zeroFloats(xpad, C * Hp * Wp); // the border; each image fills the inside
    rowOffsets(C, Hp, Wp, HH, WW, offsets);
  }
  if (ones) {
    // Plane C all ones: row K of the columns, at offset C·Hp·Wp from every position.
    const plane = xpad + ((<usize>(C * Hp * Wp)) << 2);
    for (let e = 0; e < Hp * Wp; e++) store<f32>(plane + ((<usize>e) << 2), 1);
    store<i32>(offsets + ((<usize>K) << 2), (C * Hp * Wp) << 2);
  }
  for (let m = 0; m < n; m++) {
    const image = x + <usize>m * imageBytes;
    const o = out + <usize>m * outBytes;
    if (!ones) {
      // The bias first, then the product added onto it (beta = 1), as the JavaScript path does.
      for (let f = 0; f < F; f++) {
        const bias = f32x4.splat(load<f32>(b + ((<usize>f) << 2)));
        const r = o + ((<usize>(f * P)) << 2);
        let p = 0;
        for (; p + 4 <= P; p += 4) v128.store(r + ((<usize>p) << 2), bias);
        for (; p < P; p++) store<f32>(r + ((<usize>p) << 2), f32x4.extract_lane(bias, 0));
      }
    }
    if (padded) fillPadded(image, C, H, W, pad, Hp, Wp, xpad);
    for (let oh0 = 0; oh0 < Ho; oh0 += rows) {
      const count = min(rows, Ho - oh0);
      const width = count * Wo;
      const c = o + ((<usize>(oh0 * Wo)) << 2);
      if (padded) {
        // The GEMM's packed B straight from the padded image: no im2col matrix in between.
        packPaddedColumns(xpad, Wp, oh0, Wo, width, Kg, offsets, block);
        const beta: f32 = ones ? 0 : 1;
        sgemmShared(false, false, F, width, Kg, 1, beta, 0, Kg, 0, width, c, P, work, packedW, block);
      } else {
        im2colPadded(image, H, W, HH, WW, stride, pad - oh0 * stride, pad, count, Wo, 0, K, block);
        sgemmShared(false, false, F, width, K, 1, 1, w, K, block, width, c, P, work, packedW, 0);
      }
    }
  }
}

/**
 * Bytes of `cols` that convForward needs: the packed w (with b and its unpacked copy, on the padded
 * path), and for one block of output rows either the padded image (with the ones plane), its row
 * offsets and the packed columns, or the im2col columns.
 */
export function convForwardColsBytes(
  F: i32,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
): usize {
  const K = C * HH * WW;
  const padded = paddedColumns(stride, Wo);
  const ones = biasInGemm(stride, Wo, K);
  const Kg = ones ? K + 1 : K;
  const planes = ones ? C + 1 : C;
  const wb = ones ? align16((<usize>(F * Kg)) << 2) : 0;
  const image = padded
    ? align16((<usize>(planes * (H + 2 * pad) * (W + 2 * pad))) << 2) + align16((<usize>Kg) << 2)
    : 0;
  // packedBytes(width, Kg, NR) ≥ K·width·4: room for either form of a block's columns.
  return align16(packedBytes(F, Kg, MR)) + wb + image + packedBytes(blockRows(K, Ho, Wo) * Wo, Kg, NR);
}

/**
 * Bytes of `work` that convForward needs: the GEMM's workspace for its K (one more on the padded
 * path, where the bias rides in the GEMM). Takes the whole geometry, as its sibling convForwardColsBytes.
 */
export function convForwardWorkBytes(
  F: i32,
  C: i32,
  _H: i32,
  _W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  _pad: i32,
  Ho: i32,
  Wo: i32,
): usize {
  const K = C * HH * WW;
  return workspaceBytes(F, Ho * Wo, biasInGemm(stride, Wo, K) ? K + 1 : K);
}

/**
 * Whether the forward pass packs its columns straight from a zero-padded copy of the image: at stride
 * 1 with Wo a multiple of 4, every 4 consecutive columns of an im2col row are 4 consecutive floats
 * of one padded row.
 */
function paddedColumns(stride: i32, Wo: i32): bool {
  return stride === 1 && Wo % 4 === 0;
}

/**
 * Whether the forward pass's bias rides in its GEMM: on the padded path, as one more row of columns,
 * all ones (a ones plane after the image's), under one more column of w holding b. Its product
 * comes last in each sum, so out = round(Σ + b) as when the sum is added onto the bias (beta = 1),
 * and the bias fill and C's reads go. Only where K + 1 fits one GEMM K block: the sum is then
 * never split.
 */
function biasInGemm(stride: i32, Wo: i32, K: i32): bool {
  return paddedColumns(stride, Wo) && K + 1 <= blockingK();
}

/** Byte offset in the padded image (C × Hp × Wp) of im2col row k = (c, i, j), for each k. */
function rowOffsets(C: i32, Hp: i32, Wp: i32, HH: i32, WW: i32, offsets: usize): void {
  let k = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < HH; i++) {
      for (let j = 0; j < WW; j++) {
        store<i32>(offsets + ((<usize>k) << 2), ((c * Hp + i) * Wp + j) << 2);
        k++;
      }
    }
  }
}

/** The inside of the padded image (C × Hp × Wp, border already zero): the C×H×W image at x. */
function fillPadded(x: usize, C: i32, H: i32, W: i32, pad: i32, Hp: i32, Wp: i32, xpad: usize): void {
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const dst = xpad + ((<usize>((c * Hp + y + pad) * Wp + pad)) << 2);
      copyFloats(dst, x + ((<usize>((c * H + y) * W)) << 2), W);
    }
  }
}

/**
 * The im2col columns of output rows oh0.. (width = rows·Wo positions) packed as packBAll packs them
 * (the values packBPlain would read from the im2col matrix), from the padded image xpad (row stride
 * Wp): column p, row k is xpad at p's (oh, ow) plus k's offset. Stride 1 and Wo % 4 = 0 only (see
 * paddedColumns), so each half panel is one 4-float load.
 */
function packPaddedColumns(
  xpad: usize,
  Wp: i32,
  oh0: i32,
  Wo: i32,
  width: i32,
  K: i32,
  offsets: usize,
  dst: usize,
): void {
  const nb = blockingN();
  const kb = blockingK();
  for (let jc = 0; jc < width; jc += nb) {
    const nc = min(nb, width - jc);
    for (let pc = 0; pc < K; pc += kb) {
      const kc = min(kb, K - pc);
      let panel = dst + packedBlockOffset(K, jc, pc, nc, NR);
      const rowOffset = offsets + ((<usize>pc) << 2);
      for (let jr = 0; jr < nc; jr += NR) {
        const p = jc + jr;
        // The last panel of a width ≡ 4 (mod 8) has one half; it is stored twice, as the GEMM takes
        // such a panel with its half tile (microHalf), which never reads the other half.
        const q = nc - jr >= NR ? p + 4 : p;
        const lo = xpad + ((<usize>((oh0 + p / Wo) * Wp + (p % Wo))) << 2);
        const hi = xpad + ((<usize>((oh0 + q / Wo) * Wp + (q % Wo))) << 2);
        for (let k = 0; k < kc; k++) {
          const off = <usize>load<i32>(rowOffset + ((<usize>k) << 2));
          const at = panel + ((<usize>k) << 5);
          v128.store(at, v128.load(lo + off));
          v128.store(at, v128.load(hi + off), 16);
        }
        panel += (<usize>(kc * NR)) << 2;
      }
    }
  }
}

/**
 * packPaddedColumns for dw's GEMM, whose A operand the columns are: the im2col matrix (K rows ×
 * width positions) laid out as packAAll lays it out (the values packAPlain would read from the
 * matrix, but for the padding rows of a last panel), a panel holding 4 rows k and, for each
 * position, their 4 values. Four positions of 4 rows are 4 vector loads from xpad, transposed in
 * registers as packAPlain does.
 */
function packPaddedColumnsA(
  xpad: usize,
  Wp: i32,
  oh0: i32,
  Wo: i32,
  width: i32,
  K: i32,
  offsets: usize,
  dst: usize,
): void {
  const mb = blockingM();
  const kb = blockingK();
  const rowBytes = (<usize>Wp) << 2;
  for (let ic = 0; ic < K; ic += mb) {
    const mc = min(mb, K - ic);
    for (let pc = 0; pc < width; pc += kb) {
      // kb and width are multiples of 4, so every four positions lie in one output row.
      const kc = min(kb, width - pc);
      let panel = dst + packedBlockOffset(width, ic, pc, mc, MR);
      for (let ir = 0; ir < mc; ir += MR) {
        // The panel's 4 row offsets; rows past K (a last panel of mr < 4) repeat the first row:
        // their sums land in dwᵀ's padding rows, which are never read.
        const mr = min(MR, mc - ir);
        const first = offsets + ((<usize>(ic + ir)) << 2);
        const o0 = <usize>load<i32>(first);
        const o1 = mr > 1 ? <usize>load<i32>(first, 4) : o0;
        const o2 = mr > 2 ? <usize>load<i32>(first, 8) : o0;
        const o3 = mr > 3 ? <usize>load<i32>(first, 12) : o0;
        let row = xpad + <usize>(oh0 + pc / Wo) * rowBytes;
        let ow = pc % Wo;
        let out = panel;
        for (let q = 0; q < kc; q += 4) {
          const at = row + ((<usize>ow) << 2);
          transposeStore(
            out,
            16,
            v128.load(at + o0),
            v128.load(at + o1),
            v128.load(at + o2),
            v128.load(at + o3),
          );
          out += (<usize>(4 * MR)) << 2;
          ow += 4;
          if (ow === Wo) {
            ow = 0;
            row += rowBytes;
          }
        }
        panel += (<usize>(kc * MR)) << 2;
      }
    }
  }
}

/** Rows r0..r3 (4 positions each) transposed: position t's 4 values at out + stride·t (bytes). */
function transposeStore(out: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(out, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(out + stride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(out + 2 * stride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(out + 3 * stride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

/** Output columns per block of the forward and backward passes' GEMMs (see convForward). */
const COLUMN_BLOCK: i32 = 256;

/** An image's whole column matrix up to this size (bytes) already stays in L2: no blocks then. */
const WHOLE_IMAGE_BYTES: i32 = 256 << 10;

/**
 * Output rows per block: all Ho where the image's K×P columns fit WHOLE_IMAGE_BYTES (more GEMM calls
 * would only add packing), else about COLUMN_BLOCK columns, a multiple of 8 (whole register tiles)
 * where it can be.
 */
function blockRows(K: i32, Ho: i32, Wo: i32): i32 {
  if (K * Ho * Wo * 4 <= WHOLE_IMAGE_BYTES) return Ho;
  const rows = max(1, COLUMN_BLOCK / Wo);
  const tile = 8 / gcd(Wo, 8);
  return rows >= tile ? (rows / tile) * tile : rows;
}

function gcd(a: i32, b: i32): i32 {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * Backward pass of n images: dwᵀ (K×F) += cols(x_m) · dout_mᵀ for each image (the first of the whole
 * batch overwrites: `first`), and when dx ≠ 0, dx_m = col2im(wᵀ · dout_m). dwT holds
 * convBackwardDwRows rows of F (see convBackwardFilterColumns); cols and dcols are workspaces of
 * convBackwardColsBytes and convBackwardDcolsBytes; work is the GEMMs' (the larger workspaceBytes of
 * K×F×P and K×P×F).
 */
export function convBackward(
  n: i32,
  F: i32,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
  x: usize,
  w: usize,
  dout: usize,
  dwT: usize,
  dx: usize,
  first: bool,
  cols: usize,
  dcols: usize,
  work: usize,
): void {
  const K = C * HH * WW;
  convBackwardFilterColumns(
    n,
    F,
    C,
    H,
    W,
    HH,
    WW,
    stride,
    pad,
    Ho,
    Wo,
    x,
    dout,
    dwT,
    0,
    K,
    first,
    cols,
    work,
  );
  if (dx !== 0) convBackwardData(n, F, C, H, W, HH, WW, stride, pad, Ho, Wo, w, dout, dx, dcols, work);
}

/**
 * Bytes of `cols` that convBackward needs: the padded image, its row offsets and one dw block's
 * packed columns, or one block's im2col columns.
 */
export function convBackwardColsBytes(
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
): usize {
  const K = C * HH * WW;
  const P = Ho * Wo;
  const plain = (<usize>(K * P)) << 2;
  if (!paddedColumns(stride, Wo)) return plain;
  const rows = blockRows(K, Ho, Wo);
  const width = rows < Ho && (rows * Wo) % blockingK() === 0 ? rows * Wo : P;
  const image = align16((<usize>(C * (H + 2 * pad) * (W + 2 * pad))) << 2) + align16((<usize>K) << 2);
  return max(plain, image + packedBytes(K, width, MR));
}

/**
 * Bytes of `dcols` that convBackward needs: a K×P matrix, wᵀ packed for dx's GEMM and at stride 1 the
 * zero-padded dx.
 */
export function convBackwardDcolsBytes(
  F: i32,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
): usize {
  const K = C * HH * WW;
  const dxpad = stride === 1 ? (<usize>(C * (H + 2 * pad) * (W + 2 * pad))) << 2 : 0;
  const Kr = (K + MR - 1) & ~(MR - 1);
  return align16((<usize>(Kr * Ho * Wo)) << 2) + align16(packedBytes(K, F, MR)) + dxpad;
}

/**
 * col2im at stride 1 onto the zero-padded dx (C × Hp × Wp): the columns of output rows oh0..oh0+count
 * (K × count·Wo) added in col2imAdd's order, (c, i, j), then output row, then column; an entry of
 * row (c, i, j) at (oh, ow) lands on padded pixel (oh + i, ow + j), always inside.
 */
function col2imPadded(
  cols: usize,
  C: i32,
  HH: i32,
  WW: i32,
  Hp: i32,
  Wp: i32,
  oh0: i32,
  count: i32,
  Wo: i32,
  dxpad: usize,
): void {
  let src = cols;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < HH; i++) {
      for (let j = 0; j < WW; j++) {
        let dst = dxpad + ((<usize>((c * Hp + oh0 + i) * Wp + j)) << 2);
        for (let r = 0; r < count; r++) {
          let ow = 0;
          for (; ow + 4 <= Wo; ow += 4) {
            const at = (<usize>ow) << 2;
            v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
          }
          for (; ow < Wo; ow++) {
            const at = (<usize>ow) << 2;
            store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
          }
          src += (<usize>Wo) << 2;
          dst += (<usize>Wp) << 2;
        }
      }
    }
  }
}

/** The C×H×W image inside the padded one (border `pad`) into dx. */
function cropPadded(xpad: usize, C: i32, H: i32, W: i32, pad: i32, Hp: i32, Wp: i32, dx: usize): void {
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const src = xpad + ((<usize>((c * Hp + y + pad) * Wp + pad)) << 2);
      copyFloats(dx + ((<usize>((c * H + y) * W)) << 2), src, W);
    }
  }
}

/**
 * Row (c, i, j) of the im2col matrix, for the channel whose first value is x's element `plane`: the
 * P = Ho·Wo values x[c, oh·stride + i − padH, ow·stride + j − padW], zero outside x.
 */
function im2colRow(
  x: usize,
  plane: i32,
  H: i32,
  W: i32,
  i: i32,
  j: i32,
  stride: i32,
  padH: i32,
  padW: i32,
  Ho: i32,
  Wo: i32,
  row: usize,
): void {
  const ohLo = firstInside(i - padH, stride, Ho);
  const ohHi = max(ohLo, endInside(i - padH, stride, H, Ho));
  const owLo = firstInside(j - padW, stride, Wo);
  const owHi = max(owLo, endInside(j - padW, stride, W, Wo));
  zeroFloats(row, ohLo * Wo);
  for (let oh = ohLo; oh < ohHi; oh++) {
    const dst = row + ((<usize>(oh * Wo)) << 2);
    const src = plane + (oh * stride + i - padH) * W + j - padW; // x index at ow = 0 (may be < 0)
    zeroFloats(dst, owLo);
    if (stride === 1) {
      copyFloats(dst + ((<usize>owLo) << 2), x + ((<usize>(src + owLo)) << 2), owHi - owLo);
    } else {
      for (let ow = owLo; ow < owHi; ow++) {
        store<f32>(dst + ((<usize>ow) << 2), load<f32>(x + ((<usize>(src + ow * stride)) << 2)));
      }
    }
    zeroFloats(dst + ((<usize>owHi) << 2), Wo - owHi);
  }
  zeroFloats(row + ((<usize>(ohHi * Wo)) << 2), (Ho - ohHi) * Wo);
}

/** Rows of convBackward's dwT: K rounded up to whole register tiles (see convBackwardFilterColumns). */
export function convBackwardDwRows(K: i32): i32 {
  return (K + MR - 1) & ~(MR - 1);
}

/**
 * Rows k0..k1 of dwᵀ (K×F, row stride F) over n images: for each image in order, dwᵀ[k0:k1] (+)=
 * cols_m[k0:k1] · dout_mᵀ (the first image overwrites when `first`). The caller transposes dwᵀ into
 * dw once, at the end. dwᵀ = cols · doutᵀ takes the products of dw = dout · colsᵀ in the same order,
 * so the same bits; this way K (147 = 36·4 + 3 for CIFAR) is the GEMM's rows, a row panel of the
 * full register tile at its edge rather than a half-width column panel.
 *
 * The threaded backward pass splits dwᵀ's rows between its threads this way: every element gets the
 * instruction sequence of the whole product (the GEMM never splits P, its inner dimension, but into
 * whole K blocks), so any split gives the same bits. On the padded path a range ending at K is taken
 * rounded up to whole tiles (convBackwardDwRows rows in all): the padding rows' sums, never read,
 * save the edge tiles' merges. Other ranges must be whole tiles. cols is a workspace of
 * convBackwardColsBytes.
 */
export function convBackwardFilterColumns(
  n: i32,
  F: i32,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
  x: usize,
  dout: usize,
  dwT: usize,
  k0: i32,
  k1: i32,
  first: bool,
  cols: usize,
  work: usize,
): void {
  const K = C * HH * WW;
  const P = Ho * Wo;
  const imageBytes = (<usize>(C * H * W)) << 2;
  const doutBytes = (<usize>(F * P)) << 2;
  const Kb = k1 - k0;
  const c0 = dwT + ((<usize>(k0 * F)) << 2);
  // Blocks of output rows, as in convForward, where the order of every sum stays that of whole
  // images: dw sums over P, so the blocks must be whole GEMM K blocks (KC columns).
  const rows = blockRows(K, Ho, Wo);
  const dwRows = rows < Ho && (rows * Wo) % blockingK() === 0 ? rows : Ho;
  const padded = paddedColumns(stride, Wo);
  // The columns, packed from the padded image (see convForward), or an im2col matrix.
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const xpad = cols;
  const offsets = xpad + align16((<usize>(C * Hp * Wp)) << 2);
  const block = offsets + align16((<usize>K) << 2);
  if (padded) {
    zeroFloats(xpad, C * Hp * Wp);
    rowOffsets(C, Hp, Wp, HH, WW, offsets);
  }
  for (let m = 0; m < n; m++) {
    const image = x + <usize>m * imageBytes;
    const d = dout + <usize>m * doutBytes;
    if (padded) fillPadded(image, C, H, W, pad, Hp, Wp, xpad);
    for (let oh0 = 0; oh0 < Ho; oh0 += dwRows) {
      const count = min(dwRows, Ho - oh0);
      const width = count * Wo;
      const beta: f32 = first && m === 0 && oh0 === 0 ? 0 : 1;
      const d0 = d + ((<usize>(oh0 * Wo)) << 2);
      if (padded) {
        packPaddedColumnsA(xpad, Wp, oh0, Wo, width, Kb, offsets + ((<usize>k0) << 2), block);
        const Kr = convBackwardDwRows(Kb);
        sgemmShared(false, true, Kr, F, width, 1, beta, 0, width, d0, P, c0, F, work, block, 0);
      } else {
        im2colPadded(image, H, W, HH, WW, stride, pad - oh0 * stride, pad, count, Wo, k0, k1, cols);
        sgemmStrided(false, true, Kb, F, width, 1, beta, cols, width, d0, P, c0, F, work);
      }
    }
  }
}

/**
 * dx_m = col2im(wᵀ · dout_m) for n images (the data half of `convBackward`, which the threaded pass
 * splits by images); dcols is a workspace of convBackwardDcolsBytes.
 */
export function convBackwardData(
  n: i32,
  F: i32,
  C: i32,
  H: i32,
  W: i32,
  HH: i32,
  WW: i32,
  stride: i32,
  pad: i32,
  Ho: i32,
  Wo: i32,
  w: usize,
  dout: usize,
  dx: usize,
  dcols: usize,
  work: usize,
): void {
  const K = C * HH * WW;
  const P = Ho * Wo;
  const imageBytes = (<usize>(C * H * W)) << 2;
  const doutBytes = (<usize>(F * P)) << 2;
  // Blocks of output rows as in convForward, taken from the last up: col2im adds each column onto
  // its pixel in (i, j) order, which that preserves, so the sums are those of whole images.
  const rows = blockRows(K, Ho, Wo);
  // wᵀ is packed once for all images and blocks; the rows are K rounded up to whole tiles (see
  // convBackwardFilterColumns).
  const Kr = (K + MR - 1) & ~(MR - 1);
  const packedWT = dcols + align16((<usize>(Kr * P)) << 2);
  packAAll(true, w, K, K, F, 1, packedWT);
  // At stride 1 the columns are added onto a zero-padded dx, whose border takes the entries that
  // fall outside the image: whole rows, no bounds per row. The image's pixels get the same sums.
  const unitStride = stride === 1;
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const dxpad = packedWT + align16(packedBytes(K, F, MR));
  for (let m = 0; m < n; m++) {
    const d = dout + <usize>m * doutBytes;
    const dxm = dx + <usize>m * imageBytes;
    zeroFloats(unitStride ? dxpad : dxm, unitStride ? C * Hp * Wp : C * H * W);
    for (let oh0 = ((Ho - 1) / rows) * rows; oh0 >= 0; oh0 -= rows) {
      const count = min(rows, Ho - oh0);
      const width = count * Wo;
      const d0 = d + ((<usize>(oh0 * Wo)) << 2);
      sgemmShared(true, false, Kr, width, F, 1, 0, w, K, d0, P, dcols, width, work, packedWT, 0);
      if (unitStride) col2imPadded(dcols, C, HH, WW, Hp, Wp, oh0, count, Wo, dxpad);
      else col2imAdd(dcols, C, H, W, HH, WW, stride, pad - oh0 * stride, pad, count, Wo, dxm);
    }
    if (unitStride) cropPadded(dxpad, C, H, W, pad, Hp, Wp, dxm);
  }
}

/**
 * db (F) = Σ over n images and the P positions of dout (n×F×P), added onto db unless `first`. The
 * bits of @backprop/layers' JavaScript biasGradient: per image and filter, four float64 partial sums
 * (positions p ≡ 0, 1, 2, 3 mod 4 from the row's start, here the two lanes of two f64x2), added as
 * ((s0 + s1) + s2) + s3 onto db[f] and rounded to float32 once per image.
 */
export function biasGradient(n: i32, F: i32, P: i32, dout: usize, db: usize, first: bool): void {
  if (first) zeroFloats(db, F);
  let row = dout;
  for (let m = 0; m < n; m++) {
    for (let f = 0; f < F; f++) {
      let s01 = f64x2.splat(0);
      let s23 = f64x2.splat(0);
      let p = 0;
      for (; p + 4 <= P; p += 4) {
        const v = v128.load(row + ((<usize>p) << 2));
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(v));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      }
      let s0 = f64x2.extract_lane(s01, 0);
      for (; p < P; p++) s0 += <f64>load<f32>(row + ((<usize>p) << 2));
      const sum = s0 + f64x2.extract_lane(s01, 1) + f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1);
      const d = db + ((<usize>f) << 2);
      store<f32>(d, <f32>(<f64>load<f32>(d) + sum));
      row += (<usize>P) << 2;
    }
  }
}
