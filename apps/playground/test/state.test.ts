import {
  cloneConfig,
  defaultExperiment,
  type ExperimentConfig,
  overrideExperiment,
} from '@backprop/experiment';
import { ValueError } from '@backprop/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyResponse, initialState, Store } from '../src/state/app-state';
import { IMAGE_PRESET, TOY_PRESET, withDataset } from '../src/state/presets';
import { configFromUrl, PLAYGROUND_DATASETS, urlForConfig } from '../src/state/url';
import { changeField } from '../src/ui/controls';
import type { Response, RunInfo } from '../src/worker/protocol';

describe('configFromUrl / urlForConfig', () => {
  it('the defaults are the empty query, and back', () => {
    expect(urlForConfig(defaultExperiment)).toBe('');
    expect(configFromUrl('')).toEqual({ config: cloneConfig(defaultExperiment), notices: [] });
  });

  it('writes only the changed fields, readable', () => {
    const config = withDataset(defaultExperiment, 'spiral');
    const url = urlForConfig(overrideExperiment(config, { data: { noise: 0.05 }, seed: 42 }));
    expect(url).toBe(
      '?seed=42&dataset=spiral&noise=0.05&hidden-dims=64,64&normalization=none&weight-scale=0.1&learning-rate=0.02&lr-decay=1&batch-size=32&epochs=100',
    );
  });

  it('round-trips any config the playground can run', () => {
    const arbitrary = fc.record({
      seed: fc.integer({ min: 0, max: 0xffffffff }),
      dataset: fc.constantFrom(...PLAYGROUND_DATASETS),
      hiddenDims: fc.array(fc.integer({ min: 1, max: 512 }), { maxLength: 4 }),
      normalization: fc.constantFrom('none', 'batchnorm', 'layernorm'),
      dropout: fc.double({ min: 0.05, max: 1, noNaN: true }),
      learningRate: fc.double({ min: 1e-6, max: 1, noNaN: true }),
      updateRule: fc.constantFrom('sgd', 'sgdMomentum', 'rmsprop', 'adam'),
      batchSize: fc.integer({ min: 1, max: 500 }),
      noise: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(arbitrary, (a) => {
        const config = overrideExperiment(defaultExperiment, {
          seed: a.seed,
          data: { dataset: a.dataset, noise: a.noise },
          model: { hiddenDims: a.hiddenDims, normalization: a.normalization, dropout: a.dropout },
          solver: { learningRate: a.learningRate, updateRule: a.updateRule, batchSize: a.batchSize },
        });
        const back = configFromUrl(urlForConfig(config));
        expect(back.notices).toEqual([]);
        expect(back.config).toEqual(config);
      }),
      { numRuns: 200 },
    );
  });

  it('a bad or outdated link falls back to the defaults, one notice per field', () => {
    const { config, notices } = configFromUrl(
      '?dataset=spiral&hidden-dims=64,x&colour=blue&learning-rate=-1',
    );
    expect(config.data.dataset).toBe('spiral');
    expect(config.model.hiddenDims).toEqual(defaultExperiment.model.hiddenDims);
    expect(config.solver.learningRate).toBe(defaultExperiment.solver.learningRate);
    expect(notices).toHaveLength(3);
    expect(notices[0]).toMatch(/^hidden-dims=64,x is not valid \(.*\); using the default \[256,128\]$/);
    expect(notices[1]).toBe("unknown field 'colour' ignored (the link may come from another version)");
    expect(notices[2]).toMatch(/^learning-rate=-1 is not valid/);
  });

  it('datasets a browser cannot load fall back to the embedded subset, with a notice', () => {
    const { config, notices } = configFromUrl('?dataset=cifar10&data-dir=/data');
    expect(config.data.dataset).toBe('embedded');
    expect(config.data.dataDir).toBeUndefined();
    expect(notices).toEqual([
      'dataset=cifar10 is not available in the browser; using the default embedded',
      'data-dir is ignored in the browser (the playground has no file system)',
    ]);
  });

  it('never throws, whatever the query', () => {
    fc.assert(
      fc.property(fc.string(), (query) => {
        const { config } = configFromUrl(query);
        expect(PLAYGROUND_DATASETS).toContain(config.data.dataset);
      }),
      { numRuns: 300 },
    );
  });
});

describe('withDataset', () => {
  it('images -> 2-D applies the toy preset; 2-D -> 2-D keeps the settings', () => {
    const spiral = withDataset(defaultExperiment, 'spiral');
    expect(spiral.model).toMatchObject(TOY_PRESET.model!);
    expect(spiral.solver).toMatchObject(TOY_PRESET.solver!);
    const tuned = overrideExperiment(spiral, { solver: { learningRate: 0.005 } });
    const circles = withDataset(tuned, 'circles');
    expect(circles.data.dataset).toBe('circles');
    expect(circles.solver.learningRate).toBe(0.005);
  });

  it('2-D -> images restores the image defaults (a convnet becomes possible again)', () => {
    const back = withDataset(withDataset(defaultExperiment, 'xor'), 'embedded');
    expect(back.model).toEqual({ ...defaultExperiment.model, ...IMAGE_PRESET.model });
    expect(back).toEqual(cloneConfig(defaultExperiment));
  });
});

describe('changeField', () => {
  it('changes one field and validates the result', () => {
    const next = changeField(defaultExperiment, { path: 'model.hiddenDims', value: [100] });
    expect(next.model.hiddenDims).toEqual([100]);
    expect(defaultExperiment.model.hiddenDims).toEqual([256, 128]);
    expect(changeField(defaultExperiment, { path: 'seed', value: 9 }).seed).toBe(9);
  });

  it('removes an optional field when the value is undefined', () => {
    const capped = changeField(defaultExperiment, { path: 'data.numTrain', value: 2000 });
    expect(capped.data.numTrain).toBe(2000);
    expect('numTrain' in changeField(capped, { path: 'data.numTrain', value: undefined }).data).toBe(false);
  });

  it('names the field of a bad value', () => {
    const bad = () => changeField(defaultExperiment, { path: 'solver.batchSize', value: 0 });
    expect(bad).toThrow(ValueError);
    expect(bad).toThrow('settings: solver.batchSize must be an integer >= 1, got 0');
    const widths = () =>
      changeField(defaultExperiment, { path: 'model.hiddenDims', value: [10, Number.NaN] });
    expect(widths).toThrow('settings: model.hiddenDims[1] must be an integer >= 1, got NaN');
  });

  it('refuses a convnet on 2-D points', () => {
    const spiral = withDataset(defaultExperiment, 'spiral');
    expect(() => changeField(spiral, { path: 'model.type', value: 'convnet' })).toThrow(
      /^settings: model.type 'convnet' needs an image dataset/,
    );
  });

  it('goes through withDataset for the dataset', () => {
    expect(changeField(defaultExperiment, { path: 'data.dataset', value: 'gaussian' })).toEqual(
      withDataset(defaultExperiment, 'gaussian'),
    );
  });
});

describe('applyResponse', () => {
  const config: ExperimentConfig = withDataset(defaultExperiment, 'spiral');
  const info = { config, kind: 'toy', numIterations: 33 } as unknown as RunInfo;
  const ready: Response = {
    type: 'ready',
    info,
    status: 'ready',
    history: { losses: [], lossStart: 0, checks: [] },
    iteration: 0,
    epoch: 0,
    learningRate: 0.02,
    view: {},
  };

  it('a ready run replaces the previous one and clears its error', () => {
    const failed = { ...initialState(config), error: 'boom', status: 'error' as const, losses: [1, 2] };
    const s = applyResponse(failed, ready);
    expect([s.status, s.error, s.losses, s.numIterations, s.info]).toEqual(['ready', null, [], 33, info]);
  });

  it('progress appends losses at their iterations and checks in order', () => {
    let s = applyResponse(initialState(config), ready);
    const progress = (lossStart: number, losses: number[], iteration: number): Response => ({
      type: 'progress',
      iteration,
      epoch: 0,
      numIterations: 33,
      learningRate: 0.02,
      history: { losses, lossStart, checks: [{ iteration, epoch: 0, trainAcc: 0.5, valAcc: 0.4 }] },
    });
    s = applyResponse(s, progress(0, [3, 2], 2));
    s = applyResponse(s, progress(2, [1], 3));
    expect(s.losses).toEqual([3, 2, 1]);
    expect(s.checks.map((c) => c.iteration)).toEqual([2, 3]);
    expect(s.iteration).toBe(3);
  });

  it('a light image view keeps the last test accuracy and takes the new sample predictions', () => {
    let s = initialState(defaultExperiment);
    const full = { accuracy: 0.8, count: 1000, confusion: new Int32Array(100) };
    s = { ...s, view: { test: full } };
    const light = {
      accuracy: Number.NaN,
      count: 0,
      confusion: new Int32Array(0),
      samplePredictions: new Int32Array([1]),
    };
    s = applyResponse(s, {
      type: 'progress',
      iteration: 5,
      epoch: 0,
      numIterations: 90,
      learningRate: 0.001,
      history: { losses: [1], lossStart: 4, checks: [] },
      view: { test: light },
    });
    expect(s.view.test?.accuracy).toBe(0.8);
    expect(s.view.test?.samplePredictions).toEqual(new Int32Array([1]));
  });

  it('an error sets the status and the message; the gradient check result is kept until the next run', () => {
    let s = applyResponse(initialState(config), { type: 'gradcheck', rows: [], batchSize: 4, loss: 1 });
    expect(s.gradcheck).toEqual({ rows: [], batchSize: 4, loss: 1 });
    s = applyResponse(s, { type: 'error', message: 'Solver.step: loss is NaN', during: 'play' });
    expect([s.status, s.error]).toEqual(['error', 'Solver.step: loss is NaN']);
    expect(applyResponse(s, ready).gradcheck).toBeNull();
  });
});

describe('Store', () => {
  it('notifies listeners with the previous state, until they unsubscribe', () => {
    const store = new Store(initialState(defaultExperiment));
    const seen: [number, number][] = [];
    const off = store.subscribe((next, previous) => seen.push([next.iteration, previous.iteration]));
    store.update({ iteration: 1 });
    store.update({ iteration: 2 });
    off();
    store.update({ iteration: 3 });
    expect(seen).toEqual([
      [1, 0],
      [2, 1],
    ]);
    expect(store.state.iteration).toBe(3);
  });
});
