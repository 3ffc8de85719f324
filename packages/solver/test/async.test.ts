import { FullyConnectedNet } from '@backprop/models';
import { ValueError } from '@backprop/tensor';
import { describe, expect, test } from 'vitest';
import { Solver, type SolverOptions } from '../src';
import { expectSameTensors, overfitData } from './helpers';

// A net with batchnorm AND dropout: its running statistics and dropout Rng are part of the state too.
function makeModel() {
  return new FullyConnectedNet({
    inputDim: 12,
    hiddenDims: [16, 16],
    numClasses: 4,
    normalization: 'batchnorm',
    dropout: 0.8,
    weightScale: 0.1,
    dtype: 'float64',
    seed: 21,
  });
}
const data = overfitData(40, [12], 4, 22);
const options: SolverOptions = {
  verbose: false,
  updateRule: 'adam',
  optimConfig: { learningRate: 5e-3 },
  lrDecay: 0.9,
  batchSize: 8,
  numEpochs: 3,
  numTrainSamples: 20,
  seed: 3,
};

function reference() {
  const solver = new Solver(makeModel(), data, options);
  solver.train();
  return solver;
}

function expectSameRun(a: Solver, b: Solver) {
  expect(a.lossHistory).toEqual(b.lossHistory);
  expect(a.trainAccHistory).toEqual(b.trainAccHistory);
  expect(a.valAccHistory).toEqual(b.valAccHistory);
  expect(a.bestValAcc).toBe(b.bestValAcc);
  expect(a.epoch).toBe(b.epoch);
  expectSameTensors(a.model.params, b.model.params);
  expectSameTensors(a.bestParams, b.bestParams);
}

describe('Solver.trainAsync', () => {
  test('produces exactly the numbers train() produces', async () => {
    const solver = new Solver(makeModel(), data, options);
    const result = await solver.trainAsync({ sliceMs: 0 });
    expect(result).toEqual({ status: 'done', iteration: 15, epoch: 3 });
    expectSameRun(solver, reference());
  });

  test('yields to the event loop between slices', async () => {
    const solver = new Solver(makeModel(), data, options);
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    let ticksAtIteration5 = -1;
    solver.on('iteration', (e) => {
      if (e.iteration === 5) ticksAtIteration5 = ticks;
    });
    await solver.trainAsync({ sliceMs: 0 }); // one step per slice
    ticking = false;
    expect(ticksAtIteration5).toBeGreaterThan(0); // timers ran while training was under way
  });

  test('pause() suspends after the current step and resume() continues to the same numbers', async () => {
    const solver = new Solver(makeModel(), data, options);
    solver.on('iteration', (e) => {
      if (e.iteration === 4) solver.pause();
    });
    const done = solver.trainAsync({ sliceMs: 1000 });
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
    expect(solver.state).toBe('paused');
    expect(solver.iteration).toBe(4);
    expect(() => solver.step()).toThrow(
      'Solver.step: solver is training asynchronously; pause() or stop() it, or wait for it, before stepping',
    );
    await expect(solver.trainAsync()).rejects.toThrow('Solver.trainAsync: solver is already training');
    expect(() => solver.train()).toThrow('Solver.train: solver is already training');
    solver.resume();
    expect(await done).toEqual({ status: 'done', iteration: 15, epoch: 3 });
    expectSameRun(solver, reference());
  });

  test('stop() resolves after the current step; training again continues exactly', async () => {
    const solver = new Solver(makeModel(), data, options);
    const off = solver.on('iteration', (e) => {
      if (e.iteration === 7) solver.stop();
    });
    expect(await solver.trainAsync({ sliceMs: 1000 })).toEqual({ status: 'stopped', iteration: 7, epoch: 1 });
    expect(solver.lossHistory).toHaveLength(7);
    expect(solver.state).toBe('idle');
    off();
    expect(await solver.trainAsync()).toEqual({ status: 'done', iteration: 15, epoch: 3 });
    expectSameRun(solver, reference());
  });

  test('no step runs inside the trainAsync() call: stop() right after it stops before any step', async () => {
    const solver = new Solver(makeModel(), data, options);
    const run = solver.trainAsync({ sliceMs: 1000 });
    expect(solver.iteration).toBe(0);
    expect(solver.state).toBe('running');
    solver.stop();
    expect(await run).toEqual({ status: 'stopped', iteration: 0, epoch: 0 });
  });

  test('stop() while paused resolves at once; stop() inside train() ends it too', async () => {
    const solver = new Solver(makeModel(), data, options);
    solver.pause();
    const run = solver.trainAsync();
    await new Promise((r) => setTimeout(r, 0));
    expect(solver.state).toBe('paused');
    solver.stop();
    expect(await run).toEqual({ status: 'stopped', iteration: 0, epoch: 0 });
    solver.resume();
    const off = solver.on('iteration', (e) => {
      if (e.iteration === 3) solver.stop();
    });
    expect(solver.train()).toEqual({ status: 'stopped', iteration: 3, epoch: 0 });
    off();
    solver.train();
    expectSameRun(solver, reference());
  });

  test('an AbortSignal rejects with its reason after the current step, leaving the solver resumable', async () => {
    const solver = new Solver(makeModel(), data, options);
    const controller = new AbortController();
    solver.on('iteration', (e) => {
      if (e.iteration === 6) controller.abort(new Error('user left'));
    });
    await expect(solver.trainAsync({ signal: controller.signal, sliceMs: 1000 })).rejects.toThrow(
      'user left',
    );
    expect(solver.iteration).toBe(6);
    await expect(solver.trainAsync({ signal: controller.signal })).rejects.toThrow('user left'); // already aborted
    expect(solver.iteration).toBe(6);
    await solver.trainAsync();
    expectSameRun(solver, reference());
  });

  test('aborting while paused rejects', async () => {
    const solver = new Solver(makeModel(), data, options);
    const controller = new AbortController();
    solver.pause();
    const run = solver.trainAsync({ signal: controller.signal });
    await new Promise((r) => setTimeout(r, 0));
    controller.abort(new Error('gone'));
    await expect(run).rejects.toThrow('gone');
    expect(solver.state).toBe('idle');
  });

  test('rejects bad options naming them', async () => {
    const solver = new Solver(makeModel(), data, options);
    await expect(solver.trainAsync({ sliceMs: -1 })).rejects.toThrow(ValueError);
    await expect(solver.trainAsync({ sliceMs: -1 })).rejects.toThrow(
      'Solver.trainAsync: opts.sliceMs must be a finite number >= 0, got -1',
    );
    // @ts-expect-error not a signal
    await expect(solver.trainAsync({ signal: {} })).rejects.toThrow(
      'Solver.trainAsync: opts.signal must be an AbortSignal, got object',
    );
  });
});
