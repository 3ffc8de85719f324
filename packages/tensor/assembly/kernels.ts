// Elementwise float32 kernels in 128-bit SIMD, for the loops of a training step that are not GEMMs:
// ReLU forward and backward, 2×2 max pooling with its argmax, and the Adam update. Compiled by
// scripts/build-wasm.mjs; src/kernels/simd-kernels.ts streams the caller's arrays through this
// module's memory in chunks that stay in L2, so the copies cost little beside the work.
//
// Every kernel gives exactly the bits of the JavaScript loop it replaces (the callers keep those as
// the fallback, and tests compare the two): the ReLUs work on bit patterns, the pooling compares in
// the same order, and Adam evaluates the same float64 expression in f64x2 lanes.

/** The first byte of linear memory that the caller may use. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * out = max(0, x) on bit patterns: a set sign bit clears the value (−0 becomes +0), except in a NaN,
 * which passes unchanged. n floats at x and out (16-byte multiples are vectorized, the rest scalar).
 */
export function relu(x: usize, out: usize, n: i32): void {
  const abs = i32x4.splat(0x7fffffff);
  const inf = i32x4.splat(0x7f800000);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = (<usize>i) << 2;
    const bits = v128.load(x + off);
    const negative = i32x4.shr_s(bits, 31);
    const nan = i32x4.shr_s(i32x4.sub(inf, v128.and(bits, abs)), 31);
    v128.store(out + off, v128.andnot(bits, v128.andnot(negative, nan)));
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 2;
    const bits = load<i32>(x + off);
    const negative = bits >> 31;
    const nan = (0x7f800000 - (bits & 0x7fffffff)) >> 31;
    store<i32>(out + off, bits & ~(negative & ~nan));
  }
}

/**
 * dx = dout where x > 0, else +0. As signed integers x > 0 exactly when 0 < bits <= bits(+Infinity):
 * (−bits & (bits − 0x7f800001)) is negative exactly then.
 */
export function reluBackward(x: usize, dout: usize, dx: usize, n: i32): void {
  const top = i32x4.splat(0x7f800001);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = (<usize>i) << 2;
    const bits = v128.load(x + off);
    const pass = i32x4.shr_s(v128.and(i32x4.neg(bits), i32x4.sub(bits, top)), 31);
    v128.store(dx + off, v128.and(v128.load(dout + off), pass));
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 2;
    const bits = load<i32>(x + off);
    const pass = (-bits & (bits - 0x7f800001)) >> 31;
    store<i32>(dx + off, load<i32>(dout + off) & pass);
  }
}

/**
 * 2×2 max pooling with stride 2 over `planes` planes of H×W floats (H and W even) at x: the maxima
 * at out and, at argmax, each one's flat index into x plus `indexBase`. The window is scanned in
 * row-major order and a value replaces the best when `!(v <= best) && !isNaN(best)`: the first
 * maximum wins ties, a NaN wins against numbers and the first NaN stays (numpy propagates NaN).
 */
export function maxPool2x2(
  x: usize,
  out: usize,
  argmax: usize,
  planes: i32,
  H: i32,
  W: i32,
  indexBase: i32,
): void {
  const Ho = H >> 1;
  const Wo = W >> 1;
  const rowBytes = (<usize>W) << 2;
  const step = i32x4(0, 2, 4, 6);
  let k = 0;
  for (let plane = 0; plane < planes; plane++) {
    for (let oh = 0; oh < Ho; oh++) {
      const top = plane * H * W + 2 * oh * W; // index of the window row's first element
      const r0 = x + ((<usize>top) << 2);
      const r1 = r0 + rowBytes;
      let ow = 0;
      for (; ow + 4 <= Wo; ow += 4, k += 4) {
        const off = (<usize>(2 * ow)) << 2;
        const a0 = v128.load(r0 + off);
        const b0 = v128.load(r0 + off, 16);
        const a1 = v128.load(r1 + off);
        const b1 = v128.load(r1 + off, 16);
        let best = i32x4.shuffle(a0, b0, 0, 2, 4, 6);
        let at = i32x4.add(i32x4.splat(indexBase + top + 2 * ow), step);
        let v = i32x4.shuffle(a0, b0, 1, 3, 5, 7);
        let take = v128.andnot(f32x4.eq(best, best), f32x4.le(v, best));
        best = v128.bitselect(v, best, take);
        const at0 = at;
        at = v128.bitselect(i32x4.add(at0, i32x4.splat(1)), at, take);
        v = i32x4.shuffle(a1, b1, 0, 2, 4, 6);
        take = v128.andnot(f32x4.eq(best, best), f32x4.le(v, best));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(at0, i32x4.splat(W)), at, take);
        v = i32x4.shuffle(a1, b1, 1, 3, 5, 7);
        take = v128.andnot(f32x4.eq(best, best), f32x4.le(v, best));
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(at0, i32x4.splat(W + 1)), at, take);
        v128.store(out + ((<usize>k) << 2), best);
        v128.store(argmax + ((<usize>k) << 2), at);
      }
      for (; ow < Wo; ow++, k++) {
        const first = top + 2 * ow;
        let at = first;
        let best = load<f32>(x + ((<usize>first) << 2));
        at = pick(x, first + 1, at, best);
        best = load<f32>(x + ((<usize>at) << 2));
        at = pick(x, first + W, at, best);
        best = load<f32>(x + ((<usize>at) << 2));
        at = pick(x, first + W + 1, at, best);
        store<f32>(out + ((<usize>k) << 2), load<f32>(x + ((<usize>at) << 2)));
        store<i32>(argmax + ((<usize>k) << 2), indexBase + at);
      }
    }
  }
}

/** The scalar step of `maxPool2x2`: `candidate` if it replaces x[at] (value `best`), else `at`. */
function pick(x: usize, candidate: i32, at: i32, best: f32): i32 {
  const v = load<f32>(x + ((<usize>candidate) << 2));
  // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's isNaN<f32> is a typed builtin, not the coercing global
  return !(v <= best) && !isNaN(best) ? candidate : at;
}

/**
 * One Adam step on n float32 weights, in place, bit for bit the JavaScript loop in @backprop/optim:
 * each line below is evaluated in float64 (two lanes of f64x2) and rounded to float32 where it is
 * stored, and the stored m and v are read back before the bias correction.
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + ((1 − β2)·g)·g;  w ← w − (lr·(m / c1)) / (√(v / c2) + ε)
 */
export function adam(
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  learningRate: f64,
  beta1: f64,
  beta2: f64,
  correct1: f64,
  correct2: f64,
  epsilon: f64,
): void {
  const b1 = f64x2.splat(beta1);
  const c1b1 = f64x2.splat(1 - beta1);
  const b2 = f64x2.splat(beta2);
  const c1b2 = f64x2.splat(1 - beta2);
  const k1 = f64x2.splat(correct1);
  const k2 = f64x2.splat(correct2);
  const lr = f64x2.splat(learningRate);
  const eps = f64x2.splat(epsilon);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const off = (<usize>i) << 2;
    const gi = f64x2.promote_low_f32x4(v128.load64_zero(g + off));
    const mNew = f32x4.demote_f64x2_zero(
      f64x2.add(f64x2.mul(b1, f64x2.promote_low_f32x4(v128.load64_zero(m + off))), f64x2.mul(c1b1, gi)),
    );
    const vNew = f32x4.demote_f64x2_zero(
      f64x2.add(
        f64x2.mul(b2, f64x2.promote_low_f32x4(v128.load64_zero(v + off))),
        f64x2.mul(f64x2.mul(c1b2, gi), gi),
      ),
    );
    v128.store64_lane(m + off, mNew, 0);
    v128.store64_lane(v + off, vNew, 0);
    const mHat = f64x2.div(f64x2.promote_low_f32x4(mNew), k1);
    const vHat = f64x2.div(f64x2.promote_low_f32x4(vNew), k2);
    const step = f64x2.div(f64x2.mul(lr, mHat), f64x2.add(f64x2.sqrt(vHat), eps));
    const wi = f64x2.promote_low_f32x4(v128.load64_zero(w + off));
    v128.store64_lane(w + off, f32x4.demote_f64x2_zero(f64x2.sub(wi, step)), 0);
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 2;
    const gi = <f64>load<f32>(g + off);
    const mNew = <f32>(beta1 * <f64>load<f32>(m + off) + (1 - beta1) * gi);
    const vNew = <f32>(beta2 * <f64>load<f32>(v + off) + (1 - beta2) * gi * gi);
    store<f32>(m + off, mNew);
    store<f32>(v + off, vNew);
    const mHat = <f64>mNew / correct1;
    const vHat = <f64>vNew / correct2;
    store<f32>(w + off, <f32>(<f64>load<f32>(w + off) - (learningRate * mHat) / (Math.sqrt(vHat) + epsilon)));
  }
}

/** The index of the first of n floats at x that is negative or NaN (`!(x >= 0)`), or −1. */
export function firstNotNonNegative(x: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (!i32x4.all_true(f32x4.ge(v128.load(x + ((<usize>i) << 2)), zero))) break;
  }
  for (; i < n; i++) if (!(load<f32>(x + ((<usize>i) << 2)) >= 0)) return i;
  return -1;
}

/**
 * The backward pass of `maxPool2x2`: dx (planes×H×W, every entry written) gets each window's dout at
 * the window's argmax (a flat index into x plus `indexBase`, as `maxPool2x2` wrote it) and +0 at the
 * other three places. dout is added to +0, as a scatter into a zeroed dx does (so −0 becomes +0).
 */
export function maxPool2x2Backward(
  dout: usize,
  argmax: usize,
  dx: usize,
  planes: i32,
  H: i32,
  W: i32,
  indexBase: i32,
): void {
  const Ho = H >> 1;
  const Wo = W >> 1;
  const rowBytes = (<usize>W) << 2;
  const step = i32x4(0, 2, 4, 6);
  const zero = f32x4.splat(0);
  let k = 0;
  for (let plane = 0; plane < planes; plane++) {
    for (let oh = 0; oh < Ho; oh++) {
      const top = plane * H * W + 2 * oh * W;
      const r0 = dx + ((<usize>top) << 2);
      const r1 = r0 + rowBytes;
      let ow = 0;
      for (; ow + 4 <= Wo; ow += 4, k += 4) {
        const at0 = i32x4.add(i32x4.splat(indexBase + top + 2 * ow), step);
        const at = v128.load(argmax + ((<usize>k) << 2));
        const d = f32x4.add(v128.load(dout + ((<usize>k) << 2)), zero);
        const e0 = v128.and(d, i32x4.eq(at, at0));
        const o0 = v128.and(d, i32x4.eq(at, i32x4.add(at0, i32x4.splat(1))));
        const e1 = v128.and(d, i32x4.eq(at, i32x4.add(at0, i32x4.splat(W))));
        const o1 = v128.and(d, i32x4.eq(at, i32x4.add(at0, i32x4.splat(W + 1))));
        const off = (<usize>(2 * ow)) << 2;
        v128.store(r0 + off, i32x4.shuffle(e0, o0, 0, 4, 1, 5));
        v128.store(r0 + off, i32x4.shuffle(e0, o0, 2, 6, 3, 7), 16);
        v128.store(r1 + off, i32x4.shuffle(e1, o1, 0, 4, 1, 5));
        v128.store(r1 + off, i32x4.shuffle(e1, o1, 2, 6, 3, 7), 16);
      }
      for (; ow < Wo; ow++, k++) {
        const first = top + 2 * ow;
        const at = load<i32>(argmax + ((<usize>k) << 2)) - indexBase;
        const d: f32 = load<f32>(dout + ((<usize>k) << 2)) + 0;
        store<f32>(dx + ((<usize>first) << 2), at === first ? d : 0);
        store<f32>(dx + ((<usize>(first + 1)) << 2), at === first + 1 ? d : 0);
        store<f32>(dx + ((<usize>(first + W)) << 2), at === first + W ? d : 0);
        store<f32>(dx + ((<usize>(first + W + 1)) << 2), at === first + W + 1 ? d : 0);
      }
    }
  }
}

/**
 * The L2 penalty's pass over n float32 weights w and their gradient g, bit for bit the JavaScript
 * loop in @backprop/models: four float64 partial sums of w² (element i in sum i mod 4; here the lanes
 * of two f64x2), carried in and out at `sums` (four f64) so that chunks continue the same sums, and
 * g ← g + reg·w evaluated in float64 and rounded once. n is a multiple of 4 except in the last chunk,
 * whose tail goes to the first sum, as the loop's does.
 */
export function sumSquaresAddScaled(w: usize, g: usize, n: i32, reg: f64, sums: usize): void {
  let s01 = v128.load(sums);
  let s23 = v128.load(sums, 16);
  const r = f64x2.splat(reg);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = (<usize>i) << 2;
    const wv = v128.load(w + off);
    const gv = v128.load(g + off);
    const w01 = f64x2.promote_low_f32x4(wv);
    const w23 = f64x2.promote_low_f32x4(i32x4.shuffle(wv, wv, 2, 3, 0, 1));
    s01 = f64x2.add(s01, f64x2.mul(w01, w01));
    s23 = f64x2.add(s23, f64x2.mul(w23, w23));
    const g01 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.promote_low_f32x4(gv), f64x2.mul(r, w01)));
    const g23 = f32x4.demote_f64x2_zero(
      f64x2.add(f64x2.promote_low_f32x4(i32x4.shuffle(gv, gv, 2, 3, 0, 1)), f64x2.mul(r, w23)),
    );
    v128.store(g + off, i32x4.shuffle(g01, g23, 0, 1, 4, 5));
  }
  let s0 = f64x2.extract_lane(s01, 0);
  for (; i < n; i++) {
    const off = (<usize>i) << 2;
    const v = <f64>load<f32>(w + off);
    s0 += v * v;
    store<f32>(g + off, <f32>(<f64>load<f32>(g + off) + reg * v));
  }
  v128.store(sums, f64x2.replace_lane(s01, 0, s0));
  v128.store(sums, s23, 16);
}
