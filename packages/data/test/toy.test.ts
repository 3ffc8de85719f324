import { DTypeError, ValueError } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circles, gaussian, generateToy, spiral, TOY_NAMES, xor } from '../src/index';
import { expectError } from './helpers';

const counts = (y: Int32Array, K: number) => {
  const c = new Array(K).fill(0);
  for (const v of y) c[v]++;
  return c;
};

describe('generateToy', () => {
  it('returns X [n, 2] and n labels, classes balanced to within one, for every set (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOY_NAMES),
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (kind, K, extra, seed) => {
          const classes = kind === 'xor' ? 2 : K;
          const n = classes + extra;
          const { X, y } = generateToy(kind, { n, classes, noise: 0.1, seed });
          expect(X.shape).toEqual([n, 2]);
          expect(X.dtype).toBe('float32');
          expect(y.length).toBe(n);
          const c = counts(y, classes);
          expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
          expect(c.reduce((a, b) => a + b, 0)).toBe(n);
          for (const v of X.data) expect(Number.isFinite(v)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('is reproducible from the seed, and another seed gives other points', () => {
    for (const kind of TOY_NAMES) {
      const a = generateToy(kind, { n: 50, noise: 0.2, seed: 7, dtype: 'float64' });
      const b = generateToy(kind, { n: 50, noise: 0.2, seed: 7, dtype: 'float64' });
      const c = generateToy(kind, { n: 50, noise: 0.2, seed: 8, dtype: 'float64' });
      expect(a.X.data).toEqual(b.X.data);
      expect(a.y).toEqual(b.y);
      expect(a.X.data).not.toEqual(c.X.data);
    }
  });

  it('shuffles the classes, so a prefix holds every class', () => {
    const { y } = spiral({ n: 300, classes: 3, seed: 1 });
    expect(new Set(y.subarray(0, 30)).size).toBe(3);
    expect(y.subarray(0, 100).every((v) => v === 0)).toBe(false);
  });

  it('spiral with noise 0: point radius r and angle 2πk/K + 4r, from the centre (r = 0) to radius 1', () => {
    const K = 3;
    const { X, y } = spiral({ n: 30, classes: K, noise: 0, seed: 3, dtype: 'float64' });
    const radii: number[] = [];
    for (let i = 0; i < 30; i++) {
      const [a, b] = [X.data[2 * i], X.data[2 * i + 1]];
      const r = Math.hypot(a, b);
      radii.push(r);
      if (r > 1e-9) {
        // x = r sin t, y = r cos t with t = 2πk/K + 4r: the angle matches modulo 2π
        const t = (2 * Math.PI * y[i]) / K + 4 * r;
        expect(a).toBeCloseTo(r * Math.sin(t), 12);
        expect(b).toBeCloseTo(r * Math.cos(t), 12);
      }
    }
    expect(Math.min(...radii)).toBe(0);
    expect(Math.max(...radii)).toBeCloseTo(1, 12);
  });

  it('circles with noise 0: class k lies in the ring [(k + 0.15) / K, (k + 0.85) / K)', () => {
    const K = 4;
    const { X, y } = circles({ n: 400, classes: K, noise: 0, seed: 5, dtype: 'float64' });
    for (let i = 0; i < 400; i++) {
      const r = Math.hypot(X.data[2 * i], X.data[2 * i + 1]);
      expect(r).toBeGreaterThanOrEqual((y[i] + 0.15) / K - 1e-12);
      expect(r).toBeLessThan((y[i] + 0.85) / K);
    }
  });

  it('xor with noise 0: class 0 where the signs agree, class 1 where they differ, 0.1 from the axes', () => {
    const { X, y } = xor({ n: 200, noise: 0, seed: 2, dtype: 'float64' });
    for (let i = 0; i < 200; i++) {
      const [a, b] = [X.data[2 * i], X.data[2 * i + 1]];
      expect(Math.min(Math.abs(a), Math.abs(b))).toBeGreaterThanOrEqual(0.1);
      expect(Math.max(Math.abs(a), Math.abs(b))).toBeLessThanOrEqual(1);
      expect(y[i]).toBe(a * b > 0 ? 0 : 1);
    }
  });

  it('gaussian: each blob’s mean is near its centre 0.6·(cos 2πk/K, sin 2πk/K)', () => {
    const K = 3;
    const { X, y } = gaussian({ n: 3000, classes: K, noise: 0, seed: 4, dtype: 'float64' });
    for (let k = 0; k < K; k++) {
      let sx = 0;
      let sy = 0;
      let c = 0;
      for (let i = 0; i < 3000; i++) {
        if (y[i] !== k) continue;
        sx += X.data[2 * i];
        sy += X.data[2 * i + 1];
        c++;
      }
      // 1000 points of std 0.1: the mean's std is 0.0032; 0.015 is nearly 5 sigma
      expect(Math.abs(sx / c - 0.6 * Math.cos((2 * Math.PI * k) / K))).toBeLessThan(0.015);
      expect(Math.abs(sy / c - 0.6 * Math.sin((2 * Math.PI * k) / K))).toBeLessThan(0.015);
    }
  });

  it('noise adds Gaussian noise of that standard deviation to each coordinate', () => {
    // Same seed, noise 0 vs 0.5: the placement draws are the same, the difference is the noise.
    const clean = circles({ n: 4000, classes: 2, noise: 0, seed: 9, dtype: 'float64' });
    const noisy = circles({ n: 4000, classes: 2, noise: 0.5, seed: 9, dtype: 'float64' });
    let s2 = 0;
    for (let i = 0; i < 8000; i++) s2 += (noisy.X.data[i] - clean.X.data[i]) ** 2;
    expect(Math.sqrt(s2 / 8000)).toBeGreaterThan(0.48);
    expect(Math.sqrt(s2 / 8000)).toBeLessThan(0.52);
    expect(noisy.y).toEqual(clean.y);
  });

  it('rejects bad options, naming them', () => {
    expectError(
      () => generateToy('moons' as 'spiral', { n: 10 }),
      ValueError,
      "generateToy: kind must be one of 'spiral', 'circles', 'xor', 'gaussian', got 'moons'",
    );
    expectError(
      () => spiral({ n: 2, classes: 3 }),
      ValueError,
      'spiral: options.n must be an integer >= 3, got 2',
    );
    expectError(() => spiral({ n: 10.5 }), ValueError, 'spiral: options.n must be an integer >= 3, got 10.5');
    expectError(
      () => circles({ n: 10, classes: 11 }),
      ValueError,
      'circles: options.classes must be an integer in [2, 10], got 11',
    );
    expectError(
      () => gaussian({ n: 10, noise: -1 }),
      ValueError,
      'gaussian: options.noise must be a finite number >= 0, got -1',
    );
    expectError(
      () => xor({ n: 10, classes: 3 }),
      ValueError,
      'xor: options.classes must be 2 or absent for xor, got 3',
    );
    expectError(
      () => spiral({ n: 10, seed: -1 }),
      ValueError,
      'spiral: options.seed must be an integer in [0, 4294967295], got -1',
    );
    expectError(
      () => spiral({ n: 10, dtype: 'int8' as 'float32' }),
      DTypeError,
      "spiral: options.dtype must be 'float32' or 'float64', got 'int8'",
    );
    expectError(
      () => spiral(null as never),
      ValueError,
      'spiral: options must be an object { n, classes?, noise?, seed?, dtype? }, got null',
    );
  });
});
