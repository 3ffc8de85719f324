// The WebAssembly SIMD kernels against plain loops written here, bit for bit, on values that include
// ±0, ±Infinity, NaNs of both signs, subnormals and ties, at lengths around the vector width and the
// streaming chunk (8192 floats), so the vector body, the scalar tail and the chunk seams all run.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AdamStep,
  adamF32,
  firstNotNonNegativeF32,
  gemmInfo,
  getKernelBackend,
  maxPool2x2BackwardF32,
  maxPool2x2F32,
  reluBackwardF32,
  reluF32,
  setKernelBackend,
  sumSquaresAddScaledF32,
  ValueError,
} from '../src/index';

afterEach(() => {
  setKernelBackend('auto');
});

const special = [0, -0, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, -1, 0.5];

/** float32 values, a fifth of them special, with many repeats (pooling ties). */
const values = (minLength: number, maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.float({ noDefaultInfinity: false }) },
        { weight: 1, arbitrary: fc.constantFrom(...special) },
      ),
      { minLength, maxLength },
    )
    .map((a) => {
      const f = Float32Array.from(a);
      // A negative NaN as well as the positive one fc and Number.NaN give.
      if (f.length > 3) new Int32Array(f.buffer)[3] = 0xffc00001 | 0;
      return f;
    });

/** Lengths around 4 (the vector width) and 8192 (the chunk) and a few between. */
const lengths = fc.oneof(
  fc.integer({ min: 0, max: 19 }),
  fc.integer({ min: 8185, max: 8200 }),
  fc.integer({ min: 16380, max: 16390 }),
);

const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));

function grow(base: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = base.length ? base[i % base.length] * (1 + (i % 7)) : i - n / 2;
  return out;
}

describe.skipIf(!gemmInfo().simd)('WebAssembly SIMD kernels', () => {
  it('reluF32 equals max(0, x) with NaN kept and −0 cleared, bit for bit', () => {
    fc.assert(
      fc.property(values(0, 64), lengths, (seed, n) => {
        const x = grow(seed, n);
        const out = new Float32Array(n).fill(7);
        expect(reluF32(x, out)).toBe(true);
        // A NaN passes with its very bits; −0 and every other value not above 0 becomes +0.
        const want = bits(x).map((b, i) => (Number.isNaN(x[i]) || x[i] > 0 ? b : 0));
        expect(bits(out)).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('reluBackwardF32 passes dout exactly where x > 0', () => {
    fc.assert(
      fc.property(values(0, 64), values(1, 64), lengths, (xs, ds, n) => {
        const x = grow(xs, n);
        const dout = grow(ds, n);
        const dx = new Float32Array(n).fill(7);
        expect(reluBackwardF32(x, dout, dx)).toBe(true);
        const want = bits(dout).map((b, i) => (x[i] > 0 ? b : 0));
        expect(bits(dx)).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('maxPool2x2F32 equals the window loop: first maximum on ties, NaN wins, argmax into x', () => {
    const shapes = fc.record({
      planes: fc.integer({ min: 1, max: 5 }),
      h: fc.integer({ min: 1, max: 8 }),
      w: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(14), fc.constant(66)),
    });
    fc.assert(
      fc.property(shapes, values(1, 40), ({ planes, h, w }, seed) => {
        const H = 2 * h;
        const W = 2 * w;
        // Few distinct values so windows hold ties; the special values bring NaNs and infinities.
        const x = new Float32Array(planes * H * W);
        for (let i = 0; i < x.length; i++) x[i] = seed[(i * 7) % seed.length] * ((i % 3) - 1);
        const n = x.length / 4;
        const out = new Float32Array(n);
        const argmax = new Int32Array(n);
        expect(maxPool2x2F32(x, out, argmax, planes, H, W)).toBe(true);
        const want = new Float32Array(n);
        const wantAt = new Int32Array(n);
        let k = 0;
        for (let p = 0; p < planes; p++) {
          for (let i = 0; i < H; i += 2) {
            for (let j = 0; j < W; j += 2, k++) {
              const window = [i * W + j, i * W + j + 1, (i + 1) * W + j, (i + 1) * W + j + 1].map(
                (o) => p * H * W + o,
              );
              let at = window[0];
              for (const c of window.slice(1)) {
                if (Number.isNaN(x[at])) break;
                if (Number.isNaN(x[c]) || x[c] > x[at]) at = c;
              }
              want[k] = x[at];
              wantAt[k] = at;
            }
          }
        }
        expect(Array.from(argmax)).toEqual(Array.from(wantAt));
        expect(bits(out)).toEqual(bits(want));
      }),
      { numRuns: 120 },
    );
  });

  it('maxPool2x2BackwardF32 equals a scatter-add of dout into a zeroed dx at the argmax', () => {
    const shapes = fc.record({
      planes: fc.integer({ min: 1, max: 5 }),
      h: fc.integer({ min: 1, max: 8 }),
      w: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(14), fc.constant(66)),
    });
    fc.assert(
      fc.property(shapes, values(1, 40), values(1, 40), ({ planes, h, w }, xs, ds) => {
        const H = 2 * h;
        const W = 2 * w;
        const x = new Float32Array(planes * H * W);
        for (let i = 0; i < x.length; i++) x[i] = xs[(i * 5) % xs.length];
        const n = x.length / 4;
        const out = new Float32Array(n);
        const argmax = new Int32Array(n);
        expect(maxPool2x2F32(x, out, argmax, planes, H, W)).toBe(true);
        const dout = new Float32Array(n);
        for (let k = 0; k < n; k++) dout[k] = ds[k % ds.length];
        const dx = new Float32Array(x.length).fill(7);
        expect(maxPool2x2BackwardF32(dout, argmax, dx, planes, H, W)).toBe(true);
        const want = new Float32Array(x.length);
        for (let k = 0; k < n; k++) want[argmax[k]] += dout[k];
        // Values (a NaN's payload may differ): −0 in dout arrives as +0, as 0 + −0 does.
        expect(Array.from(dx).map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(
          Array.from(want).map((v) => (Number.isNaN(v) ? 'NaN' : v)),
        );
        for (let i = 0; i < x.length; i++)
          if (!Number.isNaN(want[i])) expect(Object.is(dx[i], want[i])).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  it('maxPool2x2F32 streams planes larger than its chunk', () => {
    const H = 132;
    const W = 130; // one plane is 17,160 floats, more than the 16,384 a chunk holds
    const x = new Float32Array(3 * H * W);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 100;
    const n = x.length / 4;
    const out = new Float32Array(n);
    const argmax = new Int32Array(n);
    expect(maxPool2x2F32(x, out, argmax, 3, H, W)).toBe(true);
    for (let k = 0; k < n; k++) {
      const p = Math.floor(k / ((H * W) / 4));
      const r = k % ((H * W) / 4);
      const top = p * H * W + 2 * Math.floor(r / (W / 2)) * W + 2 * (r % (W / 2));
      const m = Math.max(x[top], x[top + 1], x[top + W], x[top + W + 1]);
      expect(out[k]).toBe(m);
      expect(x[argmax[k]]).toBe(m);
    }
  });

  it('adamF32 gives the bits of the float64 Adam loop, in place or into new arrays', () => {
    const step = fc.record({
      learningRate: fc.double({ min: 1e-6, max: 1, noNaN: true }),
      beta1: fc.double({ min: 0, max: 0.999, noNaN: true }),
      beta2: fc.double({ min: 0, max: 0.9999, noNaN: true }),
      t: fc.integer({ min: 1, max: 1000 }),
      epsilon: fc.double({ min: 1e-12, max: 1e-3, noNaN: true }),
    });
    const finite = (n: number) =>
      fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }), {
        minLength: n,
        maxLength: n,
      });
    fc.assert(
      fc.property(
        step,
        lengths,
        fc.boolean(),
        finite(8),
        finite(8),
        finite(8),
        (s, n, inPlace, ws, gs, ms) => {
          const h: AdamStep = {
            learningRate: s.learningRate,
            beta1: s.beta1,
            beta2: s.beta2,
            correct1: 1 - s.beta1 ** s.t,
            correct2: 1 - s.beta2 ** s.t,
            epsilon: s.epsilon,
          };
          const w = grow(Float32Array.from(ws), n);
          const g = grow(Float32Array.from(gs), n);
          const m = grow(Float32Array.from(ms), n);
          const v = grow(Float32Array.from(gs.map((x) => x * x)), n);
          // The loop of @backprop/optim's adam, written out again.
          const ew = new Float32Array(n);
          const em = new Float32Array(n);
          const ev = new Float32Array(n);
          for (let i = 0; i < n; i++) {
            em[i] = h.beta1 * m[i] + (1 - h.beta1) * g[i];
            ev[i] = h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i];
            ew[i] =
              w[i] - (h.learningRate * (em[i] / h.correct1)) / (Math.sqrt(ev[i] / h.correct2) + h.epsilon);
          }
          const outs = inPlace ? [w, m, v] : [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
          const before = [w.slice(), m.slice(), v.slice()];
          expect(adamF32(outs[0], outs[1], outs[2], w, g, m, v, h)).toBe(true);
          expect(bits(outs[0])).toEqual(bits(ew));
          expect(bits(outs[1])).toEqual(bits(em));
          expect(bits(outs[2])).toEqual(bits(ev));
          if (!inPlace) {
            expect(bits(w)).toEqual(bits(before[0]));
            expect(bits(m)).toEqual(bits(before[1]));
            expect(bits(v)).toEqual(bits(before[2]));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sumSquaresAddScaledF32 gives the bits of the L2 loop: four float64 partial sums, g += reg·w', () => {
    fc.assert(
      fc.property(
        values(0, 24),
        values(0, 24),
        lengths,
        fc.double({ min: 0, max: 10, noNaN: true }),
        (ws, gs, n, reg) => {
          const w = grow(ws, n);
          const g = grow(gs, n);
          // The loop of @backprop/models' addL2, written out again.
          const want = g.slice();
          const s = [0, 0, 0, 0];
          let i = 0;
          for (; i + 3 < n; i += 4) {
            for (let t = 0; t < 4; t++) {
              s[t] += w[i + t] * w[i + t];
              want[i + t] += reg * w[i + t];
            }
          }
          for (; i < n; i++) {
            s[0] += w[i] * w[i];
            want[i] += reg * w[i];
          }
          const sum = s[0] + s[1] + (s[2] + s[3]);
          const got = sumSquaresAddScaledF32(w, g, reg);
          expect(Object.is(got, sum) || (Number.isNaN(got) && Number.isNaN(sum)), `${got} vs ${sum}`).toBe(
            true,
          );
          // Bits, except that a NaN is any NaN: which operand's payload an add passes on is the engine's
          // choice (WebAssembly leaves it open), and no caller can tell.
          const canonical = (a: Float32Array) => bits(a.map((x) => (Number.isNaN(x) ? Number.NaN : x)));
          expect(canonical(g)).toEqual(canonical(want));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('firstNotNonNegativeF32 finds the first negative or NaN entry, or −1', () => {
    fc.assert(
      fc.property(lengths, fc.nat(), fc.constantFrom(-1, -1e-45, Number.NaN, -Infinity, -0), (n, at, bad) => {
        const x = new Float32Array(n).fill(0.5);
        expect(firstNotNonNegativeF32(x)).toBe(-1);
        if (n === 0) return;
        const i = at % n;
        x[i] = bad;
        // −0 >= 0 holds, so −0 is not reported.
        expect(firstNotNonNegativeF32(x)).toBe(Object.is(bad, -0) ? -1 : i);
        if (i + 1 < n) {
          x[n - 1] = -2;
          expect(firstNotNonNegativeF32(x)).toBe(Object.is(bad, -0) ? n - 1 : i);
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('setKernelBackend', () => {
  it("'ts' turns the kernels off (the callers' JavaScript loops run) and returns the previous setting", () => {
    expect(getKernelBackend()).toBe('auto');
    expect(setKernelBackend('ts')).toBe('auto');
    const x = Float32Array.of(-1, 2);
    expect(reluF32(x, new Float32Array(2))).toBe(false);
    expect(reluBackwardF32(x, x, new Float32Array(2))).toBe(false);
    expect(maxPool2x2F32(new Float32Array(4), new Float32Array(1), new Int32Array(1), 1, 2, 2)).toBe(false);
    expect(maxPool2x2BackwardF32(new Float32Array(1), new Int32Array(1), new Float32Array(4), 1, 2, 2)).toBe(
      false,
    );
    expect(firstNotNonNegativeF32(x)).toBeUndefined();
    expect(setKernelBackend('wasm')).toBe('ts');
  });

  it('rejects an unknown backend, naming the function and the choices', () => {
    expect(() => setKernelBackend('gpu' as never)).toThrow(ValueError);
    expect(() => setKernelBackend('gpu' as never)).toThrow(/setKernelBackend: backend must be one of/);
  });
});
