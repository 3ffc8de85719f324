import { FullyConnectedNet, loadModel, saveModel, TwoLayerNet } from '@backprop/models';
import { adam } from '@backprop/optim';
import {
  type DType,
  FormatError,
  readSafetensors,
  Tensor,
  tensor,
  ValueError,
  writeSafetensors,
} from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readCheckpointInfo, Solver, type SolverOptions } from '../src';
import { expectSameTensors, overfitData, SoftmaxRegression } from './helpers';

function makeModel(dtype: DType = 'float64') {
  return new FullyConnectedNet({
    inputDim: 12,
    hiddenDims: [16, 16],
    numClasses: 4,
    normalization: 'batchnorm',
    dropout: 0.8,
    weightScale: 0.1,
    dtype,
    seed: 31,
  });
}
const data64 = overfitData(40, [12], 4, 32, 'float64');
const data32 = overfitData(40, [12], 4, 32, 'float32');
const options: SolverOptions = {
  verbose: false,
  updateRule: 'adam',
  optimConfig: { learningRate: 5e-3 },
  lrDecay: 0.9,
  batchSize: 8,
  numEpochs: 3,
  numTrainSamples: 20,
  seed: 4,
};

function expectSameRun(a: Solver, b: Solver) {
  expect(a.lossHistory).toEqual(b.lossHistory);
  expect(a.trainAccHistory).toEqual(b.trainAccHistory);
  expect(a.valAccHistory).toEqual(b.valAccHistory);
  expect(a.bestValAcc).toBe(b.bestValAcc);
  expect([a.epoch, a.iteration]).toEqual([b.epoch, b.iteration]);
  expectSameTensors(a.model.params, b.model.params);
  expectSameTensors(a.bestParams, b.bestParams);
}

function optimTensors(s: Solver): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [p, config] of Object.entries(s.optimConfigs)) {
    for (const [k, v] of Object.entries(config)) if (v instanceof Tensor) out[`${p}/${k}`] = v;
  }
  return out;
}

function optimScalars(s: Solver): unknown {
  return Object.fromEntries(
    Object.entries(s.optimConfigs).map(([p, c]) => [
      p,
      Object.entries(c).filter(([, v]) => !(v instanceof Tensor)),
    ]),
  );
}

describe('Solver.checkpoint', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`round-trips the whole training state in ${dtype}`, () => {
      const data = dtype === 'float32' ? data32 : data64;
      const solver = new Solver(makeModel(dtype), data, options);
      for (let i = 0; i < 7; i++) solver.step();
      const bytes = solver.checkpoint();
      const resumed = Solver.resume(bytes, data);
      expect(resumed.options).toMatchObject({ ...options, logger: resumed.options.logger });
      expectSameRun(resumed, solver);
      expect(optimScalars(resumed)).toEqual(optimScalars(solver));
      expectSameTensors(optimTensors(resumed), optimTensors(solver));
      expect(optimTensors(resumed)['W1/m'].dtype).toBe(dtype);
      // the model's non-parameter state (batchnorm running statistics, dropout Rng) comes back too
      const a = solver.model as FullyConnectedNet;
      const b = resumed.model as FullyConnectedNet;
      expectSameTensors(b.getState().tensors, a.getState().tensors);
      expect(b.getState().rng).toEqual(a.getState().rng);
      // and the file is a model file: loadModel reads it
      const model = loadModel(bytes);
      expectSameTensors(model.params, solver.model.params);
      expect(model.config).toEqual(a.config);
      // it is one standard safetensors file holding the documented names
      const file = readSafetensors(bytes);
      expect(Object.keys(file.tensors)).toEqual(
        expect.arrayContaining(['W1', 'solver/optim/W1/m', 'solver/optim/b3/v', 'solver/best/W1']),
      );
      const meta = JSON.parse(file.metadata.solver);
      expect(meta).toMatchObject({
        formatVersion: 1,
        epoch: 1,
        iteration: 7,
        lossHistory: solver.lossHistory,
      });
      expect(meta.optimConfigs.W1).toEqual({
        learningRate: 5e-3 * 0.9,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        t: 7,
      });
      expect(file.metadata.format).toBe('backprop.model');
    });
  }

  test('a run resumed from any epoch end or mid-epoch iteration equals the uninterrupted run (sync)', () => {
    const reference = new Solver(makeModel(), data64, options);
    const snapshots = new Map<number, Uint8Array>();
    reference.on('iteration', (e) => {
      if ([1, 3, 5, 8, 10, 14].includes(e.iteration)) snapshots.set(e.iteration, reference.checkpoint());
    });
    const epochEnds: Uint8Array[] = [];
    reference.on('checkpoint', (e) => epochEnds.push(e.bytes));
    reference.train();
    expect(snapshots.size).toBe(6);
    for (const bytes of snapshots.values()) {
      const resumed = Solver.resume(bytes, data64);
      resumed.train();
      expectSameRun(resumed, reference);
    }
    expect(epochEnds).toEqual([]); // no checkpointName: no epoch-end checkpoints
  });

  test('epoch-end checkpoints (checkpointName) resume to the uninterrupted numbers (async), into a given model', async () => {
    const withNames = { ...options, checkpointName: 'exp' };
    const reference = new Solver(makeModel(), data64, withNames);
    const written = new Map<string, Uint8Array>();
    reference.on('checkpoint', (e) => written.set(e.name, e.bytes));
    let lastParams: Record<string, Tensor> = {};
    reference.on('iteration', () => {
      lastParams = { ...reference.model.params };
    });
    await reference.trainAsync({ sliceMs: 0 });
    expect([...written.keys()]).toEqual([
      'exp_epoch_1.safetensors',
      'exp_epoch_2.safetensors',
      'exp_epoch_3.safetensors',
    ]);
    for (const name of ['exp_epoch_1.safetensors', 'exp_epoch_2.safetensors']) {
      const bytes = written.get(name) as Uint8Array;
      const resumed = Solver.resume(bytes, data64, { model: makeModel() });
      await resumed.trainAsync({ sliceMs: 0 });
      expectSameRun(resumed, reference);
    }
    // the last one was taken before train() put the best params back; resuming it ends in the same state
    const lastBytes = written.get('exp_epoch_3.safetensors') as Uint8Array;
    expectSameTensors(loadModel(lastBytes).params, lastParams); // the file holds the last iteration's params
    const last = Solver.resume(lastBytes, data64);
    expect(last.state).toBe('done');
    expectSameRun(last, reference);
    expect(await last.trainAsync()).toEqual({ status: 'done', iteration: 15, epoch: 3 });
  });

  test('restore() into an existing solver continues exactly; it can also rewind', () => {
    const reference = new Solver(makeModel(), data64, options);
    reference.train();
    const solver = new Solver(makeModel(), data64, options);
    for (let i = 0; i < 4; i++) solver.step();
    const at4 = solver.checkpoint();
    for (let i = 0; i < 6; i++) solver.step();
    solver.restore(at4); // back to iteration 4
    expect(solver.iteration).toBe(4);
    expect(solver.lossHistory).toHaveLength(4);
    solver.train();
    expectSameRun(solver, reference);
  });

  test('round-trips sgdMomentum velocities and a custom Model (parameters by name)', () => {
    const data = overfitData(20, [3], 2, 1);
    const opts: SolverOptions = { verbose: false, updateRule: 'sgdMomentum', batchSize: 5, numEpochs: 2 };
    const reference = new Solver(new SoftmaxRegression(3, 2), data, opts);
    reference.train();
    const solver = new Solver(new SoftmaxRegression(3, 2), data, opts);
    for (let i = 0; i < 3; i++) solver.step();
    const bytes = solver.checkpoint();
    expect(readSafetensors(bytes).metadata.format).toBe('backprop.params');
    expect(() => Solver.resume(bytes, data)).toThrow(
      "Solver.resume: options.model is required: the checkpoint holds a custom model's parameters, not a built-in model",
    );
    expect(() => loadModel(bytes)).toThrow(FormatError);
    const resumed = Solver.resume(bytes, data, { model: new SoftmaxRegression(3, 2) });
    expect(resumed.optimConfigs.W.velocity).toBeInstanceOf(Tensor);
    resumed.train();
    expectSameRun(resumed, reference);
  });

  test('an update function is not stored: resume needs it again', () => {
    const data = overfitData(20, [3], 2, 1);
    const solver = new Solver(new SoftmaxRegression(3, 2), data, {
      verbose: false,
      updateRule: adam,
      batchSize: 5,
    });
    solver.step();
    const bytes = solver.checkpoint();
    expect(() => Solver.resume(bytes, data, { model: new SoftmaxRegression(3, 2) })).toThrow(
      'Solver.resume: options.updateRule is required: the checkpoint was made with an update function, which a file cannot hold',
    );
    const resumed = Solver.resume(bytes, data, { model: new SoftmaxRegression(3, 2), updateRule: adam });
    expect(resumed.optimConfigs.W.t).toBe(1);
  });

  test('extra metadata and tensors travel in the file; loadModel still reads it', () => {
    const mean = tensor([1, 2, 3], { dtype: 'float64' });
    const solver = new Solver(makeModel(), data64, {
      ...options,
      checkpointExtra: { metadata: { experiment: '{"seed":1}' }, tensors: { mean } },
    });
    solver.step();
    const bytes = solver.checkpoint({ metadata: { note: 'sigint' } });
    const info = readCheckpointInfo(bytes);
    expect(info.extra.metadata).toEqual({ experiment: '{"seed":1}', note: 'sigint' });
    expectSameTensors(info.extra.tensors, { mean });
    expect(info.solver.iteration).toBe(1);
    expectSameTensors(loadModel(bytes).params, solver.model.params);
    expect(() => solver.checkpoint({ metadata: { kind: 'x' } })).toThrow(ValueError);
    expect(() => solver.checkpoint({ metadata: { kind: 'x' } })).toThrow(
      'Solver.checkpoint: extra.metadata.kind clashes with a metadata key the checkpoint uses itself',
    );
    // @ts-expect-error a number is not a string
    expect(() => solver.checkpoint({ metadata: { note: 1 } })).toThrow(
      'Solver.checkpoint: extra.metadata.note must be a string, got 1',
    );
  });
});

describe('Solver resume property', () => {
  test('for random schedules, rules, dtypes and models, resuming at any iteration equals the uninterrupted run', () => {
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 3, max: 30 }),
          batchSize: fc.integer({ min: 1, max: 12 }),
          numEpochs: fc.integer({ min: 1, max: 3 }),
          updateRule: fc.constantFrom('sgd', 'sgdMomentum', 'rmsprop', 'adam'),
          lrDecay: fc.double({ min: 0.5, max: 1, noNaN: true }),
          numTrainSamples: fc.option(fc.integer({ min: 1, max: 40 })),
          seed: fc.integer({ min: 0, max: 1000 }),
          dtype: fc.constantFrom('float32', 'float64'),
          builtin: fc.boolean(),
          at: fc.nat(),
        }),
        ({ N, at, dtype, builtin, ...rest }) => {
          const data = overfitData(N, [3], 2, rest.seed, dtype);
          const make = () =>
            builtin
              ? new TwoLayerNet({
                  inputDim: 3,
                  hiddenDim: 5,
                  numClasses: 2,
                  weightScale: 0.3,
                  dtype,
                  seed: 1,
                })
              : new SoftmaxRegression(3, 2, 1, dtype, 0.3);
          const opts: SolverOptions = { ...rest, verbose: false, optimConfig: { learningRate: 0.05 } };
          const reference = new Solver(make(), data, opts);
          reference.train();
          const partial = new Solver(make(), data, opts);
          const k = at % (partial.numIterations + 1);
          for (let i = 0; i < k; i++) partial.step();
          const resumed = Solver.resume(partial.checkpoint(), data, { model: make() });
          resumed.train();
          expectSameRun(resumed, reference);
        },
      ),
      { numRuns: 40, seed: 20241125 },
    );
  });
});

describe('Solver.restore rejects what does not fit, changing nothing', () => {
  const solverAt = (n: number, extra: SolverOptions = {}) => {
    const solver = new Solver(makeModel(), data64, { ...options, ...extra });
    for (let i = 0; i < n; i++) solver.step();
    return solver;
  };

  test('options that shape the numbers must match', () => {
    const bytes = solverAt(2).checkpoint();
    const cases: [SolverOptions, string][] = [
      [{ batchSize: 10 }, 'options.batchSize 8, but this solver has 10'],
      [{ seed: 5 }, 'options.seed 4, but this solver has 5'],
      [{ lrDecay: 1 }, 'options.lrDecay 0.9, but this solver has 1'],
      [{ updateRule: 'sgd' }, 'options.updateRule "adam", but this solver has "sgd"'],
      [
        { optimConfig: { learningRate: 1e-3 } },
        'options.optimConfig {"learningRate":0.005}, but this solver has {"learningRate":0.001}',
      ],
    ];
    for (const [change, message] of cases) {
      const other = solverAt(0, change);
      const before = other.model.params.W1;
      expect(() => other.restore(bytes)).toThrow(FormatError);
      expect(() => other.restore(bytes)).toThrow(`Solver.restore: bytes was made with ${message}`);
      expect(other.model.params.W1).toBe(before);
      expect(other.iteration).toBe(0);
    }
  });

  test('the data sizes must match', () => {
    const bytes = solverAt(1).checkpoint();
    const fewer = { ...data64, XTrain: data64.XTrain.slice(0, 39), yTrain: data64.yTrain.subarray(0, 39) };
    expect(() => Solver.resume(bytes, fewer)).toThrow(
      'Solver.restore: bytes was made with data.XTrain of N = 40, but this solver has 39',
    );
  });

  test('another architecture fails in loadModelInto and leaves solver and model unchanged', () => {
    const other = new FullyConnectedNet({
      inputDim: 12,
      hiddenDims: [16, 16],
      numClasses: 4,
      normalization: 'batchnorm',
      dropout: 0.8,
      weightScale: 0.1,
      dtype: 'float64',
      seed: 99,
    });
    const solver = new Solver(other, data64, options);
    solver.step();
    const W1 = other.params.W1;
    const lossHistory = [...solver.lossHistory];
    expect(() => solver.restore(solverAt(3).checkpoint())).toThrow(FormatError);
    expect(other.params.W1).toBe(W1);
    expect(solver.lossHistory).toEqual(lossHistory);
    expect(solver.iteration).toBe(1);
  });

  test('a plain model file, garbage and a truncated file are FormatErrors', () => {
    const solver = solverAt(0);
    const model = new TwoLayerNet({ inputDim: 12, hiddenDim: 5, numClasses: 4, dtype: 'float64' });
    expect(() => solver.restore(saveModel(model))).toThrow(
      "Solver.restore: bytes has no 'solver' metadata: it is a model file, not a solver checkpoint",
    );
    expect(() => solver.restore(new Uint8Array([1, 2, 3]))).toThrow(
      /^Solver\.restore: bytes is not a readable checkpoint: has 3 bytes/,
    );
    const good = solverAt(2).checkpoint();
    expect(() => solver.restore(good.subarray(0, good.length - 10))).toThrow(FormatError);
    expect(() => readCheckpointInfo(saveModel(model))).toThrow(FormatError);
    // @ts-expect-error not bytes
    expect(() => solver.restore('file.safetensors')).toThrow(
      "Solver.restore: bytes must be a Uint8Array, got 'file.safetensors'",
    );
  });

  test('malformed solver metadata is a FormatError naming the field', () => {
    const good = solverAt(2).checkpoint();
    const file = readSafetensors(good);
    const tamper = (edit: (meta: Record<string, unknown>) => void) => {
      const meta = JSON.parse(file.metadata.solver);
      edit(meta);
      return writeSafetensors(file.tensors, { ...file.metadata, solver: JSON.stringify(meta) });
    };
    const solver = solverAt(0);
    expect(() => solver.restore(tamper((m) => (m.formatVersion = 2)))).toThrow(
      "Solver.restore: bytes has 'solver' metadata with formatVersion 2, expected 1",
    );
    expect(() => solver.restore(tamper((m) => (m.lossHistory = [1])))).toThrow(
      "Solver.restore: bytes has 'solver' metadata with a lossHistory whose length is not iteration",
    );
    expect(() => solver.restore(tamper((m) => (m.rng = { s: [1, 2, 3] })))).toThrow(
      "Solver.restore: bytes has 'solver' metadata with an rng that is not an Rng state { s: [4 words], spareNormal }",
    );
    expect(() => solver.restore(tamper((m) => (m.bestParams = ['W1'])))).toThrow(
      /^Solver\.restore: bytes has best-parameter tensors \[.*\], expected \[W1\]$/,
    );
    const wrongShape = writeSafetensors(
      { ...file.tensors, 'solver/optim/W1/m': tensor([1, 2], { dtype: 'float64' }) },
      file.metadata,
    );
    expect(() => solver.restore(wrongShape)).toThrow(
      "Solver.restore: bytes has solver/optim/W1/m of shape [2] float64, expected [12,16] float64 like the model's W1",
    );
    expect(solver.iteration).toBe(0);
  });
});
