// Node-only helpers ('@backprop/data/node'): find dataset files on disk and read them into the same
// RawDataset the browser builds from fetched bytes. Everything format-related lives in the main
// entry; this file only knows directories and file names.
import { access, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, FormatError, ValueError } from '@backprop/tensor';
import { cifar10Dataset } from './cifar10';
import {
  DATASET_NAMES,
  type DatasetName,
  type DatasetSource,
  type ImageDataset,
  isToyName,
  type RawDataset,
  toyDataset,
} from './dataset';
import { EMBEDDED_DIR } from './embedded';
import { IDX_FILE_NAMES, type IdxFiles, idxDataset } from './mnist';

/**
 * Absolute path of the embedded Fashion-MNIST subset shipped in this package. (src/ and dist/ sit at
 * the same depth, so the relative URL holds for sources and builds alike.)
 */
export const embeddedDatasetDir: string = resolve(
  fileURLToPath(new URL(`../${EMBEDDED_DIR}/`, import.meta.url)),
);

/** Where the system packages put each image set (Fashion-MNIST: `apt-get install -y dataset-fashion-mnist`). */
export const SYSTEM_DATASET_DIRS: Readonly<Record<'fashion-mnist' | 'mnist' | 'cifar10', string>> =
  Object.freeze({
    'fashion-mnist': '/usr/share/datasets/fashion-mnist',
    mnist: '/usr/share/datasets/mnist',
    cifar10: '/usr/share/datasets/cifar10',
  });

const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const CIFAR10_TEST_FILE = 'test_batch.bin';
const CIFAR10_META_FILE = 'batches.meta.txt';

/** How to get a dataset that is not on disk: one sentence for error messages and `backprop data`. */
export function datasetHint(dataset: DatasetName): string {
  switch (dataset) {
    case 'fashion-mnist':
      return `install Fashion-MNIST with 'apt-get install -y dataset-fashion-mnist' (files under ${SYSTEM_DATASET_DIRS['fashion-mnist']}), or download the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist and pass their directory as dataDir`;
    case 'mnist':
      return 'download the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) and pass their directory as dataDir';
    case 'cifar10':
      return "download 'CIFAR-10 binary version (suitable for C programs)' (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and pass the cifar-10-batches-bin directory as dataDir";
    case 'embedded':
      return "the embedded subset ships with @backprop/data; reinstall the package, or rebuild it with 'node packages/data/scripts/make-embedded.mjs'";
    default:
      return 'toy sets are generated, nothing to download';
  }
}

/**
 * Reads an MNIST-style directory: train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each plain or `.gz` (the `.idx3-ubyte`
 * spelling with a dot is accepted too).
 * @param options - `name`: 'fashion-mnist' (default), 'mnist' or 'embedded' (picks the class names)
 * @throws ValueError when the directory or a file is missing (saying how to get the data);
 *   FormatError naming the file when one is malformed
 */
export async function readIdxDir(dir: string, options: { name?: DatasetName } = {}): Promise<ImageDataset> {
  const fn = 'readIdxDir';
  const name = options.name ?? 'fashion-mnist';
  await checkDir(fn, dir, name);
  const entries = await readdir(dir);
  const paths = {} as IdxFiles<string>;
  for (const role of Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles<string>)[]) {
    const found = findIdxFile(entries, IDX_FILE_NAMES[role]);
    if (!found) {
      throw new ValueError(
        fn,
        'dir',
        `'${dir}' has no ${IDX_FILE_NAMES[role]}[.gz]; ${datasetHint(name === 'embedded' ? 'embedded' : name)}`,
      );
    }
    paths[role] = join(dir, found);
  }
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [paths.trainImages, paths.trainLabels, paths.testImages, paths.testLabels].map(readBytes),
  );
  return idxDataset({ trainImages, trainLabels, testImages, testLabels }, { name, fileNames: paths });
}

/**
 * Reads CIFAR-10's binary version: data_batch_1..5.bin, test_batch.bin and (if present)
 * batches.meta.txt. `dir` may also be the folder that holds cifar-10-batches-bin.
 * @throws ValueError when the directory or a batch is missing (saying where to get them);
 *   FormatError naming the file when one is malformed
 */
export async function readCifar10Dir(dir: string): Promise<ImageDataset> {
  const fn = 'readCifar10Dir';
  await checkDir(fn, dir, 'cifar10');
  let entries = await readdir(dir);
  if (!entries.includes(CIFAR10_TEST_FILE) && entries.includes('cifar-10-batches-bin')) {
    dir = join(dir, 'cifar-10-batches-bin');
    entries = await readdir(dir);
  }
  for (const file of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) {
    if (!entries.includes(file)) {
      throw new ValueError(fn, 'dir', `'${dir}' has no ${file}; ${datasetHint('cifar10')}`);
    }
  }
  const trainNames = CIFAR10_TRAIN_FILES.map((f) => join(dir, f));
  const testName = join(dir, CIFAR10_TEST_FILE);
  const train = await Promise.all(trainNames.map(readBytes));
  const test = await readBytes(testName);
  const meta = entries.includes(CIFAR10_META_FILE)
    ? await readFile(join(dir, CIFAR10_META_FILE), 'utf8')
    : undefined;
  return cifar10Dataset({ train, test, trainNames, testName, meta });
}

/**
 * The raw dataset `source` names (`config.data` of an experiment has this shape):
 * toy sets need nothing from disk; 'embedded' reads `dataDir ?? embeddedDatasetDir`;
 * 'fashion-mnist', 'mnist' and 'cifar10' read `dataDir ?? SYSTEM_DATASET_DIRS[dataset]`.
 * @throws ValueError for an unknown dataset or missing files (with how to get them); FormatError for malformed files
 */
export async function loadDataset(source: DatasetSource): Promise<RawDataset> {
  const fn = 'loadDataset';
  if (source === null || typeof source !== 'object') {
    throw new ValueError(fn, 'source', `must be an object { dataset, dataDir? }, got ${describe(source)}`);
  }
  const { dataset, dataDir } = source;
  if (!(DATASET_NAMES as readonly string[]).includes(dataset)) {
    throw new ValueError(
      fn,
      'source.dataset',
      `must be one of ${DATASET_NAMES.map((d) => `'${d}'`).join(', ')}, got ${describe(dataset)}`,
    );
  }
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
    throw new ValueError(fn, 'source.dataDir', `must be a non-empty string, got ${describe(dataDir)}`);
  }
  if (isToyName(dataset)) return toyDataset(dataset);
  if (dataset === 'embedded') return readIdxDir(dataDir ?? embeddedDatasetDir, { name: 'embedded' });
  if (dataset === 'cifar10') return readCifar10Dir(dataDir ?? SYSTEM_DATASET_DIRS.cifar10);
  return readIdxDir(dataDir ?? SYSTEM_DATASET_DIRS[dataset], { name: dataset });
}

/** One place a dataset may be, as `findDatasets` reports it. */
export interface DatasetLocation {
  dataset: DatasetName;
  dir: string;
  /** True when every file the reader needs is there (the files are not parsed). */
  found: boolean;
  /** The dataset's files present in `dir`. */
  files: string[];
  /** The files the reader needs that are missing. */
  missing: string[];
  /** How to get the data when it is not found. */
  hint?: string;
}

/**
 * Where the image sets are: the embedded subset, the system directories of Fashion-MNIST, MNIST and
 * CIFAR-10, and each directory in `dirs` (checked as MNIST-style and as CIFAR-10; reported as
 * whichever matches best). For `backprop data`.
 */
export async function findDatasets(dirs: readonly string[] = []): Promise<DatasetLocation[]> {
  const out: DatasetLocation[] = [
    await locate('embedded', embeddedDatasetDir),
    await locate('fashion-mnist', SYSTEM_DATASET_DIRS['fashion-mnist']),
    await locate('mnist', SYSTEM_DATASET_DIRS.mnist),
    await locate('cifar10', SYSTEM_DATASET_DIRS.cifar10),
  ];
  for (const dir of dirs) {
    const asIdx = await locate('fashion-mnist', dir);
    const asCifar = await locate('cifar10', dir);
    out.push(asCifar.files.length > asIdx.files.length ? asCifar : asIdx);
  }
  return out;
}

async function locate(dataset: DatasetName, dir: string): Promise<DatasetLocation> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch {
    // a missing directory is reported as 'not found', not thrown
  }
  let files: string[];
  let missing: string[];
  if (dataset === 'cifar10') {
    if (!entries.includes(CIFAR10_TEST_FILE) && entries.includes('cifar-10-batches-bin')) {
      dir = join(dir, 'cifar-10-batches-bin');
      entries = await readdir(dir).catch(() => []);
    }
    const needed = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
    files = [...needed, CIFAR10_META_FILE].filter((f) => entries.includes(f));
    missing = needed.filter((f) => !entries.includes(f));
  } else {
    const roles = Object.values(IDX_FILE_NAMES);
    files = roles.map((base) => findIdxFile(entries, base)).filter((f): f is string => f !== undefined);
    missing = roles.filter((base) => findIdxFile(entries, base) === undefined).map((b) => `${b}[.gz]`);
  }
  const found = missing.length === 0;
  return { dataset, dir, found, files, missing, ...(found ? {} : { hint: datasetHint(dataset) }) };
}

/** The entry for an IDX file: `base`, `base.gz`, or the `.idx3-ubyte` spelling, plain or gzipped. */
function findIdxFile(entries: readonly string[], base: string): string | undefined {
  const dotted = base.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte');
  return [base, `${base}.gz`, dotted, `${dotted}.gz`].find((c) => entries.includes(c));
}

async function checkDir(fn: string, dir: unknown, dataset: DatasetName): Promise<void> {
  if (typeof dir !== 'string' || dir === '') {
    throw new ValueError(fn, 'dir', `must be a directory path, got ${describe(dir)}`);
  }
  try {
    await access(dir);
  } catch {
    throw new ValueError(fn, 'dir', `'${dir}' does not exist; ${datasetHint(dataset)}`);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new FormatError('readFile', path, `could not be read (${(e as Error).message})`);
  }
}
