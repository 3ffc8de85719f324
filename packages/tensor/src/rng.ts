// The only source of randomness in backprop: a generator the caller seeds.
// Algorithm: xoshiro128** (Blackman & Vigna, 2018) on four 32-bit words, seeded by splitmix32 from a
// 32-bit seed. It uses only 32-bit integer arithmetic (Math.imul, >>>), so the integer stream is
// bit-identical on every JavaScript engine. Uniform doubles take 53 bits from two outputs. Normals use
// the Marsaglia polar method (one Math.log and one Math.sqrt per pair); sqrt is exactly rounded by
// IEEE 754, and V8 (Node, Chromium) and SpiderMonkey both use fdlibm's log, so normals agree too.
import { ValueError } from './errors';

/** The complete state of an Rng, plain data (JSON-safe) for checkpoints. */
export interface RngState {
  s: [number, number, number, number];
  /** The second normal of the last polar pair, if not yet used. */
  spareNormal: number | null;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** @param seed - any integer (taken modulo 2^32); the same seed gives the same sequence everywhere. */
  constructor(seed = 0) {
    if (typeof seed !== 'number' || !Number.isInteger(seed)) {
      throw new ValueError('Rng', 'seed', `must be an integer, got ${String(seed)}`);
    }
    // splitmix32 expands the seed into four well-mixed words (never all zero).
    let x = seed >>> 0;
    const split = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = split();
    this.s1 = split();
    this.s2 = split();
    this.s3 = split();
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [low, high). @throws ValueError for non-finite bounds */
  uniform(low = 0, high = 1): number {
    if (!Number.isFinite(low) || !Number.isFinite(high)) badRange('Rng.uniform', 'low, high', low, high);
    return low + (high - low) * this.next();
  }

  /** Normal sample with the given mean and standard deviation. @throws ValueError for a non-finite mean or std, or std < 0 */
  normal(mean = 0, std = 1): number {
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
      badNormal('Rng.normal', mean, std);
    }
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * factor;
    return mean + std * u * factor;
  }

  /** Uniform integer in [low, high) without modulo bias. */
  integer(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || high - low > 2 ** 32) {
      throw new ValueError(
        'Rng.integer',
        'low, high',
        `must be integers with low < high <= low + 2^32, got ${low}, ${high}`,
      );
    }
    const range = high - low;
    if (range === 2 ** 32) return low + this.nextUint32();
    // Rejection sampling: accept only values below the largest multiple of range.
    const limit = 2 ** 32 - (2 ** 32 % range);
    let r: number;
    do r = this.nextUint32();
    while (r >= limit);
    return low + (r % range);
  }

  /** Shuffles `array` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    checkArrayLike('Rng.shuffle', 'array', array);
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.integer(0, i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) {
      throw new ValueError('Rng.permutation', 'n', `must be a non-negative integer, got ${String(n)}`);
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** `size` indices drawn uniformly from 0..n-1 with replacement (numpy's `choice(n, size)`). */
  choice(n: number, size: number): Int32Array {
    if (!Number.isInteger(n) || n <= 0)
      throw new ValueError('Rng.choice', 'n', `must be a positive integer, got ${n}`);
    if (!Number.isInteger(size) || size < 0) {
      throw new ValueError('Rng.choice', 'size', `must be a non-negative integer, got ${size}`);
    }
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.integer(0, n);
    return out;
  }

  /** Fills `out` with normal samples. */
  fillNormal(out: { length: number; [i: number]: number }, mean = 0, std = 1): void {
    checkArrayLike('Rng.fillNormal', 'out', out);
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
      badNormal('Rng.fillNormal', mean, std);
    }
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
  }

  /** Fills `out` with uniform samples in [low, high). */
  fillUniform(out: { length: number; [i: number]: number }, low = 0, high = 1): void {
    checkArrayLike('Rng.fillUniform', 'out', out);
    if (!Number.isFinite(low) || !Number.isFinite(high)) badRange('Rng.fillUniform', 'low, high', low, high);
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
  }

  /** A snapshot of the state (plain data, JSON-safe). */
  getState(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spare };
  }

  /** Restores a snapshot from `getState()`. */
  setState(state: RngState): void {
    const s = state?.s;
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      s.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) ||
      s.every((w) => w === 0)
    ) {
      throw new ValueError('Rng.setState', 'state.s', 'must be four 32-bit integers, not all zero');
    }
    if (state.spareNormal !== null && typeof state.spareNormal !== 'number') {
      throw new ValueError('Rng.setState', 'state.spareNormal', 'must be a number or null');
    }
    [this.s0, this.s1, this.s2, this.s3] = s.map((w) => w >>> 0) as [number, number, number, number];
    this.spare = state.spareNormal;
  }

  /** An independent copy in the same state. */
  clone(): Rng {
    const r = new Rng(0);
    r.setState(this.getState());
    return r;
  }
}

function checkArrayLike(fn: string, arg: string, v: unknown): void {
  if (v === null || typeof v !== 'object' || typeof (v as { length?: unknown }).length !== 'number') {
    throw new ValueError(fn, arg, `must be an array or typed array, got ${v === null ? 'null' : typeof v}`);
  }
}

function badRange(fn: string, arg: string, low: unknown, high: unknown): never {
  throw new ValueError(fn, arg, `must be finite numbers, got ${String(low)}, ${String(high)}`);
}

function badNormal(fn: string, mean: unknown, std: unknown): never {
  const arg = Number.isFinite(mean) ? 'std' : 'mean';
  const detail =
    arg === 'mean'
      ? `must be a finite number, got ${String(mean)}`
      : `must be a finite number >= 0, got ${String(std)}`;
  throw new ValueError(fn, arg, detail);
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
