// Affine (fully connected) layer, x flattened to [N, D]:  out = x·w + b
// Backward:  dx = dout·wᵀ (reshaped to x's shape),  dw = xᵀ·dout,  db = Σₙ dout
import {
  allocate,
  checkSameDType,
  checkShape,
  checkTensor,
  describe,
  formatShape,
  gemm,
  ShapeError,
  Tensor,
  ValueError,
} from '@backprop/tensor';

/**
 * Forward pass of an affine layer. Each of the N examples is flattened to a row of D features.
 * One GEMM computes x·w, then a loop adds the bias.
 * @param x - input, shape [N, d1, ..., dk] with D = d1·…·dk (k >= 1)
 * @param w - weights, shape [D, M]
 * @param b - biases, shape [M]
 * @returns out, shape [N, M], and the cache for {@link affineBackward}
 * @throws ShapeError when x has rank < 2 or w / b do not match; DTypeError when dtypes differ
 */
export function affineForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: AffineCache } {
  const { N, D, M, dtype } = checkAffineArgs('affineForward', x, w, b);

  const out = allocate(dtype, N * M);
  gemm(N, M, D, x.data, w.data, out);
  const bias = b.data;
  for (let n = 0; n < N; n++) {
    const row = n * M;
    for (let m = 0; m < M; m++) out[row + m] += bias[m];
  }
  return { out: new Tensor(out, [N, M]), cache: { x, w, b } };
}

/** Options of {@link affineBackward} and the affine sandwiches' backward passes. */
export interface AffineBackwardOptions {
  /**
   * Compute dx (default true). A network's first layer needs no gradient for its input: with false
   * the dx GEMM (a third of the backward's work) is skipped and `dx` is null.
   */
  computeDx?: boolean;
}

/**
 * Backward pass of an affine layer. Two GEMMs with transposed operands; db is a column sum.
 * Neither `dout` nor the cache is modified.
 * @param dout - upstream gradient, shape [N, M]
 * @param cache - from {@link affineForward}
 * @param opts - `{ computeDx: false }` skips dx (returned as null), e.g. for a network's first layer
 * @returns dx shaped like x ([N, d1, ..., dk]) or null, dw [D, M], db [M]
 */
export function affineBackward(dout: Tensor, cache: AffineCache): { dx: Tensor; dw: Tensor; db: Tensor };
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
  opts: { computeDx: false },
): { dx: null; dw: Tensor; db: Tensor };
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
  opts?: AffineBackwardOptions,
): { dx: Tensor | null; dw: Tensor; db: Tensor };
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
  opts: AffineBackwardOptions = {},
): { dx: Tensor | null; dw: Tensor; db: Tensor } {
  const fn = 'affineBackward';
  const { x, w } = checkCache(fn, cache);
  const { N, D } = flatDims(fn, x, 'cache.x');
  const { M } = checkShape(fn, 'cache.w', w, [D, 'M'], `to match cache.x's ${D} features`);
  checkShape(fn, 'dout', dout, [N, M], `to match the forward output [${N}, ${M}]`);
  const dtype = checkSameDType(fn, { 'cache.x': x, dout });
  const computeDx = checkComputeDx(fn, opts);

  let dx: Tensor | null = null;
  if (computeDx) {
    const dxData = allocate(dtype, N * D);
    gemm(N, D, M, dout.data, w.data, dxData, { transB: true });
    dx = new Tensor(dxData, x.shape);
  }
  const dw = allocate(dtype, D * M);
  gemm(D, M, N, x.data, dout.data, dw, { transA: true });
  // Column sums accumulate in float64 so float32 biases see no extra rounding from long batches.
  const sums = new Float64Array(M);
  const g = dout.data;
  for (let n = 0; n < N; n++) {
    const row = n * M;
    for (let m = 0; m < M; m++) sums[m] += g[row + m];
  }
  const db = allocate(dtype, M);
  db.set(sums);
  return { dx, dw: new Tensor(dw, [D, M]), db: new Tensor(db, [M]) };
}

/** What {@link affineForward} keeps for the backward pass: its inputs, unchanged. */
export interface AffineCache {
  /** The input, in its original shape [N, d1, ..., dk]. */
  readonly x: Tensor;
  /** Weights [D, M]. */
  readonly w: Tensor;
  /** Biases [M]. */
  readonly b: Tensor;
}

/**
 * Checks an affine layer's x [N, d1, ..., dk], w [D, M], b [M] (shapes and dtypes only, no pass over the
 * data), naming `fn`: the sandwiches call it so their errors carry their own name. @internal
 */
export function checkAffineArgs(
  fn: string,
  x: Tensor,
  w: Tensor,
  b: Tensor,
): { N: number; D: number; M: number; dtype: Tensor['dtype'] } {
  const { N, D } = flatDims(fn, x);
  const { M } = checkShape(fn, 'w', w, [D, 'M'], `to match x's ${D} features`);
  checkShape(fn, 'b', b, [M], `to match w's ${M} outputs`);
  const dtype = checkSameDType(fn, { x, w, b });
  return { N, D, M, dtype };
}

/** N and D = d1·…·dk of an input [N, d1, ..., dk]. */
function flatDims(fn: string, x: Tensor, arg = 'x'): { N: number; D: number } {
  checkTensor(fn, arg, x);
  if (x.shape.length < 2) {
    throw new ShapeError(
      fn,
      arg,
      `has shape ${formatShape(x.shape)}, expected [N, d1, ..., dk] (at least 2 dimensions)`,
    );
  }
  const N = x.shape[0];
  let D = 1;
  for (let i = 1; i < x.shape.length; i++) D *= x.shape[i];
  return { N, D };
}

function checkComputeDx(fn: string, opts: AffineBackwardOptions): boolean {
  if (opts === null || typeof opts !== 'object') {
    throw new ValueError(fn, 'opts', `must be an object { computeDx? }, got ${describe(opts)}`);
  }
  const computeDx = opts.computeDx ?? true;
  if (typeof computeDx !== 'boolean') {
    throw new ValueError(fn, 'opts.computeDx', `must be true or false, got ${describe(computeDx)}`);
  }
  return computeDx;
}

function checkCache(fn: string, cache: AffineCache): AffineCache {
  if (cache === null || typeof cache !== 'object') {
    throw new ValueError(fn, 'cache', `must be the cache affineForward returned, got ${describe(cache)}`);
  }
  checkTensor(fn, 'cache.x', cache.x);
  checkTensor(fn, 'cache.w', cache.w);
  return cache;
}
