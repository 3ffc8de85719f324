// Single-precision GEMM on raw linear memory, C (M×N) = alpha·op(A)·op(B) + beta·C, row-major,
// with 128-bit SIMD (f32x4). Compiled by scripts/build-wasm.mjs; loaded by src/kernels/gemm-wasm.ts,
// which copies the operands into this module's memory and the result back out. A second build on
// an imported shared memory serves the threaded GEMM (src/kernels/gemm-threads.ts), whose threads
// each run `sgemmStrided` on a band of C.
//
// The structure is the BLIS/GotoBLAS one:
//   for jc over N in NC columns:                 B block (KC×NC) lives in the L3/L2 cache
//     for pc over K in KC steps:                 pack B[pc:pc+KC, jc:jc+NC] into NR-column panels
//       for ic over M in MC rows:                pack A[ic:ic+MC, pc:pc+KC] into MR-row panels (L2)
//         for jr over the block in NR columns:   one B panel (KC×NR) stays in L1
//           for ir over the block in MR rows:    micro-kernel: MR×NR tile of C in registers
// Packing makes every operand layout (A or Aᵀ, B or Bᵀ) read the same contiguous panels in the
// micro-kernel, so transposed operands cost only a different packing loop. alpha is folded into
// the packed A; beta is applied when the first K block is stored (beta = 0 never reads C).

import { KC, MC, MR, NC, NR, packedBlockOffset, roundUp } from './blocking';

// The register tile (MR×NR) and the cache blocking (MC, KC, NC) live in blocking.ts, which conv.ts
// shares: it packs GEMM operands itself. Only setBlocking and blockingK are exports of this module.
export { blockingK, setBlocking } from './blocking';

/** The first byte of linear memory that the caller may use. */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of workspace `sgemm` needs at `work` for these sizes (packed panels and an edge tile). */
export function workspaceBytes(M: i32, N: i32, K: i32): usize {
  const mc = min(MC, roundUp(M, MR));
  const kc = min(KC, max(K, 1));
  const nc = min(NC, roundUp(N, NR));
  return ((<usize>(mc * kc + kc * nc + MR * NR)) << 2) + 64;
}

/**
 * C = alpha·op(A)·op(B) + beta·C. a, b, c and work are byte addresses in this memory; A is M×K
 * (K×M when transA), B is K×N (N×K when transB), C is M×N, all dense row-major.
 */
export function sgemm(
  transA: bool,
  transB: bool,
  M: i32,
  N: i32,
  K: i32,
  alpha: f32,
  beta: f32,
  a: usize,
  b: usize,
  c: usize,
  work: usize,
): void {
  sgemmStrided(transA, transB, M, N, K, alpha, beta, a, transA ? M : K, b, transB ? K : N, c, N, work);
}

/**
 * `sgemm` on sub-matrices: lda, ldb and ldc are the row strides (in elements) of the stored A, B
 * and C. The threaded GEMM (src/kernels/gemm-threads.ts) hands each thread a band of C's rows or
 * columns this way; every element still runs the same instruction sequence (K is never split), so
 * the result is bit-identical to one call over the whole of C.
 */
export function sgemmStrided(
  transA: bool,
  transB: bool,
  M: i32,
  N: i32,
  K: i32,
  alpha: f32,
  beta: f32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldcElements: i32,
  work: usize,
): void {
  sgemmShared(transA, transB, M, N, K, alpha, beta, a, lda, b, ldb, c, ldcElements, work, 0, 0);
}

/**
 * `sgemmStrided` with A or B already packed whole (by packAAll or packBAll) at packedA or packedB
 * (0: pack it here, as sgemmStrided does). The threaded GEMM packs the operand that every band of C
 * shares once, where each band used to pack all of it: B for bands of rows, A for bands of columns.
 * A band that shares packed B must span all N columns, one that shares packed A all M rows. The
 * packed values are the ones packed here, so the bits are the same.
 */
export function sgemmShared(
  transA: bool,
  transB: bool,
  M: i32,
  N: i32,
  K: i32,
  alpha: f32,
  beta: f32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldcElements: i32,
  work: usize,
  packedA: usize,
  packedB: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha === 0) {
    for (let i = 0; i < M; i++) scaleC(c + <usize>i * ((<usize>ldcElements) << 2), N, beta);
    return;
  }
  const mcMax = min(MC, roundUp(M, MR));
  const kcMax = min(KC, K);
  const packA = (work + 15) & ~(<usize>15);
  const packB = packA + ((<usize>(mcMax * kcMax)) << 2);
  const nc0 = min(NC, roundUp(N, NR));
  const edge = packB + ((<usize>(kcMax * nc0)) << 2);
  const ldc = (<usize>ldcElements) << 2;

  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const betaBlock: f32 = pc === 0 ? beta : 1;
      let pbBlock = packB;
      if (packedB !== 0) pbBlock = packedB + packedBlockOffset(K, jc, pc, nc, NR);
      else if (transB) packBTrans(b, ldb, pc, kc, jc, nc, packB);
      else packBPlain(b, ldb, pc, kc, jc, nc, packB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        let paBlock = packA;
        if (packedA !== 0) paBlock = packedA + packedBlockOffset(K, ic, pc, mc, MR);
        else if (transA) packATrans(a, lda, ic, mc, pc, kc, alpha, packA);
        else packAPlain(a, lda, ic, mc, pc, kc, alpha, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = pbBlock + ((<usize>(jr * kc)) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = paBlock + ((<usize>(ir * kc)) << 2);
            const cTile = c + <usize>(ic + ir) * ldc + ((<usize>(jc + jr)) << 2);
            if (mr === MR && nr === NR) {
              micro(kc, pa, pb, cTile, ldc, betaBlock);
            } else {
              // Edge tile: compute the full tile from the zero-padded panels into scratch, then
              // merge only the valid mr×nr corner into C.
              // A last panel at most half full (N mod 8 in 1..4) runs the 4×4 half tile.
              if (nr <= 4) microHalf(kc, pa, pb, edge);
              else micro(kc, pa, pb, edge, (<usize>NR) << 2, 0);
              mergeEdge(edge, cTile, ldc, mr, nr, betaBlock);
            }
          }
        }
      }
    }
  }
}

// ---- whole-operand packing (the threaded GEMM's shared operand) ---------------------------------
// Packed whole, op(B) (K×N) is its (jc, pc) blocks one after the other, each laid out as packBPlain
// lays it out; op(A) (M×K) likewise its (ic, pc) blocks. A block of `outer` rows or columns starting
// at o (a multiple of NC or MC, themselves multiples of the tile) and K rows starting at pc sits at
// float K·o + pc·roundUp(outer, tile): every earlier outer block is full and holds K·(its width).

/** Bytes of op(B) (K×N) packed whole; of op(A) (M×K) with packedBytes(M, K, 4). */
export function packedBytes(outer: i32, K: i32, tile: i32): usize {
  return (<usize>(K * roundUp(outer, tile))) << 2;
}

/** Packs all of op(B) (K×N) at dst for sgemmShared (packedBytes(N, K, 8) bytes). */
export function packBAll(transB: bool, b: usize, ldb: i32, K: i32, N: i32, dst: usize): void {
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const at = dst + packedBlockOffset(K, jc, pc, nc, NR);
      if (transB) packBTrans(b, ldb, pc, min(KC, K - pc), jc, nc, at);
      else packBPlain(b, ldb, pc, min(KC, K - pc), jc, nc, at);
    }
  }
}

/** Packs all of alpha·op(A) (M×K) at dst for sgemmShared (packedBytes(M, K, 4) bytes). */
export function packAAll(transA: bool, a: usize, lda: i32, M: i32, K: i32, alpha: f32, dst: usize): void {
  for (let ic = 0; ic < M; ic += MC) {
    const mc = min(MC, M - ic);
    for (let pc = 0; pc < K; pc += KC) {
      const at = dst + packedBlockOffset(K, ic, pc, mc, MR);
      if (transA) packATrans(a, lda, ic, mc, pc, min(KC, K - pc), alpha, at);
      else packAPlain(a, lda, ic, mc, pc, min(KC, K - pc), alpha, at);
    }
  }
}

/**
 * The MR×NR register tile: acc[i][0..7] += A[i,k]·B[k,0..7] over the packed panels. 4×8 keeps 8
 * accumulators, 2 B vectors and the A broadcasts within the 15 vector registers V8 allocates.
 * Measured in isolation (L1-resident panels, CPU time, Zen 3): 4×8 30 GFLOP/s against 18-28 for
 * 5×8, 6×8, 3×12 and 2×16, which V8 spills; with FMA 4×8 39 against at most 22.
 */
function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, beta: f32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  // One k step per trip: unrolling lets the engine hoist the loads of both steps and spill
  // accumulators (measured slower); the loop runs until packed A's end.
  const paEnd = pa + ((<usize>(kc * MR)) << 2);
  while (pa < paEnd) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    pa += MR << 2;
    pb += NR << 2;
  }
  storeRow(c, c00, c01, beta);
  storeRow(c + ldc, c10, c11, beta);
  storeRow(c + 2 * ldc, c20, c21, beta);
  storeRow(c + 3 * ldc, c30, c31, beta);
}

/** The left MR×4 half of the tile, into `tile` (row stride NR): for a last B panel with ≤ 4 columns. */
function microHalf(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  const paEnd = pa + ((<usize>(kc * MR)) << 2);
  while (pa < paEnd) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa, 4), b0, c1);
    c2 = madd(v128.load32_splat(pa, 8), b0, c2);
    c3 = madd(v128.load32_splat(pa, 12), b0, c3);
    pa += MR << 2;
    pb += NR << 2;
  }
  v128.store(tile, c0);
  v128.store(tile, c1, NR * 4);
  v128.store(tile, c2, NR * 8);
  v128.store(tile, c3, NR * 12);
}

/**
 * a·b + c. Built with relaxed SIMD (the FMA module), one fused multiply-add where the hardware has
 * it; otherwise a multiply and an add. A compile-time branch: each module holds one of them.
 */
function madd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}

/** C[0..7] = acc + beta·C[0..7]; beta = 0 stores without reading (old NaNs do not leak). */
function storeRow(c: usize, lo: v128, hi: v128, beta: f32): void {
  if (beta === 0) {
    v128.store(c, lo);
    v128.store(c, hi, 16);
  } else if (beta === 1) {
    v128.store(c, f32x4.add(lo, v128.load(c)));
    v128.store(c, f32x4.add(hi, v128.load(c, 16)), 16);
  } else {
    const bv = f32x4.splat(beta);
    v128.store(c, f32x4.add(lo, f32x4.mul(bv, v128.load(c))));
    v128.store(c, f32x4.add(hi, f32x4.mul(bv, v128.load(c, 16))), 16);
  }
}

function mergeEdge(tile: usize, c: usize, ldc: usize, mr: i32, nr: i32, beta: f32): void {
  for (let i = 0; i < mr; i++) {
    const src = tile + ((<usize>(i * NR)) << 2);
    const dst = c + <usize>i * ldc;
    for (let j = 0; j < nr; j++) {
      const off = (<usize>j) << 2;
      const acc = load<f32>(src + off);
      store<f32>(dst + off, beta === 0 ? acc : acc + beta * load<f32>(dst + off));
    }
  }
}

function scaleC(c: usize, count: i32, beta: f32): void {
  for (let i = 0; i < count; i++) {
    const p = c + ((<usize>i) << 2);
    store<f32>(p, beta === 0 ? 0 : beta * load<f32>(p));
  }
}

// ---- packing -------------------------------------------------------------------------------
// Packed A: for each MR-row panel, kc groups of MR values (A[i..i+MR, k] for k in the block),
// scaled by alpha, rows past M zero. Packed B: for each NR-column panel, kc groups of NR values
// (B[k, j..j+NR]), columns past N zero.

/** A stored M×K (lda = K): panel rows are strided, so 4×4 blocks are transposed in registers. */
function packAPlain(a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, alpha: f32, dst: usize): void {
  const av = f32x4.splat(alpha);
  const rowBytes = (<usize>lda) << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const src = a + <usize>(ic + ir) * rowBytes + ((<usize>pc) << 2);
    if (mr === MR) {
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const off = (<usize>k) << 2;
        const r0 = v128.load(src + off);
        const r1 = v128.load(src + rowBytes + off);
        const r2 = v128.load(src + 2 * rowBytes + off);
        const r3 = v128.load(src + 3 * rowBytes + off);
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const out = dst + ((<usize>(k * MR)) << 2);
        v128.store(out, f32x4.mul(av, i32x4.shuffle(t0, t2, 0, 1, 4, 5)));
        v128.store(out, f32x4.mul(av, i32x4.shuffle(t0, t2, 2, 3, 6, 7)), 16);
        v128.store(out, f32x4.mul(av, i32x4.shuffle(t1, t3, 0, 1, 4, 5)), 32);
        v128.store(out, f32x4.mul(av, i32x4.shuffle(t1, t3, 2, 3, 6, 7)), 48);
      }
      for (; k < kc; k++) {
        const off = (<usize>k) << 2;
        const out = dst + ((<usize>(k * MR)) << 2);
        store<f32>(out, alpha * load<f32>(src + off));
        store<f32>(out, alpha * load<f32>(src + rowBytes + off), 4);
        store<f32>(out, alpha * load<f32>(src + 2 * rowBytes + off), 8);
        store<f32>(out, alpha * load<f32>(src + 3 * rowBytes + off), 12);
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const out = dst + ((<usize>(k * MR)) << 2);
        for (let i = 0; i < MR; i++) {
          const v: f32 = i < mr ? alpha * load<f32>(src + <usize>i * rowBytes + ((<usize>k) << 2)) : 0;
          store<f32>(out + ((<usize>i) << 2), v);
        }
      }
    }
    dst += (<usize>(kc * MR)) << 2;
  }
}

/** A stored K×M (Aᵀ, lda = M): each k's MR values are contiguous, one vector load each. */
function packATrans(a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, alpha: f32, dst: usize): void {
  const av = f32x4.splat(alpha);
  const rowBytes = (<usize>lda) << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    let src = a + <usize>pc * rowBytes + ((<usize>(ic + ir)) << 2);
    if (mr === MR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst + ((<usize>(k * MR)) << 2), f32x4.mul(av, v128.load(src)));
        src += rowBytes;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const out = dst + ((<usize>(k * MR)) << 2);
        for (let i = 0; i < MR; i++) {
          store<f32>(out + ((<usize>i) << 2), i < mr ? alpha * load<f32>(src + ((<usize>i) << 2)) : 0);
        }
        src += rowBytes;
      }
    }
    dst += (<usize>(kc * MR)) << 2;
  }
}

/** B stored K×N (ldb = N): each k's NR values are contiguous, two vector loads each. */
function packBPlain(b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const rowBytes = (<usize>ldb) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let src = b + <usize>pc * rowBytes + ((<usize>(jc + jr)) << 2);
    if (nr === NR) {
      for (let k = 0; k < kc; k++) {
        const out = dst + ((<usize>(k * NR)) << 2);
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        src += rowBytes;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const out = dst + ((<usize>(k * NR)) << 2);
        for (let j = 0; j < NR; j++) {
          store<f32>(out + ((<usize>j) << 2), j < nr ? load<f32>(src + ((<usize>j) << 2)) : 0);
        }
        src += rowBytes;
      }
    }
    dst += (<usize>(kc * NR)) << 2;
  }
}

/** B stored N×K (Bᵀ, ldb = K): panel columns are strided rows; 4×4 blocks transposed in registers. */
function packBTrans(b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const rowBytes = (<usize>ldb) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const src = b + <usize>(jc + jr) * rowBytes + ((<usize>pc) << 2);
    if (nr === NR) {
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const off = (<usize>k) << 2;
        const out = dst + ((<usize>(k * NR)) << 2);
        for (let half = 0; half < 2; half++) {
          const s = src + <usize>(half * 4) * rowBytes + off;
          const r0 = v128.load(s);
          const r1 = v128.load(s + rowBytes);
          const r2 = v128.load(s + 2 * rowBytes);
          const r3 = v128.load(s + 3 * rowBytes);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const o = out + ((<usize>half) << 4);
          v128.store(o, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(o, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
          v128.store(o, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
          v128.store(o, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        }
      }
      for (; k < kc; k++) {
        const out = dst + ((<usize>(k * NR)) << 2);
        for (let j = 0; j < NR; j++) {
          store<f32>(out + ((<usize>j) << 2), load<f32>(src + <usize>j * rowBytes + ((<usize>k) << 2)));
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const out = dst + ((<usize>(k * NR)) << 2);
        for (let j = 0; j < NR; j++) {
          const v: f32 = j < nr ? load<f32>(src + <usize>j * rowBytes + ((<usize>k) << 2)) : 0;
          store<f32>(out + ((<usize>j) << 2), v);
        }
      }
    }
    dst += (<usize>(kc * NR)) << 2;
  }
}
