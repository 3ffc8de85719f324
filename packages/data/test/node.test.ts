import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, ValueError } from '@backprop/tensor';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR10_CLASSES,
  EMBEDDED_COUNTS,
  EMBEDDED_FILES,
  FASHION_MNIST_CLASSES,
  writeIdx,
} from '../src/index';
import {
  datasetHint,
  embeddedDatasetDir,
  findDatasets,
  loadDataset,
  readCifar10Dir,
  readIdxDir,
  SYSTEM_DATASET_DIRS,
} from '../src/node';
import { cifarRecord, expectRejects } from './helpers';

let root: string;

const images = (n: number) =>
  writeIdx(
    [n, 2, 2],
    Uint8Array.from({ length: n * 4 }, (_, i) => i),
  );
const labels = (n: number) =>
  writeIdx(
    [n],
    Uint8Array.from({ length: n }, (_, i) => i % 10),
  );
const cifar = (labelsOf: number[]) =>
  Uint8Array.from(labelsOf.flatMap((l) => cifarRecord(l, (c, i) => c + i)));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'backprop-data-'));
  const gz = join(root, 'gz');
  await mkdir(gz);
  await writeFile(join(gz, 'train-images-idx3-ubyte.gz'), gzipSync(images(6)));
  await writeFile(join(gz, 'train-labels-idx1-ubyte.gz'), gzipSync(labels(6)));
  await writeFile(join(gz, 't10k-images-idx3-ubyte.gz'), gzipSync(images(3)));
  await writeFile(join(gz, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels(3)));
  const plain = join(root, 'plain');
  await mkdir(plain);
  // the dotted spelling some MNIST mirrors use
  await writeFile(join(plain, 'train-images.idx3-ubyte'), images(4));
  await writeFile(join(plain, 'train-labels.idx1-ubyte'), labels(4));
  await writeFile(join(plain, 't10k-images-idx3-ubyte'), images(2));
  await writeFile(join(plain, 't10k-labels-idx1-ubyte'), labels(2));
  const broken = join(root, 'broken');
  await mkdir(broken);
  const t = images(3);
  await writeFile(join(broken, 'train-images-idx3-ubyte'), t.subarray(0, t.length - 2));
  await writeFile(join(broken, 'train-labels-idx1-ubyte'), labels(3));
  await writeFile(join(broken, 't10k-images-idx3-ubyte'), images(1));
  await writeFile(join(broken, 't10k-labels-idx1-ubyte'), labels(1));
  const partial = join(root, 'partial');
  await mkdir(partial);
  await writeFile(join(partial, 'train-images-idx3-ubyte'), images(1));
  const c = join(root, 'cifar', 'cifar-10-batches-bin');
  await mkdir(c, { recursive: true });
  for (let i = 1; i <= 5; i++) await writeFile(join(c, `data_batch_${i}.bin`), cifar([i, i]));
  await writeFile(join(c, 'test_batch.bin'), cifar([0, 9, 8]));
  await writeFile(
    join(c, 'batches.meta.txt'),
    `${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n')}\n`,
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readIdxDir', () => {
  it('reads the four gzipped files', async () => {
    const ds = await readIdxDir(join(root, 'gz'));
    expect(ds.name).toBe('fashion-mnist');
    expect(ds.imageShape).toEqual([1, 2, 2]);
    expect(ds.train.count).toBe(6);
    expect(ds.test.count).toBe(3);
    expect(Array.from(ds.train.labels)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ds.classNames).toEqual([...FASHION_MNIST_CLASSES]);
  });

  it('reads plain files, including the dotted .idx3-ubyte spelling', async () => {
    const ds = await readIdxDir(join(root, 'plain'), { name: 'mnist' });
    expect(ds.train.count).toBe(4);
    expect(ds.classNames[3]).toBe('3');
  });

  it('names the truncated file by its path', async () => {
    await expectRejects(
      readIdxDir(join(root, 'broken')),
      FormatError,
      `parseIdx: ${join(root, 'broken', 'train-images-idx3-ubyte')} is truncated: its header declares uint8 [3,2,2] = 16 + 12 bytes, the file has 26`,
    );
  });

  it('says how to get Fashion-MNIST when the directory is missing', async () => {
    await expectRejects(
      readIdxDir(join(root, 'nope')),
      ValueError,
      `readIdxDir: dir '${join(root, 'nope')}' does not exist; install Fashion-MNIST with 'apt-get install -y dataset-fashion-mnist' (files under /usr/share/datasets/fashion-mnist), or download the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist and pass their directory as dataDir`,
    );
  });

  it('names the missing file', async () => {
    await expectRejects(
      readIdxDir(join(root, 'partial'), { name: 'mnist' }),
      ValueError,
      new RegExp(
        `^readIdxDir: dir '${join(root, 'partial')}' has no train-labels-idx1-ubyte\\[\\.gz\\]; download the four MNIST files`,
      ),
    );
  });
});

describe('readCifar10Dir', () => {
  it('reads the five training batches, the test batch and the class names (from the parent folder too)', async () => {
    for (const dir of [join(root, 'cifar'), join(root, 'cifar', 'cifar-10-batches-bin')]) {
      const ds = await readCifar10Dir(dir);
      expect(ds.name).toBe('cifar10');
      expect(ds.train.count).toBe(10);
      expect(Array.from(ds.train.labels)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
      expect(Array.from(ds.test.labels)).toEqual([0, 9, 8]);
      expect(ds.classNames).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    }
  });

  it('says where to get CIFAR-10 when a batch or the directory is missing', async () => {
    await expectRejects(
      readCifar10Dir(join(root, 'gz')),
      ValueError,
      new RegExp(
        `^readCifar10Dir: dir '${join(root, 'gz')}' has no data_batch_1\\.bin; download 'CIFAR-10 binary version`,
      ),
    );
    await expectRejects(
      readCifar10Dir(join(root, 'none')),
      ValueError,
      /^readCifar10Dir: dir '.*none' does not exist; download 'CIFAR-10 binary version \(suitable for C programs\)'/,
    );
  });
});

describe('loadDataset', () => {
  it('loads image sets from dataDir and returns toy sets as names', async () => {
    const ds = await loadDataset({ dataset: 'mnist', dataDir: join(root, 'gz') });
    expect(ds.kind).toBe('images');
    expect(ds.name).toBe('mnist');
    expect(await loadDataset({ dataset: 'spiral' })).toEqual({ kind: 'toy', name: 'spiral' });
    const c = await loadDataset({ dataset: 'cifar10', dataDir: join(root, 'cifar') });
    expect(c.kind === 'images' && c.train.count).toBe(10);
  });

  it('rejects an unknown dataset and an empty dataDir', async () => {
    await expectRejects(
      loadDataset({ dataset: 'imagenet' as 'mnist' }),
      ValueError,
      /^loadDataset: source\.dataset must be one of 'embedded', .*, got 'imagenet'$/,
    );
    await expectRejects(
      loadDataset({ dataset: 'mnist', dataDir: '' }),
      ValueError,
      "loadDataset: source.dataDir must be a non-empty string, got ''",
    );
  });
});

describe('the embedded Fashion-MNIST subset', () => {
  it('loads with 10,000 train and 2,000 test images, 1,000 and 200 per class', async () => {
    const ds = await loadDataset({ dataset: 'embedded' });
    if (ds.kind !== 'images') throw new Error('expected images');
    expect(ds.name).toBe('embedded');
    expect(ds.imageShape).toEqual([1, 28, 28]);
    expect(ds.train.count).toBe(EMBEDDED_COUNTS.train);
    expect(ds.test.count).toBe(EMBEDDED_COUNTS.test);
    expect(ds.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    for (const [split, per] of [
      [ds.train, 1000],
      [ds.test, 200],
    ] as const) {
      const counts = new Array(10).fill(0);
      for (const l of split.labels) counts[l]++;
      expect(counts).toEqual(new Array(10).fill(per));
    }
    // real images, not blanks: pixels span 0..255 and the mean is Fashion-MNIST's ~0.286 * 255
    let sum = 0;
    let max = 0;
    for (const p of ds.train.images) {
      sum += p;
      if (p > max) max = p;
    }
    expect(max).toBe(255);
    expect(sum / ds.train.images.length / 255).toBeGreaterThan(0.25);
    expect(sum / ds.train.images.length / 255).toBeLessThan(0.32);
  });

  it('lives in the directory the node entry exports, under the exported file names', async () => {
    const found = await findDatasets();
    const embedded = found.find((d) => d.dataset === 'embedded');
    expect(embedded).toMatchObject({ dir: embeddedDatasetDir, found: true, missing: [] });
    expect(embedded?.files.sort()).toEqual(Object.values(EMBEDDED_FILES).sort());
  });
});

describe('findDatasets', () => {
  it('reports the system directories, and each given directory as IDX or CIFAR-10', async () => {
    const found = await findDatasets([join(root, 'gz'), join(root, 'cifar'), join(root, 'missing')]);
    expect(found.map((d) => d.dataset).slice(0, 4)).toEqual([
      'embedded',
      'fashion-mnist',
      'mnist',
      'cifar10',
    ]);
    expect(found[1].dir).toBe(SYSTEM_DATASET_DIRS['fashion-mnist']);
    expect(found[4]).toMatchObject({ dataset: 'fashion-mnist', dir: join(root, 'gz'), found: true });
    expect(found[5]).toMatchObject({
      dataset: 'cifar10',
      dir: join(root, 'cifar', 'cifar-10-batches-bin'),
      found: true,
    });
    expect(found[5].files).toContain('batches.meta.txt');
    expect(found[6]).toMatchObject({ found: false, hint: datasetHint('fashion-mnist') });
    expect(found[6].missing).toEqual([
      'train-images-idx3-ubyte[.gz]',
      'train-labels-idx1-ubyte[.gz]',
      't10k-images-idx3-ubyte[.gz]',
      't10k-labels-idx1-ubyte[.gz]',
    ]);
    expect(CIFAR10_CLASSES).toHaveLength(10);
  });
});
