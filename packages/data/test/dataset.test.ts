import { FormatError } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { checkImageSplit, DATASET_NAMES, isToyName, TOY_NAMES, toyDataset } from '../src/index';
import { expectError } from './helpers';

describe('checkImageSplit', () => {
  const split = (bytes: number, labels: number[], count: number) => ({
    images: new Uint8Array(bytes),
    labels: Uint8Array.from(labels),
    count,
  });

  it('returns a consistent split as it is', () => {
    const s = split(8, [0, 2], 2);
    expect(checkImageSplit('f', 'train', s, [1, 2, 2], 3)).toBe(s);
  });

  it('names the caller and the split when sizes disagree or a label is out of range', () => {
    expectError(
      () => checkImageSplit('myLoader', 'train', split(7, [0, 1], 2), [1, 2, 2], 3),
      FormatError,
      'myLoader: train has 7 image bytes, expected 2 images x 4 bytes = 8',
    );
    expectError(
      () => checkImageSplit('myLoader', 'test', split(8, [0], 2), [1, 2, 2], 3),
      FormatError,
      'myLoader: test has 1 labels, expected 2 to match the images',
    );
    expectError(
      () => checkImageSplit('myLoader', 'test', split(8, [0, 3], 2), [1, 2, 2], 3),
      FormatError,
      'myLoader: test label 1 is 3, expected a class in [0, 3)',
    );
  });
});

describe('dataset names', () => {
  it('tells toy sets from image sets', () => {
    expect(DATASET_NAMES.filter(isToyName)).toEqual([...TOY_NAMES]);
    expect(toyDataset('xor')).toEqual({ kind: 'toy', name: 'xor' });
  });
});
