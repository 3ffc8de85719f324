// What `backprop data` says about a dataset directory, read from file headers and sizes only: a
// gzipped IDX file is inflated just far enough to read its dimensions, so listing the full
// Fashion-MNIST takes milliseconds instead of inflating 30 MB. Loading for training goes through
// @backprop/data, which parses and checks every byte.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { CIFAR10_CLASSES, CIFAR10_RECORD_BYTES, FASHION_MNIST_CLASSES, MNIST_CLASSES } from '@backprop/data';
import type { DatasetLocation } from '@backprop/data/node';

/** Example counts, image shape and class names of a found dataset. */
export interface DatasetContents {
  train: number;
  test: number;
  imageShape: number[];
  classes: string[];
}

/** Describes a dataset `findDatasets` found, from headers and sizes. Throws on a malformed header. */
export async function describeDataset(location: DatasetLocation): Promise<DatasetContents> {
  if (location.dataset === 'cifar10') {
    let train = 0;
    let test = 0;
    for (const file of location.files.filter((f) => f.endsWith('.bin'))) {
      const { size } = await stat(join(location.dir, file));
      if (size % CIFAR10_RECORD_BYTES !== 0) {
        throw new Error(
          `${file} has ${size} bytes, not a whole number of ${CIFAR10_RECORD_BYTES}-byte records`,
        );
      }
      if (file === 'test_batch.bin') test += size / CIFAR10_RECORD_BYTES;
      else train += size / CIFAR10_RECORD_BYTES;
    }
    return { train, test, imageShape: [3, 32, 32], classes: [...CIFAR10_CLASSES] };
  }
  const imagesFile = (prefix: string) => {
    const file = location.files.find((f) => f.startsWith(prefix));
    if (!file) throw new Error(`no ${prefix}* file`);
    return join(location.dir, file);
  };
  const train = await readIdxDims(imagesFile('train-images'));
  const test = await readIdxDims(imagesFile('t10k-images'));
  if (train.length !== 3 || test.length !== 3) throw new Error('image files must hold [N, H, W] arrays');
  return {
    train: train[0],
    test: test[0],
    imageShape: [1, train[1], train[2]],
    classes: [...(location.dataset === 'mnist' ? MNIST_CLASSES : FASHION_MNIST_CLASSES)],
  };
}

/** The dimensions in an IDX file's header (plain or gzipped), reading no more than needed. */
export async function readIdxDims(path: string): Promise<number[]> {
  const head = await readPrefix(path, 2);
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const magic = await readPrefix(path, 4, gzipped);
  if (magic.length < 4 || magic[0] !== 0 || magic[1] !== 0)
    throw new Error(`${path} is not an IDX file (bad magic)`);
  const ndim = magic[3];
  const header = await readPrefix(path, 4 + 4 * ndim, gzipped);
  if (header.length < 4 + 4 * ndim) throw new Error(`${path} is truncated inside its header`);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
}

/** The first `n` bytes of a file (inflated first when `gunzip`), or fewer if it is shorter. */
function readPrefix(path: string, n: number, gunzip = false): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const file = createReadStream(path, gunzip ? {} : { start: 0, end: n - 1 });
    const stream = gunzip ? file.pipe(createGunzip()) : file;
    const finish = () => {
      file.destroy();
      if (gunzip) stream.destroy();
      resolve(new Uint8Array(Buffer.concat(chunks, length).subarray(0, n)));
    };
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= n) finish();
    });
    stream.on('end', finish);
    stream.on('error', reject);
    file.on('error', reject);
  });
}
