// MNIST-style image sets (MNIST, Fashion-MNIST, the embedded subset): four IDX files, images
// uint8 [N, 28, 28] and labels uint8 [N] for the train and test splits.
import { FormatError } from '@backprop/tensor';
import {
  checkImageSplit,
  type DatasetName,
  FASHION_MNIST_CLASSES,
  type ImageDataset,
  type ImageSplit,
  MNIST_CLASSES,
} from './dataset';
import { parseIdx } from './idx';

/** The four files of an MNIST-style set, by role. */
export interface IdxFiles<T> {
  trainImages: T;
  trainLabels: T;
  testImages: T;
  testLabels: T;
}

/** The standard file names (each may also come with a `.gz` suffix). */
export const IDX_FILE_NAMES: Readonly<IdxFiles<string>> = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

/**
 * An image dataset from the contents of the four IDX files of MNIST or Fashion-MNIST (plain or gzipped).
 * @param files - file contents by role
 * @param options - `name` of the set (default 'fashion-mnist'; it picks the class names), `fileNames`
 *   for error messages (default the standard names)
 * @throws FormatError naming the file when one is malformed, is not uint8 images [N, H, W] / labels [N],
 *   or when image and label counts disagree
 */
export function idxDataset(
  files: IdxFiles<Uint8Array>,
  options: { name?: DatasetName; fileNames?: Partial<IdxFiles<string>> } = {},
): ImageDataset {
  const name = options.name ?? 'fashion-mnist';
  const names = { ...IDX_FILE_NAMES, ...options.fileNames };
  const classNames = [...(name === 'mnist' ? MNIST_CLASSES : FASHION_MNIST_CLASSES)];
  const train = split(files.trainImages, files.trainLabels, names.trainImages, names.trainLabels);
  const test = split(files.testImages, files.testLabels, names.testImages, names.testLabels);
  if (train.H !== test.H || train.W !== test.W) {
    throw new FormatError(
      'idxDataset',
      names.testImages,
      `holds ${test.H}x${test.W} images, expected ${train.H}x${train.W} as in ${names.trainImages}`,
    );
  }
  const imageShape: [number, number, number] = [1, train.H, train.W];
  return {
    kind: 'images',
    name,
    imageShape,
    classNames,
    train: checkImageSplit('idxDataset', names.trainLabels, train.split, imageShape, classNames.length),
    test: checkImageSplit('idxDataset', names.testLabels, test.split, imageShape, classNames.length),
  };
}

function split(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  imageName: string,
  labelName: string,
): { split: ImageSplit; H: number; W: number } {
  const fn = 'idxDataset';
  const images = parseIdx(imageBytes, imageName);
  if (!(images.data instanceof Uint8Array) || images.shape.length !== 3) {
    throw new FormatError(
      fn,
      imageName,
      `holds ${images.data.constructor.name} [${images.shape.join(',')}], expected uint8 images [N, H, W]`,
    );
  }
  const labels = parseIdx(labelBytes, labelName);
  if (!(labels.data instanceof Uint8Array) || labels.shape.length !== 1) {
    throw new FormatError(
      fn,
      labelName,
      `holds ${labels.data.constructor.name} [${labels.shape.join(',')}], expected uint8 labels [N]`,
    );
  }
  const [N, H, W] = images.shape;
  if (labels.shape[0] !== N) {
    throw new FormatError(
      fn,
      labelName,
      `holds ${labels.shape[0]} labels, expected ${N} to match ${imageName}`,
    );
  }
  return { split: { images: images.data, labels: labels.data, count: N }, H, W };
}
