// The gradient checks of `backprop gradcheck`: every layer's backward and every model's loss
// gradient against centered-difference numerical gradients, in float64, on the small shapes the
// CS231n notebooks use. Each check returns the max relative error of each gradient it compares.
import { evalNumericalGradient, evalNumericalGradientArray } from '@backprop/gradcheck';
import * as layers from '@backprop/layers';
import { softmaxLoss, svmLoss } from '@backprop/losses';
import { FullyConnectedNet, ThreeLayerConvNet, TwoLayerNet } from '@backprop/models';
import { Rng, randn, type Tensor } from '@backprop/tensor';

/** One named gradient check. */
export interface GradCheck {
  /** What is checked, e.g. `affineBackward` or `FullyConnectedNet batchnorm`. */
  name: string;
  /** 'layer', 'loss' or 'model'. */
  group: 'layer' | 'loss' | 'model';
  /** The largest relative error allowed for each gradient. */
  tolerance: number;
  /** Runs the check: each gradient by name (`dx`, `dw`, `W1`, ...), numerical and analytic. */
  run(): Record<string, GradientPair>;
}

/** A gradient computed both ways. */
export interface GradientPair {
  numeric: Tensor;
  analytic: Tensor;
}

/**
 * Below this absolute difference two gradient entries agree whatever their relative error: the
 * centered difference with h = 1e-5 in float64 is only that exact (about 1e-11 for losses of order 1),
 * so an entry whose true value is near 0 has a meaningless relative error.
 */
export const ABSOLUTE_NOISE_FLOOR = 1e-9;

/** How far apart the two gradients are, and whether every entry is within `tolerance`. */
export interface Comparison {
  /** CS231n's figure: max over entries of |a - b| / max(1e-8, |a| + |b|). */
  relError: number;
  /** Max over entries of |a - b|. */
  absError: number;
  /** Every entry within `tolerance` relatively or within ABSOLUTE_NOISE_FLOOR absolutely (NaN fails). */
  pass: boolean;
}

/** Compares a numerical and an analytic gradient entry by entry. */
export function compareGradients(pair: GradientPair, tolerance: number): Comparison {
  const { numeric, analytic } = pair;
  if (numeric.size !== analytic.size) {
    return { relError: Number.NaN, absError: Number.NaN, pass: false };
  }
  let relError = 0;
  let absError = 0;
  let pass = true;
  for (let i = 0; i < numeric.size; i++) {
    const a = numeric.data[i];
    const b = analytic.data[i];
    const diff = Math.abs(a - b);
    const rel = diff / Math.max(1e-8, Math.abs(a) + Math.abs(b));
    if (!(rel <= tolerance || diff <= ABSOLUTE_NOISE_FLOOR)) pass = false;
    if (!(rel <= relError)) relError = rel; // NaN sticks
    if (!(diff <= absError)) absError = diff;
  }
  return { relError, absError, pass };
}

type Forward = (inputs: Record<string, Tensor>) => { out: Tensor; cache: unknown };
// biome-ignore lint/suspicious/noExplicitAny: one signature for every layer's backward (their caches and gradient records differ)
type Backward = (dout: Tensor, cache: any) => any;

const f64 = (shape: number[], rng: Rng, scale = 1) => {
  const t = randn(shape, { rng, dtype: 'float64' });
  if (scale !== 1) for (let i = 0; i < t.size; i++) t.data[i] *= scale;
  return t;
};

/**
 * Compares `backward` against the numerical gradient of sum(forward(inputs).out * dout) for each
 * input named in `wrt`. The backward's gradient of input `x` is `dx`, of `gamma` is `dgamma`, etc.
 */
function layerErrors(
  inputs: Record<string, Tensor>,
  forward: Forward,
  backward: Backward,
  rng: Rng,
  wrt: readonly string[] = Object.keys(inputs),
): Record<string, GradientPair> {
  const { out, cache } = forward(inputs);
  const dout = f64([...out.shape], rng);
  const grads = backward(dout, cache as never);
  const pairs: Record<string, GradientPair> = {};
  for (const name of wrt) {
    const numeric = evalNumericalGradientArray(() => forward(inputs).out, inputs[name], dout);
    pairs[`d${name}`] = { numeric, analytic: grads[`d${name}`] };
  }
  return pairs;
}

interface CheckedModel {
  params: Record<string, Tensor>;
  loss(X: Tensor, y: ArrayLike<number>): { loss: number; grads: Record<string, Tensor> };
}

/**
 * Gives biases, gammas and betas random values (from `rng`). At initialisation biases are 0, and a zero
 * bias after a fully dropped-out row, or a symmetric input, puts ReLU inputs exactly on the kink at 0,
 * where the centered difference measures half a slope: the check would fail for a correct gradient.
 */
function randomizeNonWeights(model: CheckedModel, rng: Rng): void {
  for (const [name, p] of Object.entries(model.params)) {
    if (name.startsWith('W')) continue;
    const center = name.startsWith('gamma') ? 1 : 0;
    for (let i = 0; i < p.size; i++) p.data[i] = center + 0.2 * rng.normal();
  }
}

/** The numerical gradient of a model's loss with respect to each parameter. */
function modelErrors(
  model: CheckedModel,
  X: Tensor,
  y: Int32Array,
  rng: Rng,
  before: () => void = () => {},
): Record<string, GradientPair> {
  randomizeNonWeights(model, rng);
  before();
  const { grads } = model.loss(X, y);
  const pairs: Record<string, GradientPair> = {};
  for (const name of Object.keys(model.params).sort(paramOrder)) {
    const numeric = evalNumericalGradient(() => {
      before();
      return model.loss(X, y).loss;
    }, model.params[name]);
    pairs[name] = { numeric, analytic: grads[name] };
  }
  return pairs;
}

/** W1, b1, gamma1, beta1, W2, ...: by layer number, then W, b, gamma, beta. */
function paramOrder(a: string, b: string): number {
  const kinds = ['W', 'b', 'gamma', 'beta'];
  const parse = (s: string) => {
    const m = /^([a-zA-Z]+)(\d+)$/.exec(s);
    return m ? [Number(m[2]), kinds.indexOf(m[1])] : [Number.POSITIVE_INFINITY, 0];
  };
  const [la, ka] = parse(a);
  const [lb, kb] = parse(b);
  return la - lb || ka - kb || a.localeCompare(b);
}

function labels(n: number, classes: number, rng: Rng): Int32Array {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.integer(0, classes);
  return y;
}

/** Every check `backprop gradcheck` runs, in order. */
export function gradChecks(seed = 0): GradCheck[] {
  const rng = () => new Rng(seed);
  const L = layers;
  return [
    {
      name: 'affineBackward',
      group: 'layer',
      tolerance: 1e-7,
      run: () => {
        const r = rng();
        return layerErrors(
          { x: f64([10, 2, 3], r), w: f64([6, 5], r), b: f64([5], r) },
          ({ x, w, b }) => L.affineForward(x, w, b),
          L.affineBackward as Backward,
          r,
        );
      },
    },
    {
      name: 'reluBackward',
      group: 'layer',
      tolerance: 1e-7,
      run: () => {
        const r = rng();
        return layerErrors(
          { x: f64([10, 10], r) },
          ({ x }) => L.reluForward(x),
          L.reluBackward as Backward,
          r,
        );
      },
    },
    {
      name: 'affineReluBackward',
      group: 'layer',
      tolerance: 1e-7,
      run: () => {
        const r = rng();
        return layerErrors(
          { x: f64([2, 3, 4], r), w: f64([12, 10], r), b: f64([10], r) },
          ({ x, w, b }) => L.affineReluForward(x, w, b),
          L.affineReluBackward as Backward,
          r,
        );
      },
    },
    ...(['batchnormBackward', 'batchnormBackwardAlt'] as const).map(
      (backwardName): GradCheck => ({
        name: backwardName,
        group: 'layer',
        tolerance: 1e-6,
        run: () => {
          const r = rng();
          const x = f64([4, 5], r, 5);
          for (let i = 0; i < x.size; i++) x.data[i] += 12;
          return layerErrors(
            { x, gamma: f64([5], r), beta: f64([5], r) },
            ({ x, gamma, beta }) => L.batchnormForward(x, gamma, beta, { mode: 'train' }),
            L[backwardName] as Backward,
            r,
          );
        },
      }),
    ),
    {
      name: 'layernormBackward',
      group: 'layer',
      tolerance: 1e-6,
      run: () => {
        const r = rng();
        const x = f64([4, 5], r, 5);
        for (let i = 0; i < x.size; i++) x.data[i] += 12;
        return layerErrors(
          { x, gamma: f64([5], r), beta: f64([5], r) },
          ({ x, gamma, beta }) => L.layernormForward(x, gamma, beta, {}),
          L.layernormBackward as Backward,
          r,
        );
      },
    },
    ...(['batchnorm', 'layernorm'] as const).map(
      (normalization): GradCheck => ({
        name: `affineNormReluBackward ${normalization}`,
        group: 'layer',
        tolerance: 1e-6,
        run: () => {
          const r = rng();
          return layerErrors(
            { x: f64([4, 6], r), w: f64([6, 5], r), b: f64([5], r), gamma: f64([5], r), beta: f64([5], r) },
            ({ x, w, b, gamma, beta }) =>
              L.affineNormReluForward(
                x,
                w,
                b,
                gamma,
                beta,
                normalization === 'batchnorm' ? { mode: 'train' } : {},
                normalization,
              ),
            L.affineNormReluBackward as Backward,
            r,
          );
        },
      }),
    ),
    {
      name: 'dropoutBackward',
      group: 'layer',
      tolerance: 1e-7,
      run: () => {
        const r = rng();
        // A fixed seed gives the same mask in every forward of the numerical gradient.
        return layerErrors(
          { x: f64([10, 10], r, 1) },
          ({ x }) => L.dropoutForward(x, { p: 0.2, mode: 'train', seed: 123 }),
          L.dropoutBackward as Backward,
          r,
        );
      },
    },
    ...(
      [
        ['convBackwardNaive', L.convForwardNaive, L.convBackwardNaive],
        ['convBackward', L.convForward, L.convBackward],
      ] as const
    ).map(
      ([name, forward, backward]): GradCheck => ({
        name,
        group: 'layer',
        tolerance: 1e-7,
        run: () => {
          const r = rng();
          return layerErrors(
            { x: f64([4, 3, 5, 5], r), w: f64([2, 3, 3, 3], r), b: f64([2], r) },
            ({ x, w, b }) => forward(x, w, b, { stride: 1, pad: 1 }),
            backward as Backward,
            r,
          );
        },
      }),
    ),
    ...(
      [
        ['maxPoolBackwardNaive', L.maxPoolForwardNaive, L.maxPoolBackwardNaive],
        ['maxPoolBackward', L.maxPoolForward, L.maxPoolBackward],
      ] as const
    ).map(
      ([name, forward, backward]): GradCheck => ({
        name,
        group: 'layer',
        tolerance: 1e-7,
        run: () => {
          const r = rng();
          return layerErrors(
            { x: f64([3, 2, 8, 8], r) },
            ({ x }) => forward(x, { poolHeight: 2, poolWidth: 2, stride: 2 }),
            backward as Backward,
            r,
          );
        },
      }),
    ),
    {
      name: 'convReluPoolBackward',
      group: 'layer',
      tolerance: 1e-7,
      run: () => {
        const r = rng();
        return layerErrors(
          { x: f64([2, 3, 8, 8], r), w: f64([3, 3, 3, 3], r), b: f64([3], r) },
          ({ x, w, b }) =>
            L.convReluPoolForward(x, w, b, { stride: 1, pad: 1 }, { poolHeight: 2, poolWidth: 2, stride: 2 }),
          L.convReluPoolBackward as Backward,
          r,
        );
      },
    },
    {
      name: 'spatialBatchnormBackward',
      group: 'layer',
      tolerance: 1e-6,
      run: () => {
        const r = rng();
        return layerErrors(
          { x: f64([2, 3, 4, 5], r, 5), gamma: f64([3], r), beta: f64([3], r) },
          ({ x, gamma, beta }) => L.spatialBatchnormForward(x, gamma, beta, { mode: 'train' }),
          L.spatialBatchnormBackward as Backward,
          r,
        );
      },
    },
    {
      name: 'spatialGroupnormBackward',
      group: 'layer',
      tolerance: 1e-6,
      run: () => {
        const r = rng();
        // Group norm keeps CS231n's [1, C, 1, 1] gamma and beta.
        return layerErrors(
          { x: f64([2, 6, 4, 5], r, 5), gamma: f64([1, 6, 1, 1], r), beta: f64([1, 6, 1, 1], r) },
          ({ x, gamma, beta }) => L.spatialGroupnormForward(x, gamma, beta, 2, {}),
          L.spatialGroupnormBackward as Backward,
          r,
        );
      },
    },
    ...(
      [
        ['svmLoss', svmLoss],
        ['softmaxLoss', softmaxLoss],
      ] as const
    ).map(
      ([name, loss]): GradCheck => ({
        name,
        group: 'loss',
        tolerance: 1e-7,
        run: () => {
          const r = rng();
          const x = f64([50, 10], r, 1e-3);
          const y = labels(50, 10, r);
          const { dx } = loss(x, y);
          return { dx: { numeric: evalNumericalGradient((xx) => loss(xx, y).loss, x), analytic: dx } };
        },
      }),
    ),
    ...[0, 0.7].map(
      (reg): GradCheck => ({
        name: `TwoLayerNet reg ${reg}`,
        group: 'model',
        tolerance: 1e-6,
        run: () => {
          const r = rng();
          const model = new TwoLayerNet({
            inputDim: 5,
            hiddenDim: 50,
            numClasses: 3,
            weightScale: 1e-1,
            reg,
            dtype: 'float64',
            seed,
          });
          return modelErrors(model, f64([3, 5], r), labels(3, 3, r), r);
        },
      }),
    ),
    ...(
      [
        ['none', null, 1],
        ['batchnorm', 'batchnorm', 1],
        ['layernorm', 'layernorm', 1],
        ['dropout 0.5', null, 0.5],
      ] as const
    ).map(
      ([label, normalization, dropout]): GradCheck => ({
        name: `FullyConnectedNet ${label}`,
        group: 'model',
        tolerance: 1e-6,
        run: () => {
          const r = rng();
          const model = new FullyConnectedNet({
            hiddenDims: [10, 8],
            inputDim: 8,
            numClasses: 5,
            normalization,
            dropout,
            reg: 0.1,
            weightScale: 0.3,
            dtype: 'float64',
            seed,
          });
          // Every loss evaluation starts from the same model state, so dropout draws the same mask.
          const state = model.getState();
          return modelErrors(model, f64([4, 8], r), labels(4, 5, r), r, () => model.setState(state));
        },
      }),
    ),
    {
      name: 'ThreeLayerConvNet',
      group: 'model',
      tolerance: 1e-6,
      run: () => {
        const r = rng();
        const model = new ThreeLayerConvNet({
          inputDim: [3, 8, 8],
          numFilters: 3,
          filterSize: 3,
          hiddenDim: 7,
          numClasses: 10,
          weightScale: 0.1,
          reg: 0.1,
          dtype: 'float64',
          seed,
        });
        return modelErrors(model, f64([2, 3, 8, 8], r), labels(2, 10, r), r);
      },
    },
  ];
}
