import { FormatError } from '@backprop/tensor';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES, cifar10Dataset, parseCifar10Batch, parseCifar10Meta } from '../src/index';
import { cifarRecord, expectError } from './helpers';

const batch = (labels: number[]) =>
  Uint8Array.from(labels.flatMap((label, n) => cifarRecord(label, (c, i) => n * 7 + c * 50 + i)));

describe('parseCifar10Batch', () => {
  it('splits records into labels and CHW pixels', () => {
    const { images, labels } = parseCifar10Batch(batch([3, 9]));
    expect(Array.from(labels)).toEqual([3, 9]);
    expect(images.length).toBe(2 * 3072);
    // image 1, channel G (1), pixel 5: 1*7 + 1*50 + 5 = 62
    expect(images[3072 + 1024 + 5]).toBe(62);
    // image 0, channel B (2), pixel 1023: (0 + 100 + 1023) & 255 = 99
    expect(images[2048 + 1023]).toBe(1123 & 255);
  });

  it('reads a gzipped batch the same', () => {
    const b = batch([1, 2, 3]);
    expect(parseCifar10Batch(gzipSync(b))).toEqual(parseCifar10Batch(b));
  });

  it('rejects a truncated batch, naming the file', () => {
    const b = batch([1, 2]);
    expectError(
      () => parseCifar10Batch(b.subarray(0, b.length - 1), 'data_batch_1.bin'),
      FormatError,
      'parseCifar10Batch: data_batch_1.bin has 6145 bytes, expected a positive multiple of 3073 (1 label byte + 3072 pixel bytes per image); truncated or not a CIFAR-10 binary batch',
    );
    expectError(
      () => parseCifar10Batch(new Uint8Array(0), 'empty.bin'),
      FormatError,
      /^parseCifar10Batch: empty\.bin has 0 bytes/,
    );
  });

  it('rejects a label outside [0, 10)', () => {
    expectError(
      () => parseCifar10Batch(batch([0, 10]), 'test_batch.bin'),
      FormatError,
      'parseCifar10Batch: test_batch.bin record 1 has label 10, expected a class in [0, 10)',
    );
  });
});

describe('parseCifar10Meta', () => {
  it('reads one class name per non-empty line', () => {
    const text = `${CIFAR10_CLASSES.join('\n')}\n\n`;
    expect(parseCifar10Meta(text)).toEqual([...CIFAR10_CLASSES]);
  });

  it('rejects a list that is not ten names', () => {
    expectError(
      () => parseCifar10Meta('a\nb\n'),
      FormatError,
      'parseCifar10Meta: batches.meta.txt lists 2 class names, expected 10',
    );
  });
});

describe('cifar10Dataset', () => {
  it('concatenates the training batches in order and keeps the test batch apart', () => {
    const ds = cifar10Dataset({ train: [batch([1, 2]), batch([3])], test: batch([4, 5, 6]) });
    expect(ds.kind).toBe('images');
    expect(ds.name).toBe('cifar10');
    expect(ds.imageShape).toEqual([3, 32, 32]);
    expect(ds.classNames).toEqual([...CIFAR10_CLASSES]);
    expect(ds.train.count).toBe(3);
    expect(Array.from(ds.train.labels)).toEqual([1, 2, 3]);
    // record 0 of the second batch is image 2: its first R pixel is 0*7 + 0 + 0 = 0, its pixel 1 is 1
    expect(ds.train.images[2 * 3072 + 1]).toBe(1);
    expect(Array.from(ds.test.labels)).toEqual([4, 5, 6]);
  });

  it('names the batch at fault', () => {
    expectError(
      () => cifar10Dataset({ train: [batch([1]), new Uint8Array(5)], test: batch([1]) }),
      FormatError,
      /^parseCifar10Batch: data_batch_2\.bin has 5 bytes/,
    );
    expectError(
      () => cifar10Dataset({ train: [], test: batch([1]) }),
      FormatError,
      'cifar10Dataset: files.train must list at least one training batch',
    );
  });
});
