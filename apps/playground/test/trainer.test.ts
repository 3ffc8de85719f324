import { toyDataset } from '@backprop/data';
import {
  buildModel,
  buildSolver,
  EXPERIMENT_METADATA_KEY,
  MEAN_TENSOR_NAME,
  prepareData,
} from '@backprop/experiment';
import { loadModel } from '@backprop/models';
import { readCheckpointInfo } from '@backprop/solver';
import { describe, expect, it } from 'vitest';
import type { Response } from '../src/worker/protocol';
import { SAMPLE_COUNT } from '../src/worker/trainer';
import { harness, imageConfig, spiralConfig } from './helpers';

type Of<T extends Response['type']> = Extract<Response, { type: T }>;
const isStatus = (s: string) => (m: Response) => m.type === 'status' && m.status === s;

/** The losses of an uninterrupted synchronous run of the same config (what the CLI computes). */
function referenceLosses(config = spiralConfig()): number[] {
  const data = prepareData(config, toyDataset('spiral'));
  const solver = buildSolver(config, buildModel(config, data.inputShape, data.numClasses), data);
  solver.train();
  return solver.lossHistory;
}

/** Every loss the page has been sent, assembled as the page assembles them. */
function lossesSeen(messages: Response[]): number[] {
  const out: number[] = [];
  for (const m of messages) {
    if (m.type === 'ready') out.splice(0, out.length, ...m.history.losses);
    if (m.type === 'progress') out.splice(m.history.lossStart, out.length, ...m.history.losses);
  }
  return out;
}

describe('Trainer › init', () => {
  it('announces loading, then a ready run with the points, the boundary and an empty history', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig() });
    expect(h.messages[0]).toEqual({ type: 'status', status: 'loading' });
    const ready = h.of('ready')[0];
    expect(ready.status).toBe('ready');
    expect(ready.iteration).toBe(0);
    expect(ready.learningRate).toBe(0.02);
    expect(ready.history).toEqual({ losses: [], lossStart: 0, checks: [] });
    const { info } = ready;
    // 600 points: 120 test, 120 val, 360 train; batch 32 -> 11 iterations per epoch, 3 epochs.
    expect([info.kind, info.numTrain, info.numVal, info.numTest, info.numClasses]).toEqual([
      'toy',
      360,
      120,
      120,
      3,
    ]);
    expect([info.iterationsPerEpoch, info.numIterations]).toEqual([11, 33]);
    expect(info.params.map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
      'W1:2x16',
      'b1:16',
      'W2:16x16',
      'b2:16',
      'W3:16x3',
      'b3:3',
    ]);
    expect(info.points?.train.length).toBe(2 * 480);
    expect(info.points?.test.length).toBe(2 * 120);
    // Points come back in their original coordinates: the mean of the generated set is near 0, and
    // the training split's mean (subtracted in the data) is added back.
    const xs = info.points!.train.filter((_, i) => i % 2 === 0);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length)).toBeLessThan(0.2);
    const b = ready.view.boundary!;
    expect(b.resolution).toBe(64);
    expect(b.classes.length).toBe(64 * 64);
    expect(Math.max(...b.classes)).toBeLessThan(3);
    expect(Math.min(...b.confidence)).toBeGreaterThanOrEqual(1 / 3 - 1e-6);
    expect(Math.max(...b.confidence)).toBeLessThanOrEqual(1);
    expect(b.xMin).toBeLessThan(Math.min(...xs));
    expect(b.xMax).toBeGreaterThan(Math.max(...xs));
    expect(ready.view.test?.count).toBe(120);
  });

  it('rejects a config that is not valid, naming the field', async () => {
    const h = harness();
    const bad = { ...spiralConfig(), seed: -1 };
    await h.trainer.handle({ type: 'init', config: bad });
    const error = h.of('error')[0];
    expect(error.during).toBe('init');
    expect(error.message).toBe('init: seed must be an integer in [0, 4294967295], got -1');
    expect(h.trainer.state).toBe('error');
  });
});

describe('Trainer › step', () => {
  it('runs one iteration per step and posts its loss, then several with count', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig() });
    await h.trainer.handle({ type: 'step' });
    const first = h.of('progress')[0];
    expect(first.iteration).toBe(1);
    expect(first.history.lossStart).toBe(0);
    expect(first.history.losses).toHaveLength(1);
    // The first iteration is followed by an accuracy check (as CS231n's Solver does).
    expect(first.history.checks).toHaveLength(1);
    expect(first.history.checks[0]).toMatchObject({ iteration: 1, epoch: 0 });
    expect(h.trainer.state).toBe('paused');
    await h.trainer.handle({ type: 'step', count: 12 });
    const second = h.of('progress')[1];
    expect(second.iteration).toBe(13);
    expect(second.epoch).toBe(1);
    expect(second.history.lossStart).toBe(1);
    expect(second.history.losses).toHaveLength(12);
    expect(lossesSeen(h.messages)).toEqual(referenceLosses().slice(0, 13));
  });

  it('refuses a step count that is not a positive integer', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig() });
    await h.trainer.handle({ type: 'step', count: 0 });
    expect(h.of('error')[0]).toEqual({
      type: 'error',
      during: 'step',
      message: 'step: count must be an integer >= 1, got 0',
    });
  });
});

describe('Trainer › play and pause', () => {
  it('trains to the end in slices, posting every loss: the same numbers as a synchronous run', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig() });
    await h.trainer.handle({ type: 'play' });
    expect(h.trainer.state).toBe('running');
    await h.waitFor(isStatus('done'));
    expect(lossesSeen(h.messages)).toEqual(referenceLosses());
    const checks = h.of('progress').flatMap((m) => m.history.checks);
    // First iteration + 3 epoch ends.
    expect(checks.map((c) => c.iteration)).toEqual([1, 11, 22, 33]);
    // Playing a finished run does nothing.
    const count = h.messages.length;
    await h.trainer.handle({ type: 'play' });
    expect(h.messages.length).toBe(count);
  });

  it('pauses at a step boundary and resumes to the numbers of an uninterrupted run', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig() });
    const from = h.messages.length;
    await h.trainer.handle({ type: 'play' });
    await h.waitFor((m) => m.type === 'progress', 20_000, from);
    await h.trainer.handle({ type: 'pause' });
    await h.waitFor(isStatus('paused'), 20_000, from);
    const pausedAt = h.trainer.solver!.iteration;
    expect(pausedAt).toBeGreaterThan(0);
    expect(pausedAt).toBeLessThan(33);
    // Stepping works while paused.
    await h.trainer.handle({ type: 'step' });
    expect(h.trainer.solver!.iteration).toBe(pausedAt + 1);
    await h.trainer.handle({ type: 'play' });
    await h.waitFor(isStatus('done'));
    expect(lossesSeen(h.messages)).toEqual(referenceLosses());
  });
});

describe('Trainer › gradcheck', () => {
  it('matches numerical gradients of the current model in float64, parameter by parameter', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig({ model: { reg: 0 } }) });
    await h.trainer.handle({ type: 'step', count: 5 });
    await h.trainer.handle({ type: 'gradcheck' });
    const result = h.of('gradcheck')[0];
    expect(result.batchSize).toBe(4);
    expect(result.rows.map((r) => [r.param, r.method, r.checked])).toEqual([
      ['W1', 'full', 32],
      ['b1', 'full', 16],
      ['W2', 'sparse', 10],
      ['b2', 'full', 16],
      ['W3', 'full', 48],
      ['b3', 'full', 3],
    ]);
    for (const row of result.rows) expect(row.maxRelError).toBeLessThan(1e-7);
    // The training model is untouched: still float32, and the run continues to the reference numbers.
    expect(h.trainer.solver!.model.params.W1.dtype).toBe('float32');
  });

  it('holds dropout masks and batchnorm fixed across evaluations', async () => {
    const h = harness();
    const config = spiralConfig({ model: { normalization: 'batchnorm', dropout: 0.7, reg: 0 } });
    await h.trainer.handle({ type: 'init', config });
    await h.trainer.handle({ type: 'step', count: 3 });
    await h.trainer.handle({ type: 'gradcheck', batchSize: 6 });
    const rows = h.of('gradcheck')[0].rows;
    expect(rows.map((r) => r.param)).toEqual([
      'W1',
      'b1',
      'gamma1',
      'beta1',
      'W2',
      'b2',
      'gamma2',
      'beta2',
      'W3',
      'b3',
    ]);
    // Without the state reset, fresh dropout masks per evaluation give relative errors near 1.
    // 1e-6 as CONTRIBUTING allows for normalisation layers.
    for (const row of rows) expect(row.maxRelError).toBeLessThan(1e-6);
  });

  it('with L2 on, weights whose gradient is only reg * W (dead units) stay within float64 noise', async () => {
    // Such entries have gradients near 1e-5, where the centred difference's rounding (about
    // 1e-16 / h = 1e-11) is a relative error near 1e-6: still far below a real bug's ~1.
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig({ model: { reg: 0.0001 } }) });
    await h.trainer.handle({ type: 'step', count: 5 });
    await h.trainer.handle({ type: 'gradcheck' });
    const rows = h.of('gradcheck')[0].rows;
    for (const row of rows) expect(row.maxRelError).toBeLessThan(1e-5);
    for (const row of rows.filter((r) => r.param.startsWith('b'))) expect(row.maxRelError).toBeLessThan(1e-7);
  });
});

describe('Trainer › checkpoints', () => {
  it('downloads a checkpoint backprop eval can read, and a loaded one continues to the same numbers', async () => {
    const h = harness();
    const config = spiralConfig();
    await h.trainer.handle({ type: 'init', config });
    await h.trainer.handle({ type: 'step', count: 15 });
    await h.trainer.handle({ type: 'checkpoint' });
    const saved = h.of('checkpoint')[0];
    expect(saved.fileName).toBe('backprop-spiral-fc-seed0-iter15.safetensors');
    const info = readCheckpointInfo(saved.bytes);
    expect(JSON.parse(info.extra.metadata[EXPERIMENT_METADATA_KEY])).toEqual(config);
    expect(info.extra.tensors[MEAN_TENSOR_NAME].shape).toEqual([2]);
    expect(info.solver.iteration).toBe(15);
    expect(Object.keys(loadModel(saved.bytes).params)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);

    const other = harness();
    await other.trainer.handle({ type: 'load', bytes: saved.bytes, fileName: saved.fileName });
    const ready = other.of('ready')[0] as Of<'ready'>;
    expect(ready.status).toBe('paused');
    expect(ready.iteration).toBe(15);
    expect(ready.info.config).toEqual(config);
    expect(ready.history.checks.map((c) => c.iteration)).toEqual([1, 11]);
    expect(ready.learningRate).toBe(h.trainer.solver!.optimConfigs.W1.learningRate);
    await other.trainer.handle({ type: 'play' });
    await other.waitFor(isStatus('done'));
    expect(lossesSeen(other.messages)).toEqual(referenceLosses());
  });

  it('reports a file that is not a checkpoint, and one without an experiment', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'load', bytes: new Uint8Array([1, 2, 3]), fileName: 'x.bin' });
    expect(h.of('error')[0].during).toBe('load');
    expect(h.of('error')[0].message).toMatch(/^readCheckpointInfo: /);

    const config = spiralConfig();
    const data = prepareData(config, toyDataset('spiral'));
    const solver = buildSolver(config, buildModel(config, data.inputShape, data.numClasses), data);
    await h.trainer.handle({ type: 'load', bytes: solver.checkpoint(), fileName: 'plain.safetensors' });
    expect(h.of('error')[1].message).toBe(
      "readExperimentCheckpoint: plain.safetensors has no 'backprop.experiment' metadata: it was not saved by 'backprop train' or the playground",
    );
  });
});

describe('Trainer › errors', () => {
  it('reports a diverging run, refuses to go on, and Reset (init) recovers', async () => {
    const h = harness();
    const diverging = spiralConfig({ solver: { updateRule: 'sgd', learningRate: 1e30 } });
    await h.trainer.handle({ type: 'init', config: diverging });
    await h.trainer.handle({ type: 'step', count: 30 });
    const error = h.of('error')[0];
    expect(error.during).toBe('step');
    expect(error.message).toMatch(/^Solver\.step: .*(NaN|Infinity)/);
    expect(h.trainer.state).toBe('error');
    expect(h.messages.at(-1)).toEqual({ type: 'status', status: 'error', message: error.message });
    // The Solver put its best parameters back: a last view of that model precedes the error.
    const last = h.of('progress').at(-1)!;
    expect(h.messages.indexOf(last)).toBe(h.messages.indexOf(error) - 1);
    expect(last.iteration).toBe(h.trainer.solver!.iteration);
    expect(last.view!.boundary!.classes).toHaveLength(64 * 64);
    await h.trainer.handle({ type: 'play' });
    expect(h.of('error')[1].message).toBe('play: run has failed; press Reset to start again');

    await h.trainer.handle({ type: 'init', config: spiralConfig() });
    expect(h.trainer.state).toBe('ready');
    await h.trainer.handle({ type: 'step' });
    expect(h.trainer.state).toBe('paused');
  });

  it('names an unknown request', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'fly' } as never);
    expect(h.of('error')[0].message).toBe('Trainer.handle: request.type is not a known request: fly');
  });

  it('a new init while playing replaces the run, and the old one posts nothing more', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: spiralConfig({ solver: { numEpochs: 50 } }) });
    await h.trainer.handle({ type: 'play' });
    await h.waitFor((m) => m.type === 'progress');
    await h.trainer.handle({ type: 'init', config: spiralConfig({ seed: 7 }) });
    const readyAt = h.messages.map((m) => m.type).lastIndexOf('ready');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.messages.slice(readyAt + 1)).toEqual([]);
    expect(h.trainer.state).toBe('ready');
    expect(h.trainer.solver!.numIterations).toBe(33);
  });
});

describe('Trainer › images', () => {
  it('loads the embedded subset with sample images, and a step predicts them', async () => {
    const h = harness();
    await h.trainer.handle({ type: 'init', config: imageConfig() });
    const ready = h.of('ready')[0];
    expect(ready.info.kind).toBe('images');
    expect([ready.info.numTrain, ready.info.numVal, ready.info.numTest]).toEqual([300, 100, 2000]);
    expect(ready.info.classNames[0]).toBe('T-shirt/top');
    const samples = ready.info.samples!;
    expect(samples.shape).toEqual([1, 28, 28]);
    expect(samples.pixels.length).toBe(SAMPLE_COUNT * 784);
    expect(samples.labels.length).toBe(SAMPLE_COUNT);
    expect(ready.view.test?.count).toBe(1000);
    expect(ready.view.boundary).toBeUndefined();
    await h.trainer.handle({ type: 'step', count: 2 });
    const view = h.of('progress')[0].view!;
    expect(view.test?.samplePredictions?.length).toBe(SAMPLE_COUNT);
    const confusion = view.test!.confusion;
    expect(confusion.length).toBe(100);
    expect(confusion.reduce((a, b) => a + b, 0)).toBe(1000);
    let diagonal = 0;
    for (let k = 0; k < 10; k++) diagonal += confusion[k * 10 + k];
    expect(view.test!.accuracy).toBeCloseTo(diagonal / 1000, 12);
  });

  it('shows the convnet first-layer filters', async () => {
    const h = harness();
    const config = imageConfig({ model: { type: 'convnet', numFilters: 4, filterSize: 3, hiddenDim: 16 } });
    await h.trainer.handle({ type: 'init', config });
    expect(h.of('ready')[0].view.test?.count).toBe(300);
    const filters = h.of('ready')[0].view.filters!;
    expect(filters.shape).toEqual([4, 1, 3, 3]);
    expect(Array.from(filters.data)).toEqual(Array.from(h.trainer.solver!.model.params.W1.data));
  });
});
