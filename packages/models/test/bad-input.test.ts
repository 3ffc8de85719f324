// Bad input never crashes and never becomes a silent NaN: the model constructors, `loss`, `setState`,
// createModel and the checkpoint functions, given bad options (sizes 0 / negative / fractional,
// hiddenDims [0], numClasses 0, negative weightScale or reg, unknown keys, dtypes, normalizations),
// inputs of the wrong shape, empty batches, bad labels, replaced parameters or corrupted checkpoints,
// throw a BackpropError subclass whose message starts with "<function>: <argument>". Valid but extreme
// inputs give a finite loss and gradients. `tried` counts the bad inputs (BAD_INPUT_REPORT=1 prints it).
import {
  type BuiltinModel,
  createModel,
  deserializeModel,
  FullyConnectedNet,
  loadModel,
  loadModelInto,
  saveModel,
  serializeModel,
  ThreeLayerConvNet,
  TwoLayerNet,
} from '@backprop/models';
import {
  BackpropError,
  type DType,
  DTypeError,
  FormatError,
  Rng,
  randn,
  ShapeError,
  type Tensor,
  ValueError,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { makeExpectBad } from '../../../scripts/testing/expect-bad.ts';

let tried = 0;
afterAll(() => {
  if (process.env.BAD_INPUT_REPORT) console.log(`[bad-input] @backprop/models: ${tried} bad inputs tried`);
});

const expectBad = makeExpectBad(BackpropError, () => {
  tried++;
});

const RUNS = { numRuns: 40 };
const dtypeArb = fc.constantFrom<DType>('float32', 'float64');
const notFinite = fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, '10', true, null);
/** Not a positive integer: what a layer width, class count or filter count may not be. */
const badSize = fc.oneof(
  fc.integer({ min: -5, max: 0 }),
  fc.double({ min: 0.1, max: 9, noInteger: true }),
  notFinite.filter((v) => v !== null), // null means "use the default"
);
const negative = fc.oneof(
  fc.double({ min: -10, max: -1e-12, noNaN: true }),
  fc.constantFrom<unknown>(Number.NaN, '0.1'),
);

/** Small valid options for each model, so every property stays fast. */
const SMALL = {
  TwoLayerNet: { inputDim: 4, hiddenDim: 3, numClasses: 3 },
  FullyConnectedNet: { hiddenDims: [3, 2], inputDim: 4, numClasses: 3 },
  ThreeLayerConvNet: { inputDim: [1, 4, 4], numFilters: 2, filterSize: 3, hiddenDim: 3, numClasses: 3 },
} as const;
type Kind = keyof typeof SMALL;
const KINDS = Object.keys(SMALL) as Kind[];
const build = (kind: Kind, options: Record<string, unknown>): BuiltinModel => {
  const o = { ...SMALL[kind], ...options };
  if (kind === 'TwoLayerNet') return new TwoLayerNet(o as never);
  if (kind === 'FullyConnectedNet') return new FullyConnectedNet(o as never);
  return new ThreeLayerConvNet(o as never);
};
const inputShape = (kind: Kind, N: number) => (kind === 'ThreeLayerConvNet' ? [N, 1, 4, 4] : [N, 4]);

describe('model constructors › bad options', () => {
  it('reject sizes that are not positive integers (hidden 0, numClasses 0, …), naming the option', () => {
    const sizeKeys: [Kind, string][] = [
      ['TwoLayerNet', 'inputDim'],
      ['TwoLayerNet', 'hiddenDim'],
      ['TwoLayerNet', 'numClasses'],
      ['FullyConnectedNet', 'inputDim'],
      ['FullyConnectedNet', 'numClasses'],
      ['ThreeLayerConvNet', 'numFilters'],
      ['ThreeLayerConvNet', 'filterSize'],
      ['ThreeLayerConvNet', 'hiddenDim'],
      ['ThreeLayerConvNet', 'numClasses'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...sizeKeys), badSize, ([kind, key], bad) => {
        expectBad(() => build(kind, { [key]: bad }), ValueError, kind, `options.${key}`);
      }),
      { numRuns: 150 },
    );
  });

  it('reject a negative or NaN weightScale or reg, a bad dtype or seed, and unknown option keys', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        negative,
        fc.constantFrom<unknown>('float16', 'int32', 64, 'f32'),
        fc.oneof(
          fc.integer({ min: -9, max: -1 }),
          fc.double({ min: 0.1, max: 9, noInteger: true }),
          fc.constant(2 ** 32),
        ),
        fc.constantFrom('weight_scale', 'hidden_dims', 'num_classes', 'lr', 'Reg'),
        (kind, bad, dtype, seed, key) => {
          expectBad(() => build(kind, { weightScale: bad }), ValueError, kind, 'options.weightScale');
          expectBad(() => build(kind, { reg: bad }), ValueError, kind, 'options.reg');
          expectBad(() => build(kind, { dtype }), DTypeError, kind, 'options.dtype');
          expectBad(() => build(kind, { seed }), ValueError, kind, 'options.seed');
          expectBad(() => build(kind, { [key]: 1 }), ValueError, kind, `options.${key}`);
        },
      ),
      RUNS,
    );
    for (const kind of KINDS) {
      expectBad(
        () => build(kind, { weightScale: Number.POSITIVE_INFINITY }),
        ValueError,
        kind,
        'options.weightScale',
      );
    }
    for (const bad of [null, 3, 'fc', [1]]) {
      expectBad(() => new TwoLayerNet(bad as never), ValueError, 'TwoLayerNet', 'options');
      expectBad(() => new FullyConnectedNet(bad as never), ValueError, 'FullyConnectedNet', 'options');
      expectBad(() => new ThreeLayerConvNet(bad as never), ValueError, 'ThreeLayerConvNet', 'options');
    }
  });

  it('FullyConnectedNet: hiddenDims [0] / [-1] / [2.5] / not an array, dropout outside (0, 1], unknown normalization', () => {
    const fn = 'FullyConnectedNet';
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
        badSize,
        fc.nat(3),
        fc.oneof(
          fc.double({ min: -1, max: 0, noNaN: true }),
          fc.double({ min: 1.0001, max: 5, noNaN: true }),
          notFinite.filter((v) => v !== null),
        ),
        fc.constantFrom<unknown>('groupnorm', 'none', 'BatchNorm', '', 0),
        (dims, bad, at, dropout, normalization) => {
          const i = at % (dims.length + 1);
          const hiddenDims = [...dims.slice(0, i), bad, ...dims.slice(i)];
          expectBad(
            () => build('FullyConnectedNet', { hiddenDims }),
            ValueError,
            fn,
            `options.hiddenDims[${i}]`,
          );
          expectBad(() => build('FullyConnectedNet', { dropout }), ValueError, fn, 'options.dropout');
          expectBad(
            () => build('FullyConnectedNet', { normalization }),
            ValueError,
            fn,
            'options.normalization',
          );
        },
      ),
      RUNS,
    );
    for (const bad of [undefined, null, 100, '100,100', { 0: 3 }]) {
      expectBad(
        () => new FullyConnectedNet({ inputDim: 4, hiddenDims: bad } as never),
        ValueError,
        fn,
        'options.hiddenDims',
      );
    }
  });

  it('FullyConnectedNet with hiddenDims [] is a valid linear softmax classifier (finite loss, W1 [D, C])', () => {
    const net = new FullyConnectedNet({ hiddenDims: [], inputDim: 4, numClasses: 3, dtype: 'float64' });
    expect(net.params.W1.shape).toEqual([4, 3]);
    const { loss, grads } = net.loss(randn([2, 4], { rng: new Rng(1), dtype: 'float64' }), [0, 2]);
    expect(Number.isFinite(loss)).toBe(true);
    for (const g of Object.values(grads)) for (const v of g.data) expect(Number.isFinite(v)).toBe(true);
  });

  it('ThreeLayerConvNet: inputDim not [C, H, W] or with odd H / W, an even filterSize', () => {
    const fn = 'ThreeLayerConvNet';
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }).map((k) => 2 * k + 1),
        fc.integer({ min: 1, max: 4 }).map((k) => 2 * k),
        badSize,
        (C, odd, even, bad) => {
          expectBad(
            () => build('ThreeLayerConvNet', { inputDim: [C, odd, even] }),
            ValueError,
            fn,
            'options.inputDim',
          );
          expectBad(
            () => build('ThreeLayerConvNet', { inputDim: [C, even, odd] }),
            ValueError,
            fn,
            'options.inputDim',
          );
          expectBad(
            () => build('ThreeLayerConvNet', { inputDim: [C, even] }),
            ValueError,
            fn,
            'options.inputDim',
          );
          expectBad(
            () => build('ThreeLayerConvNet', { inputDim: [bad, even, even] }),
            ValueError,
            fn,
            'options.inputDim[0]',
          );
          expectBad(
            () => build('ThreeLayerConvNet', { inputDim: [C, bad, even] }),
            ValueError,
            fn,
            'options.inputDim[1]',
          );
          expectBad(
            () => build('ThreeLayerConvNet', { filterSize: even }),
            ValueError,
            fn,
            'options.filterSize',
          );
        },
      ),
      RUNS,
    );
  });

  it('createModel rejects unknown kinds and non-object options', () => {
    fc.assert(
      fc.property(fc.constantFrom<unknown>('mlp', 'FC', 'two_layer', 'cnn', '', null, 3), (kind) => {
        expectBad(() => createModel(kind as 'fc', {} as never), ValueError, 'createModel', 'kind');
      }),
      { numRuns: 20 },
    );
    for (const bad of [null, 3, 'x'])
      expectBad(() => createModel('fc', bad as never), ValueError, 'createModel', 'options');
    // Options are validated by the constructor, which names itself.
    expectBad(
      () => createModel('two-layer', { numClasses: 0 }),
      ValueError,
      'TwoLayerNet',
      'options.numClasses',
    );
  });
});

describe('model.loss › bad input', () => {
  const models = new Map<string, BuiltinModel>();
  const model = (kind: Kind, dtype: DType, normalization: string | null = null) => {
    const key = `${kind}/${dtype}/${normalization}`;
    if (!models.has(key)) {
      const extra = kind === 'FullyConnectedNet' ? { normalization, dropout: 0.5 } : {};
      models.set(key, build(kind, { dtype, seed: 3, ...extra }));
    }
    return models.get(key) as BuiltinModel;
  };
  const modelArb = fc.tuple(
    fc.constantFrom(...KINDS),
    dtypeArb,
    fc.constantFrom(null, 'batchnorm', 'layernorm'),
  );

  it('rejects a non-tensor X, an X with the wrong features or rank, and an empty batch', () => {
    fc.assert(
      fc.property(
        modelArb,
        fc.constantFrom<unknown>(null, undefined, 3, [[1, 2]], new Float32Array(4)),
        fc.integer({ min: 1, max: 3 }),
        ([kind, dtype, norm], bad, N) => {
          const m = model(kind, dtype, norm);
          const fn = `${kind}.loss`;
          expectBad(() => m.loss(bad as Tensor), ValueError, fn, 'X');
          const shape = inputShape(kind, N);
          const wider = [...shape.slice(0, -1), shape[shape.length - 1] + 1];
          expectBad(() => m.loss(zeros(wider, dtype)), ShapeError, fn, 'X');
          expectBad(
            () => m.loss(zeros([shape.slice(1).reduce((a, b) => a * b, 1)], dtype)),
            ShapeError,
            fn,
            'X',
          );
          expectBad(() => m.loss(zeros([0, ...shape.slice(1)], dtype)), ShapeError, fn, 'X');
          expectBad(() => m.loss(zeros([0, ...shape.slice(1)], dtype), []), ShapeError, fn, 'X');
        },
      ),
      RUNS,
    );
  });

  it('rejects labels that are NaN, -1, C, 1.5, of the wrong length or not an array', () => {
    fc.assert(
      fc.property(
        modelArb,
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.constantFrom(Number.NaN, -1, 3, 1.5, Number.POSITIVE_INFINITY, 255),
        fc.constantFrom('array', 'Int32Array', 'Uint8Array'),
        ([kind, dtype, norm], N, at, bad, type) => {
          const m = model(kind, dtype, norm);
          const fn = `${kind}.loss`;
          const X = randn(inputShape(kind, N), { rng: new Rng(N), dtype });
          const labels: number[] = new Array(N).fill(0);
          labels[at % N] = bad;
          const y =
            type === 'array'
              ? labels
              : type === 'Int32Array'
                ? Int32Array.from(labels)
                : Uint8Array.from(labels);
          const stored = y[at % N];
          if (Number.isInteger(stored) && stored >= 0 && stored < 3) {
            expect(Number.isFinite(m.loss(X, y).loss)).toBe(true); // the typed array made it a valid label
          } else {
            expectBad(() => m.loss(X, y), ValueError, fn, `y[${at % N}]`); // names the bad label
          }
          expectBad(() => m.loss(X, new Array(N + 1).fill(0)), ValueError, fn, 'y');
          expectBad(() => m.loss(X, 'abc' as never), ValueError, fn, 'y');
        },
      ),
      RUNS,
    );
  });

  it('rejects parameters replaced by a non-tensor or a tensor of the wrong shape or dtype', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        dtypeArb,
        fc.nat(),
        fc.constantFrom('missing', 'shape', 'dtype'),
        (kind, dtype, pick, how) => {
          const m = build(kind, { dtype, seed: 1 });
          const names = Object.keys(m.params);
          const name = names[pick % names.length];
          const good = m.params[name];
          m.params[name] =
            how === 'missing'
              ? (undefined as never)
              : how === 'shape'
                ? zeros([...good.shape, 1], dtype)
                : zeros(good.shape, dtype === 'float32' ? 'float64' : 'float32');
          const X = randn(inputShape(kind, 2), { rng: new Rng(0), dtype });
          const cls = how === 'missing' ? ValueError : how === 'shape' ? ShapeError : DTypeError;
          expectBad(() => m.loss(X, [0, 1]), cls, `${kind}.loss`, `params.${name}`);
          expectBad(() => serializeModel(m), cls, 'serializeModel', `model.params.${name}`);
        },
      ),
      RUNS,
    );
  });

  // Regression: checkState tested names with `in`, so a state tensor named like an Object.prototype
  // member passed as "part of this model's state" and was then silently ignored.
  for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`setState rejects a state tensor named '${name}' on every model, changing nothing`, () => {
      const fc2 = build('FullyConnectedNet', { normalization: 'batchnorm' });
      const good = fc2.getState();
      const before = fc2.getState();
      const tensors = { ...good.tensors };
      Object.defineProperty(tensors, name, { value: zeros([1]), enumerable: true });
      const err = expectBad(
        () => fc2.setState({ ...good, tensors }),
        ValueError,
        'FullyConnectedNet.setState',
        `state.tensors.${name}`,
      );
      expect(err.message).toContain("is not part of this model's state; expected bn1.runningMean");
      expect(fc2.getState()).toEqual(before);
      const extra: Record<string, Tensor> = {};
      Object.defineProperty(extra, name, { value: zeros([1]), enumerable: true });
      for (const kind of ['TwoLayerNet', 'ThreeLayerConvNet'] as const) {
        const e = expectBad(
          () => build(kind, {}).setState({ tensors: extra, rng: null }),
          ValueError,
          `${kind}.setState`,
          `state.tensors.${name}`,
        );
        expect(e.detail).toBe("is not part of this model's state; expected no tensors");
      }
    });
  }

  it('setState rejects a state that is not an object, holds unknown or mis-shaped tensors, or a bad rng', () => {
    const fc2 = new FullyConnectedNet({
      ...SMALL.FullyConnectedNet,
      hiddenDims: [3, 2],
      normalization: 'batchnorm',
      dropout: 0.5,
    });
    const fn = 'FullyConnectedNet.setState';
    for (const bad of [null, 3, 'state']) {
      expectBad(() => fc2.setState(bad as never), ValueError, fn, 'state');
      expectBad(
        () => new TwoLayerNet(SMALL.TwoLayerNet).setState(bad as never),
        ValueError,
        'TwoLayerNet.setState',
        'state',
      );
    }
    const good = fc2.getState();
    const [first] = Object.keys(good.tensors);
    expectBad(
      () => fc2.setState({ ...good, tensors: { ...good.tensors, bogus: zeros([1]) } }),
      ValueError,
      fn,
      'state.tensors.bogus',
    );
    expectBad(
      () => fc2.setState({ ...good, tensors: { ...good.tensors, [first]: zeros([9]) } }),
      ShapeError,
      fn,
      `state.tensors.${first}`,
    );
    expectBad(() => fc2.setState({ ...good, rng: null }), ValueError, fn, 'state.rng');
    expectBad(
      () => fc2.setState({ ...good, rng: { s: [0, 0, 0, 0], spareNormal: null } }),
      ValueError,
      fn,
      'state.rng',
    );
    expectBad(
      () => new TwoLayerNet(SMALL.TwoLayerNet).setState({ tensors: {}, rng: good.rng }),
      ValueError,
      'TwoLayerNet.setState',
      'state.rng',
    );
  });

  it('gives a finite loss and finite gradients for inputs of extreme magnitude', () => {
    fc.assert(
      fc.property(
        modelArb,
        fc.double({ min: 1e-300, max: 1e60, noNaN: true }),
        fc.boolean(),
        ([kind, dtype, norm], scale, tiny) => {
          const m = model(kind, dtype, norm);
          const magnitude = dtype === 'float32' ? Math.min(scale, 1e15) : scale;
          const X = randn(inputShape(kind, 3), { rng: new Rng(9), dtype, std: tiny ? 1e-30 : magnitude });
          const { loss, grads } = m.loss(X, [0, 1, 2]);
          expect(Number.isFinite(loss)).toBe(true);
          for (const [name, g] of Object.entries(grads)) {
            for (const v of g.data) expect(Number.isFinite(v), `d${name}`).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('checkpoints › bad input', () => {
  const net = new TwoLayerNet({ ...SMALL.TwoLayerNet, dtype: 'float64', seed: 2 });
  const bytes = saveModel(net);

  it('corrupted or truncated checkpoints are either loaded or rejected with a FormatError, never another error', () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.nat(bytes.length),
        fc.boolean(),
        (flips, cut, truncate) => {
          const b = bytes.slice(0, truncate ? cut : bytes.length);
          for (const [at, v] of flips) if (at < b.length) b[at] = v;
          for (const load of [
            () => loadModel(b),
            () => loadModelInto(new TwoLayerNet({ ...SMALL.TwoLayerNet, dtype: 'float64' }), b),
          ]) {
            try {
              load();
            } catch (e) {
              rejected++;
              tried++;
              expect(e).toBeInstanceOf(FormatError);
              expect((e as FormatError).fn).toMatch(/^loadModel(Into)?$/);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
    expect(rejected).toBeGreaterThan(40);
  });

  it('a checkpoint of another kind or config is a FormatError and leaves the target model unchanged', () => {
    for (const kind of ['FullyConnectedNet', 'ThreeLayerConvNet'] as Kind[]) {
      const target = build(kind, { dtype: 'float64' });
      const before = Object.fromEntries(
        Object.entries(target.params).map(([k, v]) => [k, Array.from(v.data)]),
      );
      expectBad(() => loadModelInto(target, bytes), FormatError, 'loadModelInto', 'metadata.kind');
      for (const [k, v] of Object.entries(target.params)) expect(Array.from(v.data)).toEqual(before[k]);
    }
    expectBad(
      () => loadModelInto(new TwoLayerNet({ ...SMALL.TwoLayerNet, hiddenDim: 5, dtype: 'float64' }), bytes),
      FormatError,
      'loadModelInto',
      'metadata.config.hiddenDim',
    );
  });

  it('non-bytes, non-models and non-checkpoints are rejected by name', () => {
    for (const bad of [null, undefined, [1, 2, 3], 'model', new Float32Array(8)]) {
      expectBad(() => loadModel(bad as never), ValueError, 'loadModel', 'bytes');
      expectBad(() => loadModelInto(net, bad as never), ValueError, 'loadModelInto', 'bytes');
      expectBad(() => serializeModel(bad as never), ValueError, 'serializeModel', 'model');
      expectBad(() => saveModel(bad as never), ValueError, 'serializeModel', 'model');
      expectBad(() => loadModelInto(bad as never, bytes), ValueError, 'loadModelInto', 'model');
    }
    expectBad(
      () => serializeModel({ params: {}, loss: () => zeros([1]) } as never),
      ValueError,
      'serializeModel',
      'model',
    );
    expectBad(
      () => deserializeModel({ tensors: {}, metadata: {} }),
      FormatError,
      'deserializeModel',
      'metadata.format',
    );
    expectBad(() => deserializeModel(null as never), FormatError, 'deserializeModel', 'tensors');
  });
});
