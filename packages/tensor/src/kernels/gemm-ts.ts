// Plain-TypeScript GEMM: the fallback where WebAssembly SIMD is missing, and the float64 path.
// Same blocked structure as the WebAssembly kernel (assembly/gemm.ts), written for readability:
//   for pc over K in KC steps:                  pack B[pc:pc+KC, :] into NR-column panels
//     for ic over M in MC steps:                pack alpha·A[ic:ic+MC, pc:pc+KC] into MR-row panels
//       for each B panel, for each A panel:     MR×NR register tile of C accumulated over KC
// Packing makes transposed operands cost nothing extra in the inner loop (the packing loop reads
// them either way) and keeps the tile's inputs contiguous. Panels are float64 whatever the dtype,
// so the inner loop is monomorphic for the JIT and float32 inputs accumulate in double precision.
import type { FloatArray } from '../dtype';
import type { GemmArgs } from './gemm-types';

/** Rows and columns of the register tile: 16 scalar accumulators the JIT keeps in registers. */
const MR = 4;
const NR = 4;
/** K block: an A panel and a B panel (2·KC·4 doubles = 16 KiB) stay in L1 during a tile. */
const KC = 256;
/** M block: the packed A block (MC·KC doubles = 128 KiB) stays in L2 across B panels. */
const MC = 64;

export function gemmTs({ M, N, K, A, B, C, transA, transB, alpha, beta }: GemmArgs): void {
  if (M === 0 || N === 0) return;
  if (K === 0 || alpha === 0) {
    scaleC(C, M * N, beta);
    return;
  }
  const nPanels = Math.ceil(N / NR);
  const kcMax = Math.min(KC, K);
  const packedB = new Float64Array(nPanels * NR * kcMax);
  const packedA = new Float64Array(Math.ceil(Math.min(MC, M) / MR) * MR * kcMax);
  const tile = new Float64Array(MR * NR);
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    const betaBlock = pc === 0 ? beta : 1;
    packB(B, transB, K, N, pc, kc, packedB);
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      packA(A, transA, M, K, ic, mc, pc, kc, alpha, packedA);
      for (let jp = 0; jp < nPanels; jp++) {
        const j0 = jp * NR;
        const nr = Math.min(NR, N - j0);
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = Math.min(MR, mc - ir);
          microTile(kc, packedA, ir * kc, packedB, jp * NR * kc, tile);
          mergeTile(tile, C, (ic + ir) * N + j0, N, mr, nr, betaBlock);
        }
      }
    }
  }
}

/** tile (MR×NR) = Σ_k packedA[k, 0..MR) ⊗ packedB[k, 0..NR), over one K block. */
// biome-ignore format: the 4×4 tile reads best as a grid
function microTile(kc: number, a: Float64Array, aOff: number, b: Float64Array, bOff: number, tile: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < kc; k++) {
    const a0 = a[aOff], a1 = a[aOff + 1], a2 = a[aOff + 2], a3 = a[aOff + 3];
    const b0 = b[bOff], b1 = b[bOff + 1], b2 = b[bOff + 2], b3 = b[bOff + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    aOff += MR;
    bOff += NR;
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
  tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
  tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
}

/** C[i, j] = tile[i, j] + beta·C[i, j] over the valid mr×nr corner; beta = 0 never reads C. */
function mergeTile(
  tile: Float64Array,
  C: FloatArray,
  c0: number,
  ldc: number,
  mr: number,
  nr: number,
  beta: number,
) {
  for (let i = 0; i < mr; i++) {
    const row = c0 + i * ldc;
    for (let j = 0; j < nr; j++) {
      const v = tile[i * NR + j];
      C[row + j] = beta === 0 ? v : v + beta * C[row + j];
    }
  }
}

/** packed[(panel·kc + k)·MR + i] = alpha·op(A)[ic + panel·MR + i, pc + k]; rows past mc are 0. */
function packA(
  A: FloatArray,
  transA: boolean,
  M: number,
  K: number,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  alpha: number,
  packed: Float64Array,
): void {
  // op(A)[i, k] is A[i·K + k], or A[k·M + i] when A holds Aᵀ (K×M).
  const rowStride = transA ? 1 : K;
  const kStride = transA ? M : 1;
  let out = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    for (let k = 0; k < kc; k++) {
      const base = (ic + ir) * rowStride + (pc + k) * kStride;
      for (let i = 0; i < MR; i++) packed[out++] = ir + i < mc ? alpha * A[base + i * rowStride] : 0;
    }
  }
}

/** packed[(panel·kc + k)·NR + j] = op(B)[pc + k, panel·NR + j]; columns past N are 0. */
function packB(
  B: FloatArray,
  transB: boolean,
  K: number,
  N: number,
  pc: number,
  kc: number,
  packed: Float64Array,
) {
  // op(B)[k, j] is B[k·N + j], or B[j·K + k] when B holds Bᵀ (N×K).
  const kStride = transB ? 1 : N;
  const colStride = transB ? K : 1;
  let out = 0;
  for (let j0 = 0; j0 < N; j0 += NR) {
    for (let k = 0; k < kc; k++) {
      const base = (pc + k) * kStride + j0 * colStride;
      for (let j = 0; j < NR; j++) packed[out++] = j0 + j < N ? B[base + j * colStride] : 0;
    }
  }
}

function scaleC(C: FloatArray, count: number, beta: number): void {
  for (let i = 0; i < count; i++) C[i] = beta === 0 ? 0 : beta * C[i];
}
