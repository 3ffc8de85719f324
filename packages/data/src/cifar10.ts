// CIFAR-10's binary version (https://www.cs.toronto.edu/~kriz/cifar.html, "CIFAR-10 binary version
// (suitable for C programs)"): each record is 1 label byte then 3072 pixel bytes, the 1024 red,
// then 1024 green, then 1024 blue values of a 32x32 image in row-major order, i.e. already CHW.
// data_batch_1..5.bin hold 10,000 records each, test_batch.bin 10,000, batches.meta.txt the names.
import { FormatError } from '@backprop/tensor';
import { CIFAR10_CLASSES, checkImageSplit, type ImageDataset, type ImageSplit } from './dataset';
import { maybeGunzip } from './idx';

/** Bytes of one CIFAR-10 record: 1 label + 3 x 32 x 32 pixels. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;

/** One parsed CIFAR-10 batch. */
export interface Cifar10Batch {
  /** N x 3 x 32 x 32 pixel bytes, NCHW. */
  images: Uint8Array;
  /** N labels in [0, 10). */
  labels: Uint8Array;
}

/**
 * Parses a CIFAR-10 binary batch (plain, or gzipped on its own).
 * @param bytes - the file's contents: N records of 3073 bytes
 * @param name - the file's name, for error messages (default `'bytes'`)
 * @throws FormatError naming `name` when the length is not a positive multiple of 3073 or a label is not in [0, 10)
 */
export function parseCifar10Batch(bytes: Uint8Array, name = 'bytes'): Cifar10Batch {
  const fn = 'parseCifar10Batch';
  if (!(bytes instanceof Uint8Array)) {
    throw new FormatError(fn, name, `must be a Uint8Array of file contents, got ${typeof bytes}`);
  }
  const raw = maybeGunzip(bytes, name, fn);
  const R = CIFAR10_RECORD_BYTES;
  if (raw.length === 0 || raw.length % R !== 0) {
    throw new FormatError(
      fn,
      name,
      `has ${raw.length} bytes, expected a positive multiple of ${R} (1 label byte + 3072 pixel bytes per image); truncated or not a CIFAR-10 binary batch`,
    );
  }
  const N = raw.length / R;
  const labels = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const label = raw[i * R];
    if (label >= 10) {
      throw new FormatError(fn, name, `record ${i} has label ${label}, expected a class in [0, 10)`);
    }
    labels[i] = label;
  }
  const images = new Uint8Array(N * (R - 1));
  for (let i = 0; i < N; i++) images.set(raw.subarray(i * R + 1, (i + 1) * R), i * (R - 1));
  return { images, labels };
}

/**
 * The class names of batches.meta.txt: one per non-empty line.
 * @throws FormatError naming `name` unless there are exactly 10
 */
export function parseCifar10Meta(text: string, name = 'batches.meta.txt'): string[] {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (names.length !== 10) {
    throw new FormatError('parseCifar10Meta', name, `lists ${names.length} class names, expected 10`);
  }
  return names;
}

/**
 * An image dataset from CIFAR-10 batch files: the training batches concatenated in the order given.
 * @param files - `train`: the contents of data_batch_1..5.bin (or fewer), `test`: test_batch.bin;
 *   `names` (optional) the file names for messages, `meta` (optional) batches.meta.txt's text
 */
export function cifar10Dataset(files: {
  train: Uint8Array[];
  test: Uint8Array;
  trainNames?: string[];
  testName?: string;
  meta?: string;
}): ImageDataset {
  const fn = 'cifar10Dataset';
  if (!Array.isArray(files.train) || files.train.length === 0) {
    throw new FormatError(fn, 'files.train', 'must list at least one training batch');
  }
  const batches = files.train.map((b, i) =>
    parseCifar10Batch(b, files.trainNames?.[i] ?? `data_batch_${i + 1}.bin`),
  );
  const test = parseCifar10Batch(files.test, files.testName ?? 'test_batch.bin');
  const classNames = files.meta === undefined ? [...CIFAR10_CLASSES] : parseCifar10Meta(files.meta);
  const count = batches.reduce((a, b) => a + b.labels.length, 0);
  const train: ImageSplit = { images: new Uint8Array(count * 3072), labels: new Uint8Array(count), count };
  let at = 0;
  for (const b of batches) {
    train.images.set(b.images, at * 3072);
    train.labels.set(b.labels, at);
    at += b.labels.length;
  }
  const imageShape: [number, number, number] = [3, 32, 32];
  return {
    kind: 'images',
    name: 'cifar10',
    imageShape,
    classNames,
    train: checkImageSplit(fn, 'train', train, imageShape, 10),
    test: checkImageSplit(
      fn,
      'test',
      { images: test.images, labels: test.labels, count: test.labels.length },
      imageShape,
      10,
    ),
  };
}
