// The GEMM's register tile and cache blocking (gemm.ts), in a file of their own so that conv.ts, which
// packs GEMM operands itself, lays them out as gemm.ts reads them. Nothing here is an export of the
// built modules but what gemm.ts re-exports (setBlocking, blockingK).

/** Rows of the register tile: one f32 of packed A broadcast per row and k. */
export const MR: i32 = 4;
/** Columns of the register tile: two f32x4 vectors of packed B per k. */
export const NR: i32 = 8;

// Cache blocking, in elements. Measured with scripts/tune-wasm.mjs on a 2-core AMD EPYC (Zen 3):
// MC 64-256, KC 128-512 and NC 512-4096 all land within 3% at 512² and 1024² (the micro-kernel,
// not memory, is the limit), so these are the textbook fits: an A panel (KC·MR) and a B panel
// (KC·NR) in L1, the packed A block (MC·KC, 128 KiB) in L2, the B block (KC·NC, 2 MiB) in L3.
export let MC: i32 = 128;
export let KC: i32 = 256;
export let NC: i32 = 2048;

/** Overrides the cache blocking (tuning only); values are rounded to whole tiles. */
export function setBlocking(mc: i32, kc: i32, nc: i32): void {
  MC = max(MR, (mc / MR) * MR);
  KC = max(1, kc);
  NC = max(NR, (nc / NR) * NR);
}

/** The K blocking (KC): sums over K are added into C one block of KC at a time. */
export function blockingK(): i32 {
  return KC;
}

/** The M blocking (MC): the rows of one packed A block. */
export function blockingM(): i32 {
  return MC;
}

/** The N blocking (NC): the columns of one packed B block. */
export function blockingN(): i32 {
  return NC;
}

export function roundUp(x: i32, to: i32): i32 {
  return ((x + to - 1) / to) * to;
}

/**
 * Byte offset, in an operand packed whole (packAAll / packBAll in gemm.ts), of the block of `outer`
 * rows or columns starting at o (a multiple of MC or NC) and K rows starting at pc: every earlier
 * outer block is full and holds K·(its width) floats, and the block's earlier K rows pc·roundUp(outer,
 * tile).
 */
export function packedBlockOffset(K: i32, o: i32, pc: i32, outer: i32, tile: i32): usize {
  return (<usize>(K * o + pc * roundUp(outer, tile))) << 2;
}
