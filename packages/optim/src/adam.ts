// Adam (Kingma & Ba, 2015), as CS231n: t is incremented BEFORE the bias correction.
//   t ← t + 1;  m ← β1·m + (1 − β1)·dw;  v ← β2·v + (1 − β2)·dw²
//   m̂ = m / (1 − β1ᵗ);  v̂ = v / (1 − β2ᵗ);  w ← w − learningRate · m̂ / (√v̂ + epsilon)
import { type AdamStep, adamF32, checkNumber, type FloatArray, type Tensor } from '@backprop/tensor';
import { checkInPlace, checkUpdateArgs, hyper, state, target } from './check';
import type { UpdateOptions, UpdateResult } from './types';

/**
 * adam's config: `learningRate` (1e-3), `beta1` (0.9), `beta2` (0.999), `epsilon` (1e-8),
 * `m`, `v` (zeros like w), `t` (0, the number of steps taken so far).
 */
export interface AdamConfig {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  m?: Tensor;
  v?: Tensor;
  t?: number;
}

/**
 * One step of Adam. The new m and v are new tensors and the ones passed in are not touched, unless
 * `options.inPlace` lets the step write into w, m and v.
 * @param w - weights, any shape
 * @param dw - gradient, shaped like w
 * @param config - `{ learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, m, v = zeros, t = 0 }`
 * @param options - `{ inPlace }`: write into w, m and v instead of allocating
 * @returns config.t one larger than it came
 */
export function adam(
  w: Tensor,
  dw: Tensor,
  config?: AdamConfig,
  options?: UpdateOptions,
): UpdateResult<Required<AdamConfig>> {
  const fn = 'adam';
  const next = checkUpdateArgs(fn, w, dw, config);
  const inPlace = checkInPlace(fn, options);
  const learningRate = hyper(fn, next, 'learningRate', 1e-3, { greaterThan: 0 });
  const beta1 = hyper(fn, next, 'beta1', 0.9, { min: 0, lessThan: 1 });
  const beta2 = hyper(fn, next, 'beta2', 0.999, { min: 0, lessThan: 1 });
  const epsilon = hyper(fn, next, 'epsilon', 1e-8, { greaterThan: 0 });
  const m = state(fn, next, 'm', w);
  const v = state(fn, next, 'v', w, true);
  const t = checkNumber(fn, 'config.t', next.t ?? 0, { integer: true, min: 0 }) + 1;
  const correct1 = 1 - beta1 ** t;
  const correct2 = 1 - beta2 ** t;
  const nextW = target(w, inPlace);
  const mOut = target(m, inPlace);
  const vOut = target(v, inPlace);
  const h = { learningRate, beta1, beta2, correct1, correct2, epsilon };
  // float32 runs the WebAssembly SIMD kernel where there is one: the same float64 arithmetic two lanes
  // at a time, bit for bit the loop below. (w, dw, m, v and the targets share one dtype, checked above.)
  const f32 = (t: Tensor) => t.data as Float32Array;
  const simd =
    w.dtype === 'float32' && adamF32(f32(nextW), f32(mOut), f32(vOut), f32(w), f32(dw), f32(m), f32(v), h);
  if (!simd) adamLoop(nextW.data, mOut.data, vOut.data, w.data, dw.data, m.data, v.data, h);
  return {
    nextW,
    config: {
      ...next,
      learningRate,
      beta1,
      beta2,
      epsilon,
      m: mOut,
      v: vOut,
      t,
    },
  };
}

/**
 * The update loop, in its own function so that V8 optimizes it as a whole: inlined in `adam`, the
 * loop was compiled on-stack alone and threw the code away at the return object after it, every call
 * (355 deoptimizations in 60 convnet steps). It is the fallback of the SIMD kernel: on a 627k-weight
 * layer one `adam` call takes 8.0-8.3 ms with it and 3.1-3.3 ms with the kernel.
 */
function adamLoop(
  out: FloatArray,
  nextM: FloatArray,
  nextV: FloatArray,
  x: FloatArray,
  g: FloatArray,
  md: FloatArray,
  vd: FloatArray,
  h: AdamStep,
): void {
  const { learningRate, beta1, beta2, correct1, correct2, epsilon } = h;
  for (let i = 0; i < out.length; i++) {
    nextM[i] = beta1 * md[i] + (1 - beta1) * g[i];
    nextV[i] = beta2 * vd[i] + (1 - beta2) * g[i] * g[i];
    // Read back the stored moments so float32 steps use exactly the state they hand on.
    const mHat = nextM[i] / correct1;
    const vHat = nextV[i] / correct2;
    out[i] = x[i] - (learningRate * mHat) / (Math.sqrt(vHat) + epsilon);
  }
}
