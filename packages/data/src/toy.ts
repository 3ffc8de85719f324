// Toy 2-D classification sets, as in TensorFlow Playground and CS231n's spiral: small enough to train
// in a browser tab in seconds and to draw the decision boundary over. Every point comes from the
// caller's seed. Points lie within radius about 1; `noise` is the standard deviation of Gaussian
// noise added to each coordinate. Classes are balanced (sizes differ by at most one) and the
// points are returned shuffled, so any prefix is a fair sample.
import {
  allocate,
  checkDType,
  checkNumber,
  checkOneOf,
  type DType,
  describe,
  Rng,
  Tensor,
  ValueError,
} from '@backprop/tensor';
import { TOY_NAMES, type ToyName } from './dataset';

/** Options of every toy set. */
export interface ToyOptions {
  /** Number of points. */
  n: number;
  /** Number of classes (spiral arms, rings, blobs), 2 to 10; xor always has 2. Default 3 (xor: 2). */
  classes?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. Default 0.1. */
  noise?: number;
  /** Seed of the generator. Default 0. */
  seed?: number;
  /** Default 'float32'. */
  dtype?: DType;
}

/** A toy set: points and their labels. */
export interface ToySet {
  /** Points, shape [n, 2]. */
  X: Tensor;
  /** Labels, length n, in [0, classes). */
  y: Int32Array;
}

/** Places one point of class `k` (0-based) given its index `i` of `count` within the class. */
type Place = (k: number, i: number, count: number, K: number, rng: Rng, out: number[]) => void;

/**
 * K spiral arms from the centre outwards (CS231n's `spiral` data): point i of arm k sits at radius
 * r = i / (count - 1) and angle 2πk/K + 4r.
 */
const placeSpiral: Place = (k, i, count, K, _rng, out) => {
  const r = count > 1 ? i / (count - 1) : 0.5;
  const t = (2 * Math.PI * k) / K + 4 * r;
  out[0] = r * Math.sin(t);
  out[1] = r * Math.cos(t);
};

/** K concentric rings: class k has radius in [(k + 0.15) / K, (k + 0.85) / K), uniform angle. */
const placeCircles: Place = (k, _i, _count, K, rng, out) => {
  const r = (k + 0.15 + 0.7 * rng.next()) / K;
  const t = 2 * Math.PI * rng.next();
  out[0] = r * Math.cos(t);
  out[1] = r * Math.sin(t);
};

/**
 * XOR: class 0 in quadrants I and III, class 1 in II and IV, each point at least 0.1 from the axes
 * (TensorFlow Playground's padding) so that noise 0 gives a separable set.
 */
const placeXor: Place = (k, _i, _count, _K, rng, out) => {
  const a = 0.1 + 0.9 * rng.next();
  const b = 0.1 + 0.9 * rng.next();
  const flip = rng.next() < 0.5 ? 1 : -1;
  out[0] = flip * a;
  out[1] = (k === 0 ? flip : -flip) * b;
};

/** K Gaussian blobs (std 0.1) centred on a circle of radius 0.6 at angles 2πk/K. */
const placeGaussian: Place = (k, _i, _count, K, rng, out) => {
  const t = (2 * Math.PI * k) / K;
  out[0] = 0.6 * Math.cos(t) + 0.1 * rng.normal();
  out[1] = 0.6 * Math.sin(t) + 0.1 * rng.normal();
};

const PLACE: Record<ToyName, Place> = {
  spiral: placeSpiral,
  circles: placeCircles,
  xor: placeXor,
  gaussian: placeGaussian,
};

/**
 * One of the toy sets by name: `'spiral' | 'circles' | 'xor' | 'gaussian'`.
 * @returns X, shape [n, 2], and y, n labels; classes balanced, points shuffled
 * @throws ValueError for an unknown name or an option out of range (naming the option)
 */
export function generateToy(kind: ToyName, options: ToyOptions): ToySet {
  const fn = 'generateToy';
  checkOneOf(fn, 'kind', kind, TOY_NAMES);
  return generate(fn, kind, options);
}

/** CS231n's spiral: `classes` arms (default 3). See `generateToy`. */
export function spiral(options: ToyOptions): ToySet {
  return generate('spiral', 'spiral', options);
}

/** Concentric rings, one per class (default 3; 2 is TensorFlow Playground's "circle"). See `generateToy`. */
export function circles(options: ToyOptions): ToySet {
  return generate('circles', 'circles', options);
}

/** XOR of the signs of the two coordinates: always 2 classes. See `generateToy`. */
export function xor(options: ToyOptions): ToySet {
  return generate('xor', 'xor', options);
}

/** Gaussian blobs, one per class (default 3). See `generateToy`. */
export function gaussian(options: ToyOptions): ToySet {
  return generate('gaussian', 'gaussian', options);
}

function generate(fn: string, kind: ToyName, options: ToyOptions): ToySet {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(
      fn,
      'options',
      `must be an object { n, classes?, noise?, seed?, dtype? }, got ${describe(options)}`,
    );
  }
  const K = kind === 'xor' ? 2 : (options.classes ?? 3);
  if (kind === 'xor' && options.classes !== undefined && options.classes !== 2) {
    throw new ValueError(
      fn,
      'options.classes',
      `must be 2 or absent for xor, got ${describe(options.classes)}`,
    );
  }
  checkNumber(fn, 'options.classes', K, { integer: true, min: 2, max: 10 });
  const n = checkNumber(fn, 'options.n', options.n, { integer: true, min: K });
  const noise = checkNumber(fn, 'options.noise', options.noise ?? 0.1, { min: 0 });
  const seed = checkNumber(fn, 'options.seed', options.seed ?? 0, { integer: true, min: 0, max: 0xffffffff });
  const dtype = options.dtype ?? 'float32';
  checkDType(fn, 'options.dtype', dtype);

  const rng = new Rng(seed);
  const place = PLACE[kind];
  const order = rng.permutation(n); // point j of the class-ordered sequence goes to row order[j]
  const X = allocate(dtype, n * 2);
  const y = new Int32Array(n);
  const point = [0, 0];
  let j = 0;
  for (let k = 0; k < K; k++) {
    const count = Math.floor(n / K) + (k < n % K ? 1 : 0);
    for (let i = 0; i < count; i++, j++) {
      place(k, i, count, K, rng, point);
      const row = order[j];
      X[2 * row] = point[0] + noise * rng.normal();
      X[2 * row + 1] = point[1] + noise * rng.normal();
      y[row] = k;
    }
  }
  return { X: new Tensor(X, [n, 2]), y };
}
