// What a loader hands to training code: the raw bytes of an image set (train and test), or the
// name of a toy set that is generated later from the experiment's seed. No floats yet: scaling,
// the mean image and the train/val split happen in preprocessing, once, from these bytes.
import { checkNumber, FormatError } from '@backprop/tensor';

/** Every dataset name a loader or an experiment config may use. */
export const DATASET_NAMES = [
  'embedded',
  'fashion-mnist',
  'mnist',
  'cifar10',
  'spiral',
  'circles',
  'xor',
  'gaussian',
] as const;
/** A dataset name: an image set (`embedded`, `fashion-mnist`, `mnist`, `cifar10`) or a toy 2-D set. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The generated 2-D sets. */
export const TOY_NAMES = ['spiral', 'circles', 'xor', 'gaussian'] as const;
/** A generated 2-D set. */
export type ToyName = (typeof TOY_NAMES)[number];

/** True for the generated 2-D sets. */
export function isToyName(name: string): name is ToyName {
  return (TOY_NAMES as readonly string[]).includes(name);
}

/** Where a dataset comes from: the `data` part of an experiment config is one of these. */
export interface DatasetSource {
  dataset: DatasetName;
  /** Directory holding the files (image sets); default: the embedded subset or the system install. */
  dataDir?: string;
}

/** One split of an image set: `count` images of `imageShape`, pixels as bytes 0..255, NCHW order. */
export interface ImageSplit {
  /** `count * C * H * W` bytes, image after image, each channel-major (C, then H, then W). */
  images: Uint8Array;
  /** `count` class labels in [0, classNames.length). */
  labels: Uint8Array;
  count: number;
}

/** An image dataset as bytes: the train and test splits, the image shape and the class names. */
export interface ImageDataset {
  kind: 'images';
  name: DatasetName;
  /** `[C, H, W]`: `[1, 28, 28]` for (Fashion-)MNIST, `[3, 32, 32]` for CIFAR-10. */
  imageShape: [number, number, number];
  classNames: string[];
  train: ImageSplit;
  test: ImageSplit;
}

/** A toy set: nothing is loaded; the points are generated from the experiment's size, noise and seed. */
export interface ToyDataset {
  kind: 'toy';
  name: ToyName;
}

/** What `loadDataset` returns and `prepareData` (@backprop/experiment) consumes. */
export type RawDataset = ImageDataset | ToyDataset;

/** The raw dataset of a toy set (there is nothing to load). */
export function toyDataset(name: ToyName): ToyDataset {
  return { kind: 'toy', name };
}

/** Fashion-MNIST's ten classes, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** MNIST's ten classes: the digits. */
export const MNIST_CLASSES: readonly string[] = Object.freeze([
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
]);

/** CIFAR-10's ten classes, in label order (as in batches.meta.txt). */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]);

/**
 * Checks that an image split is consistent (`count` images of `imageShape`, labels in range) and
 * returns it. Used by every loader so a dataset never reaches training half-formed.
 * @param fn - the public function on whose behalf it checks (named in errors)
 * @throws FormatError naming `name` when sizes disagree or a label is out of range
 */
export function checkImageSplit(
  fn: string,
  name: string,
  split: ImageSplit,
  imageShape: readonly number[],
  numClasses: number,
): ImageSplit {
  checkNumber(fn, `${name}.count`, split.count, { integer: true, min: 0 });
  const per = imageShape[0] * imageShape[1] * imageShape[2];
  if (split.images.length !== split.count * per) {
    throw new FormatError(
      fn,
      name,
      `has ${split.images.length} image bytes, expected ${split.count} images x ${per} bytes = ${split.count * per}`,
    );
  }
  if (split.labels.length !== split.count) {
    throw new FormatError(
      fn,
      name,
      `has ${split.labels.length} labels, expected ${split.count} to match the images`,
    );
  }
  for (let i = 0; i < split.count; i++) {
    if (split.labels[i] >= numClasses) {
      throw new FormatError(
        fn,
        name,
        `label ${i} is ${split.labels[i]}, expected a class in [0, ${numClasses})`,
      );
    }
  }
  return split;
}
