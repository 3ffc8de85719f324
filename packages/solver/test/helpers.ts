// Shared test fixtures: small seeded data sets and two hand-written Models (the Model interface is all
// the Solver needs, so these also test that it works with custom models).
import type { LossResult, Model } from '@backprop/models';
import { allocate, type DType, Rng, randn, Tensor } from '@backprop/tensor';

/** N random normal examples of shape `sample` with random labels in [0, classes): memorisation data. */
export function randomData(
  n: number,
  sample: number[],
  classes: number,
  seed: number,
  dtype: DType = 'float64',
) {
  const rng = new Rng(seed);
  const X = randn([n, ...sample], { rng, dtype });
  const y = Int32Array.from({ length: n }, () => rng.integer(0, classes));
  return { X, y };
}

/** Train = val = the same random data (the notebooks' overfitting check). */
export function overfitData(
  n: number,
  sample: number[],
  classes: number,
  seed: number,
  dtype: DType = 'float64',
) {
  const { X, y } = randomData(n, sample, classes, seed, dtype);
  return { XTrain: X, yTrain: y, XVal: X, yVal: y };
}

/**
 * Softmax regression, scores = X·W + b, written out with plain loops (independent of @backprop/layers).
 * `onLoss` can tamper with the result (to inject NaN) and `seen` records every train-mode batch.
 */
export class SoftmaxRegression implements Model {
  params: Record<string, Tensor>;
  seen: Float64Array[] = [];
  calls = 0;
  onLoss: ((result: LossResult, call: number) => LossResult) | null = null;

  constructor(
    readonly D: number,
    readonly C: number,
    seed = 0,
    dtype: DType = 'float64',
    scale = 0.01,
  ) {
    const rng = new Rng(seed);
    const W = allocate(dtype, D * C);
    for (let i = 0; i < W.length; i++) W[i] = scale * rng.normal();
    this.params = { W: new Tensor(W, [D, C]), b: new Tensor(allocate(dtype, C), [C]) };
  }

  loss(X: Tensor): Tensor;
  loss(X: Tensor, y: ArrayLike<number>): LossResult;
  loss(X: Tensor, y?: ArrayLike<number>): Tensor | LossResult {
    const { D, C } = this;
    const N = X.shape[0];
    const W = this.params.W.data;
    const b = this.params.b.data;
    const scores = new Float64Array(N * C);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        let s = b[c];
        for (let d = 0; d < D; d++) s += X.data[n * D + d] * W[d * C + c];
        scores[n * C + c] = s;
      }
    }
    if (y === undefined) return new Tensor(scores, [N, C]);
    this.seen.push(Float64Array.from(X.data));
    const dW = allocate(this.params.W.dtype, D * C);
    const db = allocate(this.params.W.dtype, C);
    let loss = 0;
    for (let n = 0; n < N; n++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < C; c++) max = Math.max(max, scores[n * C + c]);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(scores[n * C + c] - max);
      loss -= scores[n * C + y[n]] - max - Math.log(sum);
      for (let c = 0; c < C; c++) {
        const g = (Math.exp(scores[n * C + c] - max) / sum - (c === y[n] ? 1 : 0)) / N;
        db[c] += g;
        for (let d = 0; d < D; d++) dW[d * C + c] += X.data[n * D + d] * g;
      }
    }
    const result: LossResult = {
      loss: loss / N,
      grads: { W: new Tensor(dW, [D, C]), b: new Tensor(db, [C]) },
    };
    this.calls++;
    return this.onLoss ? this.onLoss(result, this.calls) : result;
  }
}

/** Bit-exact equality of two records of tensors (shape, dtype and every element, NaN-safe). */
export function expectSameTensors(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  const keys = Object.keys(a).sort();
  if (keys.join() !== Object.keys(b).sort().join())
    throw new Error(`keys differ: ${keys} vs ${Object.keys(b)}`);
  for (const k of keys) {
    if (a[k].dtype !== b[k].dtype || a[k].shape.join() !== b[k].shape.join())
      throw new Error(`${k}: shape/dtype differ`);
    const x = new Uint8Array(a[k].data.buffer, a[k].data.byteOffset, a[k].data.byteLength);
    const z = new Uint8Array(b[k].data.buffer, b[k].data.byteOffset, b[k].data.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== z[i]) throw new Error(`${k}: differs at byte ${i}`);
  }
}
