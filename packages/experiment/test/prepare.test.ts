import { type ImageDataset, toyDataset } from '@backprop/data';
import { loadDataset } from '@backprop/data/node';
import { ValueError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { parseExperiment, prepareData } from '../src/index';
import { expectError } from './helpers';

/**
 * A tiny image set by hand: 6 train images of 1x2x2 whose pixels are all 10·i (i = 0..5), labels i % 3,
 * and 2 test images of pixel 255.
 */
function tinyImages(): ImageDataset {
  const train = Uint8Array.from({ length: 24 }, (_, j) => 10 * Math.floor(j / 4));
  return {
    kind: 'images',
    name: 'mnist',
    imageShape: [1, 2, 2],
    classNames: ['a', 'b', 'c'],
    train: { images: train, labels: Uint8Array.from([0, 1, 2, 0, 1, 2]), count: 6 },
    test: { images: new Uint8Array(8).fill(255), labels: Uint8Array.from([2, 1]), count: 2 },
  };
}

describe('prepareData on image sets', () => {
  it('scales to [0, 1], holds out the last numVal images, and subtracts the TRAIN mean from every split', () => {
    const config = parseExperiment({ data: { dataset: 'mnist', numVal: 2 }, model: { dtype: 'float64' } });
    const d = prepareData(config, tinyImages());
    // train = images 0..3 (pixels 0, 10, 20, 30)/255, mean 15/255; val = images 4, 5
    const mean = 15 / 255;
    expect(d.mean.shape).toEqual([1, 2, 2]);
    for (const v of d.mean.data) expect(v).toBeCloseTo(mean, 15);
    expect(d.XTrain.shape).toEqual([4, 4]);
    expect(Array.from(d.XTrain.data.filter((_, j) => j % 4 === 0))).toEqual(
      [0, 10, 20, 30].map((p) => p / 255 - mean),
    );
    expect(Array.from(d.XVal.data.filter((_, j) => j % 4 === 0))).toEqual(
      [40, 50].map((p) => p / 255 - mean),
    );
    // the test images get the train mean too, not their own (which would make them all 0)
    for (const v of d.XTest.data) expect(v).toBeCloseTo(1 - mean, 15);
    expect(Array.from(d.yTrain)).toEqual([0, 1, 2, 0]);
    expect(Array.from(d.yVal)).toEqual([1, 2]);
    expect(Array.from(d.yTest)).toEqual([2, 1]);
    expect(d.yTrain).toBeInstanceOf(Int32Array);
    expect(d).toMatchObject({ inputShape: [1, 2, 2], numClasses: 3, classNames: ['a', 'b', 'c'] });
  });

  it('keeps NCHW for the convnet and flattens for fc and two-layer', () => {
    const raw = tinyImages();
    for (const [type, shape] of [
      ['convnet', [3, 1, 2, 2]],
      ['fc', [3, 4]],
      ['two-layer', [3, 4]],
    ] as const) {
      const d = prepareData(parseExperiment({ data: { dataset: 'mnist', numVal: 3 }, model: { type } }), raw);
      expect(d.XTrain.shape).toEqual(shape);
      expect(d.XVal.shape).toEqual(shape);
      expect(d.XTest.shape[0]).toBe(2);
      expect(d.XTrain.dtype).toBe('float32');
    }
  });

  it('caps the training split at numTrain, taking the mean of what is kept', () => {
    const config = parseExperiment({
      data: { dataset: 'mnist', numVal: 2, numTrain: 2 },
      model: { dtype: 'float64' },
    });
    const d = prepareData(config, tinyImages());
    expect(d.XTrain.shape[0]).toBe(2);
    expect(d.XVal.shape[0]).toBe(2);
    expect(d.mean.data[0]).toBeCloseTo(5 / 255, 15);
  });

  it('rejects numVal that leaves no training images, and a raw set that is not the configured one', () => {
    expectError(
      () => prepareData(parseExperiment({ data: { dataset: 'mnist', numVal: 6 } }), tinyImages()),
      ValueError,
      "prepareData: config.data.numVal must be < 6 (the training images of 'mnist'), got 6",
    );
    expectError(
      () => prepareData(parseExperiment({ data: { dataset: 'spiral' } }), tinyImages()),
      ValueError,
      "prepareData: raw is the 'mnist' dataset, expected 'spiral' as config.data.dataset says",
    );
    expectError(
      () => prepareData(parseExperiment({ data: { dataset: 'spiral' } }), toyDataset('xor')),
      ValueError,
      "prepareData: raw is the 'xor' dataset, expected 'spiral' as config.data.dataset says",
    );
    expectError(
      () => prepareData(parseExperiment({}), null as never),
      ValueError,
      /^prepareData: raw must be a RawDataset/,
    );
  });

  it('prepares the embedded subset as the default experiment asks: 9,000 / 1,000 / 2,000 of 784 features', async () => {
    const config = parseExperiment({});
    const d = prepareData(config, await loadDataset(config.data));
    expect(d.XTrain.shape).toEqual([9000, 784]);
    expect(d.XVal.shape).toEqual([1000, 784]);
    expect(d.XTest.shape).toEqual([2000, 784]);
    expect(d.numClasses).toBe(10);
    expect(d.classNames[9]).toBe('Ankle boot');
    // the train split is centred: every feature's mean is ~0
    let worst = 0;
    for (let j = 0; j < 784; j++) {
      let s = 0;
      for (let n = 0; n < 9000; n++) s += d.XTrain.data[n * 784 + j];
      worst = Math.max(worst, Math.abs(s / 9000));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('prepareData on toy sets', () => {
  it('splits numPoints into test (testFraction), val (numVal at most as many) and train', () => {
    const config = parseExperiment({
      data: { dataset: 'spiral', numPoints: 500, testFraction: 0.2, numVal: 1000, classes: 4 },
    });
    const d = prepareData(config, toyDataset('spiral'));
    expect(d.XTest.shape).toEqual([100, 2]);
    expect(d.XVal.shape).toEqual([100, 2]);
    expect(d.XTrain.shape).toEqual([300, 2]);
    expect(d).toMatchObject({ inputShape: [2], numClasses: 4 });
    const small = prepareData(
      parseExperiment({ data: { dataset: 'spiral', numPoints: 500, numVal: 30 } }),
      toyDataset('spiral'),
    );
    expect(small.XVal.shape[0]).toBe(30);
    expect(small.XTrain.shape[0]).toBe(370);
  });

  it('is reproducible from config.seed and changes with it', () => {
    const make = (seed: number) =>
      prepareData(parseExperiment({ seed, data: { dataset: 'circles' } }), toyDataset('circles'));
    expect(make(1).XTrain.data).toEqual(make(1).XTrain.data);
    expect(make(1).XTrain.data).not.toEqual(make(2).XTrain.data);
  });

  it('gives xor two classes whatever data.classes says', () => {
    const d = prepareData(parseExperiment({ data: { dataset: 'xor', classes: 5 } }), toyDataset('xor'));
    expect(d.numClasses).toBe(2);
    expect(new Set(d.yTrain)).toEqual(new Set([0, 1]));
  });

  it('leaves training points even at the smallest size and largest test fraction', () => {
    const d = prepareData(
      parseExperiment({ data: { dataset: 'gaussian', numPoints: 10, testFraction: 0.4, classes: 2 } }),
      toyDataset('gaussian'),
    );
    expect(d.XTest.shape[0] + d.XVal.shape[0] + d.XTrain.shape[0]).toBe(10);
    expect(d.XTrain.shape[0]).toBeGreaterThanOrEqual(1);
  });
});
