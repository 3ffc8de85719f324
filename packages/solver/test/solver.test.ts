import { FullyConnectedNet, type Model, ThreeLayerConvNet, TwoLayerNet } from '@backprop/models';
import { BackpropError, Rng, type Tensor, tensor, ValueError } from '@backprop/tensor';
import { describe, expect, test } from 'vitest';
import { NonFiniteError, Solver } from '../src';
import { expectSameTensors, overfitData, randomData, SoftmaxRegression } from './helpers';

const quiet = { verbose: false } as const;

/** N examples whose first feature is the row index, so a recorded batch tells which rows were sampled. */
function indexedData(N: number, NVal = 7) {
  const X = tensor(
    Array.from({ length: N }, (_, i) => [i, 1]),
    { dtype: 'float64' },
  );
  const y = Int32Array.from({ length: N }, (_, i) => i % 3);
  const XVal = tensor(
    Array.from({ length: NVal }, (_, i) => [i, -1]),
    { dtype: 'float64' },
  );
  const yVal = Int32Array.from({ length: NVal }, (_, i) => (i + 1) % 3);
  return { XTrain: X, yTrain: y, XVal, yVal };
}

describe('Solver schedule', () => {
  test('iterationsPerEpoch = max(floor(N / batchSize), 1) and numIterations = numEpochs · that', () => {
    const data = indexedData(50);
    const cases: [number, number, number][] = [
      [20, 3, 2], // floor(50/20) = 2
      [50, 2, 1],
      [64, 4, 1], // batch larger than N: still one iteration per epoch
      [7, 1, 7],
    ];
    for (const [batchSize, numEpochs, perEpoch] of cases) {
      const solver = new Solver(new SoftmaxRegression(2, 3), data, { ...quiet, batchSize, numEpochs });
      expect(solver.iterationsPerEpoch).toBe(perEpoch);
      expect(solver.numIterations).toBe(numEpochs * perEpoch);
    }
  });

  test('histories: one loss per iteration; accuracy at the first iteration, each epoch end and the last', () => {
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(50), {
      ...quiet,
      batchSize: 20,
      numEpochs: 3,
      optimConfig: { learningRate: 0.05 },
    });
    const checkedAt: number[] = [];
    solver.on('epoch', (e) => checkedAt.push(e.iteration));
    solver.train();
    expect(solver.lossHistory).toHaveLength(6);
    expect(checkedAt).toEqual([1, 2, 4, 6]);
    expect(solver.trainAccHistory).toHaveLength(3 + 1);
    expect(solver.valAccHistory).toHaveLength(3 + 1);
    expect(solver.epoch).toBe(3);
    expect(solver.iteration).toBe(6);
    expect(solver.state).toBe('done');
  });

  test('with one iteration per epoch the first check is also an epoch end: numEpochs entries', () => {
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(10), {
      ...quiet,
      batchSize: 100,
      numEpochs: 4,
    });
    solver.train();
    expect(solver.trainAccHistory).toHaveLength(4);
    expect(solver.lossHistory).toHaveLength(4);
  });

  test('the learning rate ends at lr · lrDecay^numEpochs, decayed once per epoch end', () => {
    const lr = 0.1;
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(50), {
      ...quiet,
      batchSize: 10,
      numEpochs: 3,
      lrDecay: 0.9,
      updateRule: 'sgdMomentum',
      optimConfig: { learningRate: lr },
    });
    const rates: (number | null)[] = [];
    solver.on('epoch', (e) => rates.push(e.learningRate));
    solver.train();
    for (const name of ['W', 'b']) {
      expect(solver.optimConfigs[name].learningRate).toBe(lr * 0.9 * 0.9 * 0.9);
      expect(solver.optimConfigs[name].learningRate).toBeCloseTo(lr * 0.9 ** 3, 15);
    }
    // first check (iteration 1, no decay yet), then one decay per epoch end
    expect(rates).toEqual([lr, lr * 0.9, lr * 0.9 * 0.9, lr * 0.9 * 0.9 * 0.9]);
  });

  test('each parameter has its own copy of optimConfig, with state shaped like that parameter', () => {
    const optimConfig = { learningRate: 1e-2, momentum: 0.5 };
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(20), {
      ...quiet,
      updateRule: 'sgdMomentum',
      optimConfig,
      batchSize: 10,
      numEpochs: 1,
    });
    expect(solver.optimConfigs.W).not.toBe(solver.optimConfigs.b);
    expect(solver.optimConfigs.W).not.toBe(optimConfig);
    solver.step();
    expect(solver.optimConfigs.W.velocity?.shape).toEqual([2, 3]);
    expect(solver.optimConfigs.b.velocity?.shape).toEqual([3]);
    expect(optimConfig).toEqual({ learningRate: 1e-2, momentum: 0.5 });
  });
});

describe('Solver sampling', () => {
  test('minibatches are drawn with replacement from the seeded Rng, and train-accuracy subsamples from the same Rng', () => {
    const N = 10;
    const batchSize = 4;
    const numTrainSamples = 6; // < N, so each train-accuracy check draws choice(N, 6) from the same Rng
    const model = new SoftmaxRegression(2, 3);
    const solver = new Solver(model, indexedData(N), {
      ...quiet,
      batchSize,
      numEpochs: 3,
      numTrainSamples,
      seed: 42,
    });
    solver.train();
    // Replay the documented schedule on a fresh generator.
    const rng = new Rng(42);
    const expected: number[][] = [];
    for (let t = 0; t < solver.numIterations; t++) {
      expected.push(Array.from({ length: batchSize }, () => rng.integer(0, N)));
      const epochEnd = (t + 1) % solver.iterationsPerEpoch === 0;
      if (t === 0 || t === solver.numIterations - 1 || epochEnd) rng.choice(N, numTrainSamples); // val: all 7, no draw
    }
    const seenRows = model.seen.map((batch) => Array.from({ length: batchSize }, (_, i) => batch[2 * i]));
    expect(seenRows).toEqual(expected);
    // with replacement: over 6 batches of 4 from 10 rows, some batch repeats a row (true for seed 42)
    expect(seenRows.some((rows) => new Set(rows).size < rows.length)).toBe(true);
  });

  test('the same seed gives the same run; another seed another', () => {
    const run = (seed: number) => {
      const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(30), {
        ...quiet,
        batchSize: 5,
        numEpochs: 2,
        seed,
      });
      solver.train();
      return solver.lossHistory;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  test('step() repeated numIterations times equals train(), bit for bit; a step after the end throws', () => {
    const data = overfitData(40, [6], 3, 1);
    const options = { ...quiet, updateRule: 'adam', batchSize: 8, numEpochs: 2, lrDecay: 0.8 } as const;
    const a = new Solver(
      new TwoLayerNet({ inputDim: 6, hiddenDim: 10, numClasses: 3, dtype: 'float64', seed: 2 }),
      data,
      options,
    );
    const b = new Solver(
      new TwoLayerNet({ inputDim: 6, hiddenDim: 10, numClasses: 3, dtype: 'float64', seed: 2 }),
      data,
      options,
    );
    a.train();
    for (let i = 0; i < b.numIterations; i++) b.step();
    expect(b.lossHistory).toEqual(a.lossHistory);
    expect(b.valAccHistory).toEqual(a.valAccHistory);
    expectSameTensors(b.model.params, a.model.params);
    expect(() => b.step()).toThrow(ValueError);
    expect(() => b.step()).toThrow(
      'Solver.step: solver has finished: all 10 iterations are done (make a new Solver to train again)',
    );
    expect(a.train()).toEqual({ status: 'done', iteration: 10, epoch: 2 });
  });
});

describe('Solver best parameters', () => {
  test('keeps copies of the params at the best val accuracy and restores them into the model at the end', () => {
    const { X, y } = randomData(60, [8], 4, 3);
    const data = {
      XTrain: X.slice(0, 40),
      yTrain: y.subarray(0, 40),
      XVal: X.slice(40),
      yVal: y.subarray(40),
    };
    const model = new TwoLayerNet({
      inputDim: 8,
      hiddenDim: 30,
      numClasses: 4,
      weightScale: 0.1,
      dtype: 'float64',
      seed: 5,
    });
    const solver = new Solver(model, data, {
      ...quiet,
      updateRule: 'adam',
      optimConfig: { learningRate: 5e-3 },
      batchSize: 10,
      numEpochs: 8,
    });
    const snapshots: Record<string, Tensor>[] = [];
    solver.on('epoch', () =>
      snapshots.push(Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, v.clone()]))),
    );
    let lastParams: Record<string, Tensor> = {};
    solver.on('iteration', () => {
      lastParams = { ...model.params };
    });
    solver.train();
    const best = Math.max(...solver.valAccHistory);
    expect(best).toBeGreaterThan(0);
    expect(solver.bestValAcc).toBe(best);
    const first = solver.valAccHistory.indexOf(best); // strictly greater: the first time the max was reached
    expectSameTensors(solver.bestParams, snapshots[first]);
    expectSameTensors(model.params, solver.bestParams);
    for (const k of Object.keys(model.params)) {
      expect(model.params[k]).not.toBe(solver.bestParams[k]);
      expect(model.params[k]).not.toBe(lastParams[k]);
    }
  });

  test('only a strictly better val accuracy replaces the best: ties keep the first', () => {
    // A scripted model: sgd with lr 1 and gradient -1 makes its one parameter p count the steps, and after
    // step p it classifies the first script[p - 1] of the 4 examples correctly.
    const script = [1, 3, 2, 3, 0, 3];
    const model: Model = {
      params: { p: tensor([0], { dtype: 'float64' }) },
      loss: ((X: Tensor, y?: ArrayLike<number>) => {
        if (y !== undefined) return { loss: 1, grads: { p: tensor([-1], { dtype: 'float64' }) } };
        const k = script[model.params.p.data[0] - 1] ?? 0;
        const scores = Array.from({ length: X.shape[0] }, (_, i) => (i < k ? [1, 0] : [0, 1]));
        return tensor(scores, { dtype: 'float64' });
      }) as Model['loss'],
    };
    const X = tensor([[0], [1], [2], [3]], { dtype: 'float64' });
    const solver = new Solver(
      model,
      { XTrain: X, yTrain: [0, 0, 0, 0], XVal: X, yVal: [0, 0, 0, 0] },
      {
        ...quiet,
        batchSize: 4,
        numEpochs: 6,
        optimConfig: { learningRate: 1 },
      },
    );
    solver.train();
    expect(solver.valAccHistory).toEqual([0.25, 0.75, 0.5, 0.75, 0, 0.75]);
    expect(solver.bestValAcc).toBe(0.75);
    expect(solver.bestParams.p.data[0]).toBe(2);
    expect(model.params.p.data[0]).toBe(2);
  });

  test('when val accuracy never beats 0, bestParams stays {} and the model keeps its trained params', () => {
    // every training label is 0; the one val example (identical input) is labelled 1
    const X = tensor(
      [
        [1, 0],
        [1, 0],
        [1, 0],
        [1, 0],
      ],
      { dtype: 'float64' },
    );
    const data = { XTrain: X, yTrain: [0, 0, 0, 0], XVal: X.slice(0, 1), yVal: [1] };
    const model = new SoftmaxRegression(2, 2);
    const solver = new Solver(model, data, {
      ...quiet,
      batchSize: 2,
      numEpochs: 2,
      optimConfig: { learningRate: 0.5 },
    });
    let lastParams: Record<string, Tensor> = {};
    solver.on('iteration', () => {
      lastParams = { ...model.params };
    });
    solver.train();
    expect(solver.valAccHistory).toEqual([0, 0, 0]);
    expect(solver.bestParams).toEqual({});
    expect(solver.bestValAcc).toBe(0);
    expect(model.params.W).toBe(lastParams.W);
  });
});

describe('Solver overfits 50 examples (the CS231n sanity check)', () => {
  test('TwoLayerNet reaches 100% train accuracy', () => {
    const data = overfitData(50, [20], 5, 11, 'float32');
    const model = new TwoLayerNet({ inputDim: 20, hiddenDim: 60, numClasses: 5, weightScale: 0.05, seed: 1 });
    const solver = new Solver(model, data, {
      ...quiet,
      updateRule: 'adam',
      optimConfig: { learningRate: 2e-2 },
      batchSize: 25,
      numEpochs: 25,
    });
    solver.train();
    expect(solver.trainAccHistory.at(-1)).toBe(1);
    expect(solver.trainAccHistory[0]).toBeLessThan(0.6);
    expect(solver.checkAccuracy(data.XTrain, data.yTrain)).toBe(1);
  });

  test('FullyConnectedNet with batchnorm reaches 100% train accuracy', () => {
    const data = overfitData(50, [20], 5, 12, 'float32');
    const model = new FullyConnectedNet({
      inputDim: 20,
      hiddenDims: [50, 50],
      numClasses: 5,
      normalization: 'batchnorm',
      weightScale: 5e-2,
      seed: 2,
    });
    const solver = new Solver(model, data, {
      ...quiet,
      updateRule: 'adam',
      optimConfig: { learningRate: 2e-2 },
      batchSize: 25,
      numEpochs: 25,
    });
    solver.train();
    expect(solver.trainAccHistory.at(-1)).toBe(1);
    expect(solver.trainAccHistory[0]).toBeLessThan(0.6);
  });

  test('ThreeLayerConvNet (small) reaches 100% train accuracy', () => {
    const data = overfitData(50, [3, 8, 8], 5, 13, 'float32');
    const model = new ThreeLayerConvNet({
      inputDim: [3, 8, 8],
      numFilters: 8,
      filterSize: 3,
      hiddenDim: 40,
      numClasses: 5,
      weightScale: 5e-2,
      seed: 3,
    });
    const solver = new Solver(model, data, {
      ...quiet,
      updateRule: 'adam',
      optimConfig: { learningRate: 2e-2 },
      batchSize: 25,
      numEpochs: 25,
    });
    solver.train();
    expect(solver.trainAccHistory.at(-1)).toBe(1);
    expect(solver.trainAccHistory[0]).toBeLessThan(0.6);
  });
});

describe('Solver.checkAccuracy', () => {
  // W = I, b = 0: the scores are the inputs, so the predictions can be read off by hand.
  function identityModel() {
    const model = new SoftmaxRegression(3, 3);
    model.params.W = tensor(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      { dtype: 'float64' },
    );
    return model;
  }
  const X = tensor(
    [
      [0.9, 0.1, 0.0], // predicts 0
      [0.0, 0.2, 0.1], // predicts 1
      [0.5, 0.5, 0.1], // tie: the first maximum wins (numpy argmax), predicts 0
      [0.1, 0.2, 0.3], // predicts 2
      [0.0, 0.0, -1], // tie of 0, 1: predicts 0
    ],
    { dtype: 'float64' },
  );
  const y = [0, 2, 0, 2, 1]; // correct: yes, no, yes, yes, no
  const correct = [1, 0, 1, 1, 0];

  test('is the fraction of argmax predictions equal to the labels, in any chunk size', () => {
    const solver = new Solver(identityModel(), { XTrain: X, yTrain: y, XVal: X, yVal: y }, quiet);
    for (const batchSize of [1, 2, 3, 5, 100])
      expect(solver.checkAccuracy(X, y, null, batchSize)).toBe(3 / 5);
  });

  test('with numSamples < N it scores rows drawn with replacement from the solver Rng', () => {
    const solver = new Solver(
      identityModel(),
      { XTrain: X, yTrain: y, XVal: X, yVal: y },
      { ...quiet, seed: 9 },
    );
    const rng = new Rng(9);
    for (let k = 0; k < 5; k++) {
      const rows = rng.choice(5, 3);
      const expected = Array.from(rows).reduce((s, r) => s + correct[r], 0) / 3;
      expect(solver.checkAccuracy(X, y, 3, 2)).toBe(expected);
    }
    // numSamples >= N scores every row and draws nothing
    expect(solver.checkAccuracy(X, y, 5)).toBe(3 / 5);
  });

  test('rejects bad arguments naming them', () => {
    const solver = new Solver(identityModel(), { XTrain: X, yTrain: y, XVal: X, yVal: y }, quiet);
    expect(() => solver.checkAccuracy(X.reshape([5, 3, 1]), y)).toThrow(
      'Solver.checkAccuracy: X has shape [5,3,1], expected [N, 3] to match the training data',
    );
    expect(() => solver.checkAccuracy(X, [0, 1])).toThrow(
      'Solver.checkAccuracy: y has 2 labels, expected 5 to match the inputs',
    );
    expect(() => solver.checkAccuracy(X, [0, 1, 2, 3, 0])).toThrow(
      "Solver.checkAccuracy: y[3] is 3, expected an integer label in [0, 3) for the model's 3 classes",
    );
    expect(() => solver.checkAccuracy(X, y, 0)).toThrow(
      'Solver.checkAccuracy: numSamples must be an integer >= 1, got 0',
    );
    expect(() => solver.checkAccuracy(X, y, null, 2.5)).toThrow(
      'Solver.checkAccuracy: batchSize must be an integer >= 1, got 2.5',
    );
  });
});

describe('Solver events and printing', () => {
  test('emits iteration, epoch, checkpoint and done in order with consistent payloads; unsubscribe works', () => {
    const model = new SoftmaxRegression(2, 3);
    const written: string[] = [];
    const solver = new Solver(model, indexedData(20), {
      ...quiet,
      batchSize: 10,
      numEpochs: 2,
      checkpointName: 'run/ckpt',
      checkpointWriter: (name) => written.push(name),
    });
    const log: string[] = [];
    solver.on('iteration', (e) =>
      log.push(`iteration ${e.iteration}/${e.numIterations} epoch ${e.epoch} loss ${e.loss}`),
    );
    solver.on('epoch', (e) =>
      log.push(`epoch ${e.epoch}/${e.numEpochs} at ${e.iteration} ${e.trainAcc} ${e.valAcc} ${e.bestValAcc}`),
    );
    const bytes: Uint8Array[] = [];
    solver.on('checkpoint', (e) => {
      log.push(`checkpoint ${e.name} ${e.epoch} ${e.iteration}`);
      bytes.push(e.bytes);
    });
    let doneParams: unknown;
    solver.on('done', (e) => {
      log.push(
        `done ${e.iteration}/${e.numIterations} ${e.epoch}/${e.numEpochs} ${e.loss} ${e.trainAcc} ${e.valAcc} ${e.bestValAcc}`,
      );
      doneParams = e.params;
    });
    const off = solver.on('iteration', () => log.push('removed listener ran'));
    off();
    solver.train();
    const [l1, l2, l3, l4] = solver.lossHistory;
    const [t0, t1, t2] = solver.trainAccHistory;
    const [v0, v1, v2] = solver.valAccHistory;
    const b = (i: number) => Math.max(0, ...solver.valAccHistory.slice(0, i + 1));
    expect(log).toEqual([
      `iteration 1/4 epoch 0 loss ${l1}`,
      `epoch 0/2 at 1 ${t0} ${v0} ${b(0)}`,
      `iteration 2/4 epoch 1 loss ${l2}`,
      `epoch 1/2 at 2 ${t1} ${v1} ${b(1)}`,
      'checkpoint run/ckpt_epoch_1.safetensors 1 2',
      `iteration 3/4 epoch 1 loss ${l3}`,
      `iteration 4/4 epoch 2 loss ${l4}`,
      `epoch 2/2 at 4 ${t2} ${v2} ${b(2)}`,
      'checkpoint run/ckpt_epoch_2.safetensors 2 4',
      `done 4/4 2/2 ${l4} ${t2} ${v2} ${b(2)}`,
    ]);
    expect(written).toEqual(['run/ckpt_epoch_1.safetensors', 'run/ckpt_epoch_2.safetensors']);
    expect(bytes[0]).toBeInstanceOf(Uint8Array);
    expect(doneParams).toBe(model.params);
  });

  test('verbose prints CS231n lines through the logger: the loss every printEvery iterations and each check', () => {
    const lines: string[] = [];
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(20), {
      batchSize: 10,
      numEpochs: 2,
      printEvery: 3,
      logger: (line) => lines.push(line),
    });
    solver.train();
    const f = (v: number) => v.toFixed(6);
    const [t0, t1, t2] = solver.trainAccHistory;
    const [v0, v1, v2] = solver.valAccHistory;
    expect(lines).toEqual([
      `(Iteration 1 / 4) loss: ${f(solver.lossHistory[0])}`,
      `(Epoch 0 / 2) train acc: ${f(t0)}; val_acc: ${f(v0)}`,
      `(Epoch 1 / 2) train acc: ${f(t1)}; val_acc: ${f(v1)}`,
      `(Iteration 4 / 4) loss: ${f(solver.lossHistory[3])}`,
      `(Epoch 2 / 2) train acc: ${f(t2)}; val_acc: ${f(v2)}`,
    ]);
  });

  test("'done' fires once; the state goes idle → running → done; train() after the end does nothing", () => {
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(20), {
      ...quiet,
      batchSize: 10,
      numEpochs: 2,
    });
    const states: string[] = [solver.state];
    let done = 0;
    solver.on('iteration', () => states.push(solver.state));
    solver.on('done', () => done++);
    solver.train();
    states.push(solver.state);
    expect(states).toEqual(['idle', 'running', 'running', 'running', 'done', 'done']);
    const iterations: number[] = [];
    solver.on('iteration', (e) => iterations.push(e.iteration));
    expect(solver.train()).toEqual({ status: 'done', iteration: 4, epoch: 2 });
    expect([done, iterations.length]).toEqual([1, 0]);
  });

  test('on() rejects unknown events and non-function listeners', () => {
    const solver = new Solver(new SoftmaxRegression(2, 3), indexedData(20), quiet);
    // @ts-expect-error an unknown event
    expect(() => solver.on('batch', () => {})).toThrow(
      "Solver.on: name must be one of 'iteration', 'epoch', 'done', 'checkpoint', got 'batch'",
    );
    // @ts-expect-error not a function
    expect(() => solver.on('epoch', 3)).toThrow('Solver.on: listener must be a function, got 3');
  });
});

describe('Solver non-finite values', () => {
  const options = { ...quiet, batchSize: 10, numEpochs: 5, optimConfig: { learningRate: 0.1 } } as const;

  test('a NaN loss stops training with NonFiniteError at its iteration and restores the best params', () => {
    const model = new SoftmaxRegression(2, 3);
    model.onLoss = (result, call) => (call === 5 ? { ...result, loss: Number.NaN } : result);
    const solver = new Solver(model, indexedData(20), options);
    let error: unknown;
    try {
      solver.train();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error).toBeInstanceOf(ValueError);
    expect(error).toBeInstanceOf(BackpropError);
    const e = error as NonFiniteError;
    expect(e.message).toBe(
      `Solver.train: loss is NaN at iteration 5 of 10 (epoch 3 of 5); training stopped and the best parameters so far (val acc ${solver.bestValAcc}) are back in the model`,
    );
    expect([e.source, e.iteration, e.epoch, e.arg]).toEqual(['loss', 5, 3, 'loss']);
    expect(solver.lossHistory).toHaveLength(4);
    expect(solver.iteration).toBe(4);
    expect(Object.keys(solver.bestParams)).toEqual(['W', 'b']);
    expectSameTensors(model.params, solver.bestParams);
    expect(solver.state).toBe('idle');
  });

  test('an infinite gradient is reported by name before any parameter changes', () => {
    const model = new SoftmaxRegression(2, 3);
    model.onLoss = (result, call) => {
      if (call === 1) result.grads.b.data[1] = Number.POSITIVE_INFINITY;
      return result;
    };
    const solver = new Solver(model, indexedData(20), options);
    const before = { ...model.params };
    expect(() => solver.step()).toThrow(
      'Solver.step: grads.b holds Infinity at element 1 at iteration 1 of 10 (epoch 1 of 5); training stopped before this step changed any parameter',
    );
    expect(model.params.W).toBe(before.W);
    expect(model.params.b).toBe(before.b);
    expect(solver.lossHistory).toEqual([]);
  });

  test('a diverging real model (huge learning rate) stops with NonFiniteError and the best params back', () => {
    const data = overfitData(30, [10], 3, 4);
    const model = new TwoLayerNet({
      inputDim: 10,
      hiddenDim: 20,
      numClasses: 3,
      weightScale: 0.1,
      dtype: 'float64',
      seed: 4,
    });
    const solver = new Solver(model, data, {
      ...quiet,
      optimConfig: { learningRate: 1e200 },
      batchSize: 10,
      numEpochs: 5,
    });
    expect(() => solver.train()).toThrow(NonFiniteError);
    expect(solver.lossHistory.every(Number.isFinite)).toBe(true);
    expect(solver.lossHistory.length).toBeLessThan(solver.numIterations);
    expectSameTensors(model.params, solver.bestParams);
  });

  test('a non-finite input is reported at the step that first samples its row', () => {
    const data = indexedData(12);
    data.XTrain.data[7 * 2 + 1] = Number.NaN; // row 7, element 1
    const solver = new Solver(new SoftmaxRegression(2, 3), data, {
      ...options,
      batchSize: 3,
      numTrainSamples: 2,
      seed: 5,
    });
    // Replay the sampling: the first iteration whose minibatch, or whose train-accuracy subsample, holds row 7.
    const rng = new Rng(5);
    let first = 0;
    for (let t = 0; first === 0; t++) {
      const rows = Array.from({ length: 3 }, () => rng.integer(0, 12));
      if (rows.includes(7)) first = t + 1;
      else if ((t === 0 || (t + 1) % 4 === 0) && Array.from(rng.choice(12, 2)).includes(7)) first = t + 1;
    }
    expect(first).toBeGreaterThan(1); // makes the check meaningful for this seed
    let error: NonFiniteError | undefined;
    try {
      solver.train();
    } catch (e) {
      error = e as NonFiniteError;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error?.arg).toBe('data.XTrain[7]');
    expect(error?.source).toBe('input');
    expect(error?.iteration).toBe(first);
    expect(error?.message).toMatch(
      /^Solver\.train: data\.XTrain\[7\] holds NaN \(element 1 of the row\) at iteration \d+ of 20 \(epoch \d of 5\)/,
    );
    expect(solver.lossHistory.length).toBeLessThanOrEqual(first);
  });

  test('a non-finite validation input is reported at the first accuracy check', () => {
    const data = indexedData(12);
    data.XVal.data[3 * 2] = Number.NEGATIVE_INFINITY;
    const solver = new Solver(new SoftmaxRegression(2, 3), data, options);
    expect(() => solver.train()).toThrow(
      'Solver.train: data.XVal[3] holds -Infinity (element 0 of the row) at iteration 1 of 5 (epoch 1 of 5); training stopped',
    );
  });
});
