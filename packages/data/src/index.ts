export {
  CIFAR10_RECORD_BYTES,
  type Cifar10Batch,
  cifar10Dataset,
  parseCifar10Batch,
  parseCifar10Meta,
} from './cifar10';
export {
  CIFAR10_CLASSES,
  checkImageSplit,
  DATASET_NAMES,
  type DatasetName,
  type DatasetSource,
  FASHION_MNIST_CLASSES,
  type ImageDataset,
  type ImageSplit,
  isToyName,
  MNIST_CLASSES,
  type RawDataset,
  TOY_NAMES,
  type ToyDataset,
  type ToyName,
  toyDataset,
} from './dataset';
export { EMBEDDED_COUNTS, EMBEDDED_DIR, EMBEDDED_FILES, embeddedDataset } from './embedded';
export { type IdxData, type IdxFile, isGzip, maybeGunzip, parseIdx, writeIdx } from './idx';
export { IDX_FILE_NAMES, type IdxFiles, idxDataset } from './mnist';
export {
  flatten,
  meanImage,
  subtractMean,
  type ToFloatOptions,
  type TrainValSplit,
  toFloatNCHW,
  trainValSplit,
} from './preprocess';
export { circles, gaussian, generateToy, spiral, type ToyOptions, type ToySet, xor } from './toy';
