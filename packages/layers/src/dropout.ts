// Inverted dropout with keep probability p:  mask = [u < p] / p,  out = x·mask (train);  out = x (test)
// Backward:  dx = dout·mask (train);  dx = dout (test)
import {
  allocate,
  checkNumber,
  checkOneOf,
  checkSameDType,
  checkShape,
  checkTensor,
  describe,
  Rng,
  Tensor,
  ValueError,
} from '@backprop/tensor';
import { NORM_MODES, type NormMode } from './batchnorm';

/**
 * Options of a dropout layer, as CS231n's `dropout_param` (2018+ editions: `p` is the KEEP probability).
 *
 * Where the mask's randomness comes from, in order of precedence:
 * 1. `seed`: a fresh `new Rng(seed)` on every call, so every call draws the same mask (CS231n reseeds numpy
 *    on every call; gradient checks rely on it). `rng`, if also given, is not touched.
 * 2. `rng`: the caller's generator, advanced by one draw per element (models that own a generator).
 * 3. Neither: train mode throws a ValueError, since backprop has no global random state.
 */
export interface DropoutParam {
  /** Probability of keeping each unit, in (0, 1]; 1 keeps all. */
  p: number;
  /** 'train' drops units; 'test' passes x through. */
  mode: NormMode;
  /** Integer seed: the mask is reproducible, the same on every call. Takes precedence over `rng`. */
  seed?: number;
  /** Generator to draw masks from when no `seed` is given. */
  rng?: Rng;
}

const TWO_32 = 4294967296;

/**
 * Forward pass of inverted dropout: in train mode each unit is kept with probability p and scaled by
 * 1/p, so the expected output equals x and test mode needs no rescaling.
 * In test mode `out` is `x` itself (no copy, as CS231n returns x); treat it as read-only.
 * @param x - input, any shape
 * @param dropoutParam - `{ p, mode, seed?, rng? }` (see {@link DropoutParam} for where randomness comes from)
 * @returns out, shaped like x, and the cache for {@link dropoutBackward}
 * @throws ValueError for p outside (0, 1], an unknown mode, a non-integer seed, or train mode without seed or rng
 */
export function dropoutForward(x: Tensor, dropoutParam: DropoutParam): { out: Tensor; cache: DropoutCache } {
  const fn = 'dropoutForward';
  checkTensor(fn, 'x', x);
  if (dropoutParam === null || typeof dropoutParam !== 'object') {
    throw new ValueError(
      fn,
      'dropoutParam',
      `must be an object { p, mode, seed?, rng? }, got ${describe(dropoutParam)}`,
    );
  }
  const p = checkNumber(fn, 'dropoutParam.p', dropoutParam.p, { greaterThan: 0, max: 1 });
  const mode = checkOneOf(fn, 'dropoutParam.mode', dropoutParam.mode, NORM_MODES);
  const { seed, rng } = dropoutParam;
  if (seed !== undefined) checkNumber(fn, 'dropoutParam.seed', seed, { integer: true });
  if (rng !== undefined && !(rng instanceof Rng)) {
    throw new ValueError(fn, 'dropoutParam.rng', `must be an Rng, got ${describe(rng)}`);
  }
  if (mode === 'test') return { out: x, cache: { mode, p, mask: null } };
  if (seed === undefined && rng === undefined) {
    throw new ValueError(
      fn,
      'dropoutParam',
      'needs a seed or an rng in train mode (backprop has no global random state)',
    );
  }

  const source = seed !== undefined ? new Rng(seed) : (rng as Rng);
  // One 32-bit draw per unit: keep when u < p·2³² (p = 1 keeps every unit).
  const threshold = p * TWO_32;
  const scale = 1 / p;
  const src = x.data;
  const mask = allocate(x.dtype, x.size);
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < mask.length; i++) {
    if (source.nextUint32() < threshold) {
      mask[i] = scale;
      out[i] = src[i] * scale;
    }
  }
  return { out: new Tensor(out, x.shape), cache: { mode, p, mask: new Tensor(mask, x.shape) } };
}

/**
 * Backward pass of dropout: the gradient flows through the kept units, scaled by 1/p, with the same
 * mask as the forward pass. In test mode dx is a copy of dout. Neither `dout` nor the cache is modified.
 * @param dout - upstream gradient, shaped like x
 * @param cache - from {@link dropoutForward}
 * @returns dx, shaped like x
 */
export function dropoutBackward(dout: Tensor, cache: DropoutCache): { dx: Tensor } {
  const fn = 'dropoutBackward';
  if (cache === null || typeof cache !== 'object' || (cache.mode !== 'train' && cache.mode !== 'test')) {
    throw new ValueError(fn, 'cache', `must be the cache dropoutForward returned, got ${describe(cache)}`);
  }
  const { mask } = cache;
  if (cache.mode === 'train' ? !(mask instanceof Tensor) : mask !== null) {
    throw new ValueError(
      fn,
      'cache',
      `must be the cache dropoutForward returned (a mask tensor in train mode, null in test mode), got mask ${describe(mask)}`,
    );
  }
  checkTensor(fn, 'dout', dout);
  if (mask === null) return { dx: dout.clone() };
  checkShape(fn, 'dout', dout, mask.shape, 'to match the forward input');
  checkSameDType(fn, { 'cache.mask': mask, dout });
  const g = dout.data;
  const m = mask.data;
  const dx = allocate(dout.dtype, dout.size);
  for (let i = 0; i < dx.length; i++) dx[i] = g[i] * m[i];
  return { dx: new Tensor(dx, mask.shape) };
}

/** What {@link dropoutForward} keeps for the backward pass. */
export interface DropoutCache {
  readonly mode: NormMode;
  /** The keep probability used. */
  readonly p: number;
  /** 1/p where a unit was kept, 0 where dropped, shaped like x; null in test mode. */
  readonly mask: Tensor | null;
}
