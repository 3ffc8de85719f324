import { FormatError } from '@backprop/tensor';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  EMBEDDED_FILES,
  embeddedDataset,
  FASHION_MNIST_CLASSES,
  type IdxFiles,
  idxDataset,
  MNIST_CLASSES,
  writeIdx,
} from '../src/index';
import { expectError } from './helpers';

function files(nTrain: number, nTest: number, size = 4): IdxFiles<Uint8Array> {
  const images = (n: number) =>
    writeIdx(
      [n, size, size],
      Uint8Array.from({ length: n * size * size }, (_, i) => i % 256),
    );
  const labels = (n: number) =>
    writeIdx(
      [n],
      Uint8Array.from({ length: n }, (_, i) => i % 10),
    );
  return {
    trainImages: gzipSync(images(nTrain)),
    trainLabels: labels(nTrain),
    testImages: images(nTest),
    testLabels: gzipSync(labels(nTest)),
  };
}

describe('idxDataset', () => {
  it('builds train and test splits of [1, H, W] images with the set’s class names', () => {
    const ds = idxDataset(files(12, 5));
    expect(ds.imageShape).toEqual([1, 4, 4]);
    expect(ds.train.count).toBe(12);
    expect(ds.test.count).toBe(5);
    expect(ds.train.images.length).toBe(12 * 16);
    expect(Array.from(ds.test.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(ds.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    expect(idxDataset(files(2, 2), { name: 'mnist' }).classNames).toEqual([...MNIST_CLASSES]);
  });

  it('rejects label counts that disagree with the images, naming the file', () => {
    const f = files(3, 2);
    f.trainLabels = writeIdx([2], Uint8Array.from([0, 1]));
    expectError(
      () => idxDataset(f),
      FormatError,
      'idxDataset: train-labels-idx1-ubyte holds 2 labels, expected 3 to match train-images-idx3-ubyte',
    );
  });

  it('rejects images that are not uint8 [N, H, W]', () => {
    const f = files(2, 2);
    f.testImages = writeIdx([2, 16], new Uint8Array(32));
    expectError(
      () => idxDataset(f, { fileNames: { testImages: '/data/t10k.gz' } }),
      FormatError,
      'idxDataset: /data/t10k.gz holds Uint8Array [2,16], expected uint8 images [N, H, W]',
    );
  });

  it('rejects labels outside the ten classes', () => {
    const f = files(2, 2);
    f.testLabels = writeIdx([2], Uint8Array.from([3, 12]));
    expectError(
      () => idxDataset(f),
      FormatError,
      'idxDataset: t10k-labels-idx1-ubyte label 1 is 12, expected a class in [0, 10)',
    );
  });

  it('rejects test images of another size than the training images', () => {
    const f = files(2, 2);
    f.testImages = writeIdx([2, 3, 3], new Uint8Array(18));
    expectError(
      () => idxDataset(f),
      FormatError,
      'idxDataset: t10k-images-idx3-ubyte holds 3x3 images, expected 4x4 as in train-images-idx3-ubyte',
    );
  });
});

describe('embeddedDataset', () => {
  it('asks `read` for each embedded file and assembles the set', async () => {
    const f = files(3, 2);
    const byName: Record<string, Uint8Array> = {
      [EMBEDDED_FILES.trainImages]: f.trainImages,
      [EMBEDDED_FILES.trainLabels]: f.trainLabels,
      [EMBEDDED_FILES.testImages]: f.testImages,
      [EMBEDDED_FILES.testLabels]: f.testLabels,
    };
    const asked: string[] = [];
    const ds = await embeddedDataset(async (file) => {
      asked.push(file);
      return byName[file];
    });
    expect(asked.sort()).toEqual(Object.values(EMBEDDED_FILES).sort());
    expect(ds).toMatchObject({ kind: 'images', name: 'embedded', imageShape: [1, 4, 4] });
    expect(ds.train.count).toBe(3);
    expect(ds.classNames).toEqual([...FASHION_MNIST_CLASSES]);
  });

  it('names the embedded file at fault', async () => {
    let caught: unknown;
    try {
      await embeddedDataset(async (file) =>
        file === EMBEDDED_FILES.testLabels ? new Uint8Array(3) : files(1, 1).trainImages,
      );
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FormatError);
    // every read returns an image file, so the first labels file read is the culprit
    expect((caught as Error).message).toBe(
      'idxDataset: train-labels-idx1-ubyte.gz holds Uint8Array [1,4,4], expected uint8 labels [N]',
    );
  });
});
