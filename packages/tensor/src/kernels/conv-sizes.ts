// What both convolution drivers (conv-wasm.ts on one thread, gemm-threads.ts over the helpers) share:
// the sizes they derive from a layer's geometry, the limits on how many images they copy in at a
// time, and the copy of the module's dwᵀ out into dw.
import type { ConvGeometry } from '../ops/im2col';

/** Bytes of images (input and output together) copied into a module's memory per group. */
export const GROUP_BYTES = 16 * 2 ** 20;

/**
 * The group limit on one thread: about an L2 cache, so each group's output (forward) or dout
 * (backward) is still in L2 when the GEMMs use it or it is copied out, where 16 MB groups stream it
 * through L3 (CIFAR conv1 forward + backward measured 1–1.5 ms faster, of 45). The threads keep
 * GROUP_BYTES: they split a group's images between them.
 */
export const SINGLE_THREAD_GROUP_BYTES = 256 * 2 ** 10;

export interface ConvSizes {
  /** Rows of the im2col matrix: C·HH·WW. */
  K: number;
  /** Output positions per image: H'·W'. */
  P: number;
  /** Floats per input image: C·H·W. */
  image: number;
  /** Images per group: as many as the group limit holds (at least 1, at most N). */
  G: number;
}

/**
 * The sizes of a convolution of N images and F filters whose groups hold, per image, `inputs` input-
 * sized arrays (x; x and dx) and one output-sized one (out or dout).
 */
export function convSizes(
  g: ConvGeometry,
  N: number,
  F: number,
  inputs: 1 | 2,
  groupBytes = GROUP_BYTES,
): ConvSizes {
  const K = g.C * g.HH * g.WW;
  const P = g.outHeight * g.outWidth;
  const image = g.C * g.H * g.W;
  const G = Math.max(1, Math.min(N, Math.floor(groupBytes / (4 * (inputs * image + F * P)))));
  return { K, P, image, G };
}

/**
 * dw (F×K) from the module's dwᵀ (K rows of F at byte offset `at` of mem): the backward pass sums
 * dwᵀ = cols·doutᵀ (assembly/conv.ts, convBackwardFilterColumns), the same bits as dw = dout·colsᵀ.
 */
export function copyDwFromTransposed(
  mem: Float32Array,
  at: number,
  K: number,
  F: number,
  dw: Float32Array,
): void {
  const base = at >>> 2;
  for (let k = 0; k < K; k++) {
    for (let f = 0; f < F; f++) dw[f * K + k] = mem[base + k * F + f];
  }
}
