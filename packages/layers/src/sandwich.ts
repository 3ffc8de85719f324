// Sandwich layers: common chains of layers as one forward/backward pair. Composition only, no new math:
// each forward runs the layers in order and keeps their caches; each backward runs their backwards in reverse.
import { checkOneOf, checkSameDType, checkShape, type Tensor, ValueError } from '@backprop/tensor';
import {
  type AffineBackwardOptions,
  type AffineCache,
  affineBackward,
  affineForward,
  checkAffineArgs,
} from './affine';
import {
  type BatchnormCache,
  type BatchnormParam,
  batchnormBackwardAlt,
  batchnormForward,
} from './batchnorm';
import { describeCache } from './cache-kind';
import { type ConvBackwardOptions, type ConvCache, convBackward, convForward } from './conv/fast';
import { type ConvParam, checkConvArgs } from './conv/naive';
import { type LayernormCache, type LayernormParam, layernormBackward, layernormForward } from './layernorm';
import { type MaxPoolCache, maxPoolBackward, maxPoolForward } from './pool/fast';
import type { PoolParam } from './pool/naive';
import { type ReluCache, reluBackward, reluForward } from './relu';
import {
  type SpatialBatchnormCache,
  spatialBatchnormBackward,
  spatialBatchnormForward,
} from './spatial-batchnorm';

/**
 * affine → relu.
 * @param x - input, shape [N, d1, ..., dk] with D = d1·…·dk
 * @param w - weights, shape [D, M]
 * @param b - biases, shape [M]
 * @returns out [N, M] and the cache for {@link affineReluBackward}
 */
export function affineReluForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: AffineReluCache } {
  checkAffineArgs('affineReluForward', x, w, b);
  const a = affineForward(x, w, b);
  const r = reluForward(a.out);
  return { out: r.out, cache: { kind: 'affineRelu', affine: a.cache, relu: r.cache } };
}

/**
 * Backward pass of {@link affineReluForward}.
 * @param dout - upstream gradient, shape [N, M]
 * @param opts - `{ computeDx: false }` skips dx (returned as null), e.g. for a network's first layer
 * @returns dx shaped like x (or null), dw [D, M], db [M]
 */
export function affineReluBackward(
  dout: Tensor,
  cache: AffineReluCache,
): { dx: Tensor; dw: Tensor; db: Tensor };
export function affineReluBackward(
  dout: Tensor,
  cache: AffineReluCache,
  opts: { computeDx: false },
): { dx: null; dw: Tensor; db: Tensor };
export function affineReluBackward(
  dout: Tensor,
  cache: AffineReluCache,
  opts?: AffineBackwardOptions,
): { dx: Tensor | null; dw: Tensor; db: Tensor };
export function affineReluBackward(
  dout: Tensor,
  cache: AffineReluCache,
  opts: AffineBackwardOptions = {},
): { dx: Tensor | null; dw: Tensor; db: Tensor } {
  checkSandwichCache('affineReluBackward', cache, 'affineRelu', ['affine', 'relu']);
  const da = reluBackward(dout, cache.relu).dx;
  return affineBackward(da, cache.affine, opts);
}

/** The caches of the layers of {@link affineReluForward}. */
export interface AffineReluCache {
  /** Tags the cache so {@link affineReluBackward} rejects look-alikes (e.g. an affineNormRelu cache). */
  readonly kind: 'affineRelu';
  readonly affine: AffineCache;
  readonly relu: ReluCache;
}

/** The normalizations the fully-connected net puts between affine and relu. */
export type Normalization = 'batchnorm' | 'layernorm';

const NORMALIZATIONS: readonly Normalization[] = ['batchnorm', 'layernorm'];

/**
 * affine → batchnorm or layernorm → relu: one hidden layer of CS231n's FullyConnectedNet with
 * normalization.
 * @param x - input, shape [N, d1, ..., dk] with D = d1·…·dk
 * @param w - weights, shape [D, M]
 * @param b - biases, shape [M]
 * @param gamma - norm scale, shape [M]
 * @param beta - norm shift, shape [M]
 * @param normParam - a {@link BatchnormParam} (running statistics are written back into it) or a {@link LayernormParam}
 * @param normalization - 'batchnorm' or 'layernorm'
 * @returns out [N, M] and the cache for {@link affineNormReluBackward}
 */
export function affineNormReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  gamma: Tensor,
  beta: Tensor,
  normParam: BatchnormParam | LayernormParam,
  normalization: Normalization,
): { out: Tensor; cache: AffineNormReluCache } {
  const fn = 'affineNormReluForward';
  checkOneOf(fn, 'normalization', normalization, NORMALIZATIONS);
  checkNormArgs(fn, x, gamma, beta, checkAffineArgs(fn, x, w, b).M, 'outputs');
  const a = affineForward(x, w, b);
  const n =
    normalization === 'batchnorm'
      ? batchnormForward(a.out, gamma, beta, normParam as BatchnormParam)
      : layernormForward(a.out, gamma, beta, normParam as LayernormParam);
  const r = reluForward(n.out);
  return {
    out: r.out,
    cache: { kind: 'affineNormRelu', normalization, affine: a.cache, norm: n.cache, relu: r.cache },
  };
}

/**
 * Backward pass of {@link affineNormReluForward} (batchnorm uses the closed-form backward).
 * @param dout - upstream gradient, shape [N, M]
 * @param opts - `{ computeDx: false }` skips dx (returned as null), e.g. for a network's first layer
 * @returns dx shaped like x (or null), dw [D, M], db [M], dgamma [M], dbeta [M]
 */
export function affineNormReluBackward(dout: Tensor, cache: AffineNormReluCache): AffineNormReluGrads<Tensor>;
export function affineNormReluBackward(
  dout: Tensor,
  cache: AffineNormReluCache,
  opts: { computeDx: false },
): AffineNormReluGrads<null>;
export function affineNormReluBackward(
  dout: Tensor,
  cache: AffineNormReluCache,
  opts?: AffineBackwardOptions,
): AffineNormReluGrads<Tensor | null>;
export function affineNormReluBackward(
  dout: Tensor,
  cache: AffineNormReluCache,
  opts: AffineBackwardOptions = {},
): AffineNormReluGrads<Tensor | null> {
  const fn = 'affineNormReluBackward';
  checkSandwichCache(fn, cache, 'affineNormRelu', ['affine', 'norm', 'relu']);
  checkOneOf(fn, 'cache.normalization', cache.normalization, NORMALIZATIONS);
  const dr = reluBackward(dout, cache.relu).dx;
  const {
    dx: dn,
    dgamma,
    dbeta,
  } = cache.normalization === 'batchnorm'
    ? batchnormBackwardAlt(dr, cache.norm as BatchnormCache)
    : layernormBackward(dr, cache.norm as LayernormCache);
  const { dx, dw, db } = affineBackward(dn, cache.affine, opts);
  return { dx, dw, db, dgamma, dbeta };
}

/** Gradients of {@link affineNormReluBackward}; `dx` is null when `computeDx` is false. */
export interface AffineNormReluGrads<DX extends Tensor | null> {
  dx: DX;
  dw: Tensor;
  db: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

/** The caches of the layers of {@link affineNormReluForward}. */
export interface AffineNormReluCache {
  /** Tags the cache so {@link affineNormReluBackward} rejects look-alikes. */
  readonly kind: 'affineNormRelu';
  readonly normalization: Normalization;
  readonly affine: AffineCache;
  readonly norm: BatchnormCache | LayernormCache;
  readonly relu: ReluCache;
}

/**
 * conv → relu, with the fast (im2col + GEMM) convolution.
 * @param x - input, shape [N, C, H, W]
 * @param w - filters, shape [F, C, HH, WW]
 * @param b - biases, shape [F]
 * @param convParam - `{ stride, pad }`
 * @returns out [N, F, H', W'] and the cache for {@link convReluBackward}
 */
export function convReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  convParam: ConvParam,
): { out: Tensor; cache: ConvReluCache } {
  checkConvArgs('convReluForward', x, w, b, convParam);
  const c = convForward(x, w, b, convParam);
  const r = reluForward(c.out);
  return { out: r.out, cache: { kind: 'convRelu', conv: c.cache, relu: r.cache } };
}

/**
 * Backward pass of {@link convReluForward}.
 * @param dout - upstream gradient, shape [N, F, H', W']
 * @param opts - `{ computeDx: false }` skips dx (returned as null), e.g. for a network's first layer
 * @returns dx [N, C, H, W] (or null), dw [F, C, HH, WW], db [F]
 */
export function convReluBackward(dout: Tensor, cache: ConvReluCache): { dx: Tensor; dw: Tensor; db: Tensor };
export function convReluBackward(
  dout: Tensor,
  cache: ConvReluCache,
  opts: { computeDx: false },
): { dx: null; dw: Tensor; db: Tensor };
export function convReluBackward(
  dout: Tensor,
  cache: ConvReluCache,
  opts?: ConvBackwardOptions,
): { dx: Tensor | null; dw: Tensor; db: Tensor };
export function convReluBackward(
  dout: Tensor,
  cache: ConvReluCache,
  opts: ConvBackwardOptions = {},
): { dx: Tensor | null; dw: Tensor; db: Tensor } {
  checkSandwichCache('convReluBackward', cache, 'convRelu', ['conv', 'relu']);
  const da = reluBackward(dout, cache.relu).dx;
  return convBackward(da, cache.conv, opts);
}

/** The caches of the layers of {@link convReluForward}. */
export interface ConvReluCache {
  /** Tags the cache so {@link convReluBackward} rejects look-alikes (e.g. a convBnRelu cache). */
  readonly kind: 'convRelu';
  readonly conv: ConvCache;
  readonly relu: ReluCache;
}

/**
 * conv → relu → max pool: the first block of CS231n's ThreeLayerConvNet (computed as conv → max pool → relu,
 * which gives the same output and gradients with a quarter of the relu work for 2×2 pooling).
 * @param x - input, shape [N, C, H, W]
 * @param w - filters, shape [F, C, HH, WW]
 * @param b - biases, shape [F]
 * @param convParam - `{ stride, pad }`
 * @param poolParam - `{ poolHeight, poolWidth, stride }`
 * @returns out [N, F, H'', W''] (the pooled conv output) and the cache for {@link convReluPoolBackward}
 */
export function convReluPoolForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  convParam: ConvParam,
  poolParam: PoolParam,
): { out: Tensor; cache: ConvReluPoolCache } {
  checkConvArgs('convReluPoolForward', x, w, b, convParam);
  const c = convForward(x, w, b, convParam);
  // Pool first, then relu: max(relu(a), relu(b)) = relu(max(a, b)) because relu never reorders values,
  // so the output and every gradient are exactly those of conv → relu → pool, but the relu runs on the
  // pooled tensor (a quarter of the size for 2×2 pooling). Where a window's maximum is <= 0 both orders
  // pass no gradient; otherwise both send it to the window's first maximum.
  const p = maxPoolForward(c.out, poolParam);
  const r = reluForward(p.out);
  return { out: r.out, cache: { kind: 'convReluPool', conv: c.cache, relu: r.cache, pool: p.cache } };
}

/**
 * Backward pass of {@link convReluPoolForward}.
 * @param dout - upstream gradient, shape [N, F, H'', W'']
 * @param opts - `{ computeDx: false }` skips dx (returned as null), e.g. for a network's first layer
 * @returns dx [N, C, H, W] (or null), dw [F, C, HH, WW], db [F]
 */
export function convReluPoolBackward(
  dout: Tensor,
  cache: ConvReluPoolCache,
): { dx: Tensor; dw: Tensor; db: Tensor };
export function convReluPoolBackward(
  dout: Tensor,
  cache: ConvReluPoolCache,
  opts: { computeDx: false },
): { dx: null; dw: Tensor; db: Tensor };
export function convReluPoolBackward(
  dout: Tensor,
  cache: ConvReluPoolCache,
  opts?: ConvBackwardOptions,
): { dx: Tensor | null; dw: Tensor; db: Tensor };
export function convReluPoolBackward(
  dout: Tensor,
  cache: ConvReluPoolCache,
  opts: ConvBackwardOptions = {},
): { dx: Tensor | null; dw: Tensor; db: Tensor } {
  checkSandwichCache('convReluPoolBackward', cache, 'convReluPool', ['conv', 'relu', 'pool']);
  const dp = reluBackward(dout, cache.relu).dx;
  const da = maxPoolBackward(dp, cache.pool).dx;
  return convBackward(da, cache.conv, opts);
}

/** The caches of the layers of {@link convReluPoolForward} (run as conv → pool → relu, see there). */
export interface ConvReluPoolCache {
  /** Tags the cache so {@link convReluPoolBackward} rejects look-alikes. */
  readonly kind: 'convReluPool';
  readonly conv: ConvCache;
  /** The relu's cache; its input is the pooled conv output. */
  readonly relu: ReluCache;
  /** The pool's cache; its input is the conv output. */
  readonly pool: MaxPoolCache;
}

/**
 * conv → spatial batchnorm → relu.
 * @param x - input, shape [N, C, H, W]
 * @param w - filters, shape [F, C, HH, WW]
 * @param b - biases, shape [F]
 * @param gamma - batchnorm scale, shape [F]
 * @param beta - batchnorm shift, shape [F]
 * @param convParam - `{ stride, pad }`
 * @param bnParam - batchnorm mode and state; running statistics are written back into it
 * @returns out [N, F, H', W'] and the cache for {@link convBnReluBackward}
 */
export function convBnReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  gamma: Tensor,
  beta: Tensor,
  convParam: ConvParam,
  bnParam: BatchnormParam,
): { out: Tensor; cache: ConvBnReluCache } {
  const fn = 'convBnReluForward';
  checkConvArgs(fn, x, w, b, convParam);
  checkNormArgs(fn, x, gamma, beta, w.shape[0], 'filters');
  const c = convForward(x, w, b, convParam);
  const n = spatialBatchnormForward(c.out, gamma, beta, bnParam);
  const r = reluForward(n.out);
  return { out: r.out, cache: { kind: 'convBnRelu', conv: c.cache, norm: n.cache, relu: r.cache } };
}

/**
 * Backward pass of {@link convBnReluForward}.
 * @param dout - upstream gradient, shape [N, F, H', W']
 * @param opts - `{ computeDx: false }` skips dx (returned as null), e.g. for a network's first layer
 * @returns dx [N, C, H, W] (or null), dw [F, C, HH, WW], db [F], dgamma [F], dbeta [F]
 */
export function convBnReluBackward(dout: Tensor, cache: ConvBnReluCache): ConvBnReluGrads<Tensor>;
export function convBnReluBackward(
  dout: Tensor,
  cache: ConvBnReluCache,
  opts: { computeDx: false },
): ConvBnReluGrads<null>;
export function convBnReluBackward(
  dout: Tensor,
  cache: ConvBnReluCache,
  opts?: ConvBackwardOptions,
): ConvBnReluGrads<Tensor | null>;
export function convBnReluBackward(
  dout: Tensor,
  cache: ConvBnReluCache,
  opts: ConvBackwardOptions = {},
): ConvBnReluGrads<Tensor | null> {
  checkSandwichCache('convBnReluBackward', cache, 'convBnRelu', ['conv', 'norm', 'relu']);
  const dr = reluBackward(dout, cache.relu).dx;
  const { dx: dn, dgamma, dbeta } = spatialBatchnormBackward(dr, cache.norm);
  const { dx, dw, db } = convBackward(dn, cache.conv, opts);
  return { dx, dw, db, dgamma, dbeta };
}

/** Gradients of {@link convBnReluBackward}; `dx` is null when `computeDx` is false. */
export interface ConvBnReluGrads<DX extends Tensor | null> {
  dx: DX;
  dw: Tensor;
  db: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

/** The caches of the layers of {@link convBnReluForward}. */
export interface ConvBnReluCache {
  /** Tags the cache so {@link convBnReluBackward} rejects look-alikes. */
  readonly kind: 'convBnRelu';
  readonly conv: ConvCache;
  readonly norm: SpatialBatchnormCache;
  readonly relu: ReluCache;
}

/** gamma and beta of a sandwich's norm layer: [M], one per output of the layer before it, x's dtype. */
function checkNormArgs(fn: string, x: Tensor, gamma: Tensor, beta: Tensor, M: number, what: string): void {
  checkShape(fn, 'gamma', gamma, [M], `to match w's ${M} ${what}`);
  checkShape(fn, 'beta', beta, [M], `to match w's ${M} ${what}`);
  checkSameDType(fn, { x, gamma, beta });
}

/** The cache must carry the sandwich's own kind tag (a look-alike with the same layers is rejected) and its layers' caches. */
function checkSandwichCache(fn: string, cache: unknown, kind: string, parts: readonly string[]): void {
  const ok =
    cache !== null &&
    typeof cache === 'object' &&
    (cache as { kind?: unknown }).kind === kind &&
    parts.every(
      (p) =>
        (cache as Record<string, unknown>)[p] !== null &&
        typeof (cache as Record<string, unknown>)[p] === 'object',
    );
  if (!ok) {
    const forward = fn.replace(/Backward$/, 'Forward');
    throw new ValueError(
      fn,
      'cache',
      `must be the cache ${forward} returned (kind '${kind}'), got ${describeCache(cache)}`,
    );
  }
}
