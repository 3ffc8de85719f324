// The embedded default dataset: a class-balanced subset of Fashion-MNIST shipped in this package
// (assets/fashion-mnist-subset/, made by scripts/make-embedded.mjs; MIT licence beside it).
// Node code reads it through '@backprop/data/node' (`embeddedDatasetDir`); a browser app fetches the
// files as URLs, e.g. with Vite:
//   import url from '@backprop/data/assets/fashion-mnist-subset/train-images-idx3-ubyte.gz?url';
import type { ImageDataset } from './dataset';
import { type IdxFiles, idxDataset } from './mnist';

/** The embedded subset's directory inside the package (`@backprop/data/<this>/<file>`). */
export const EMBEDDED_DIR = 'assets/fashion-mnist-subset';

/** The embedded subset's files (gzipped IDX) by role. */
export const EMBEDDED_FILES: Readonly<IdxFiles<string>> = Object.freeze({
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
});

/** Images in the embedded subset: 1,000 per class in train, 200 per class in test. */
export const EMBEDDED_COUNTS = Object.freeze({ train: 10_000, test: 2_000 });

/**
 * The embedded subset as an ImageDataset, with the bytes of each file from `read` — `fetch` in a
 * browser, `readFile` in Node:
 * `embeddedDataset((file) => fetch(base + file).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)))`.
 * @param read - returns the contents of one of `EMBEDDED_FILES`
 * @throws FormatError naming the file when one is malformed
 */
export async function embeddedDataset(
  read: (fileName: string) => Promise<Uint8Array>,
): Promise<ImageDataset> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [
      EMBEDDED_FILES.trainImages,
      EMBEDDED_FILES.trainLabels,
      EMBEDDED_FILES.testImages,
      EMBEDDED_FILES.testLabels,
    ].map((file) => read(file)),
  );
  return idxDataset(
    { trainImages, trainLabels, testImages, testLabels },
    { name: 'embedded', fileNames: EMBEDDED_FILES },
  );
}
