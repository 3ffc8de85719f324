// The browser's dataset loader: the embedded Fashion-MNIST subset is fetched from the URLs Vite gives
// the gzipped IDX assets of @backprop/data; toy sets need nothing (prepareData generates them).
import { EMBEDDED_FILES, embeddedDataset, isToyName, type RawDataset, toyDataset } from '@backprop/data';
import testImages from '@backprop/data/assets/fashion-mnist-subset/t10k-images-idx3-ubyte.gz?url';
import testLabels from '@backprop/data/assets/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz?url';
import trainImages from '@backprop/data/assets/fashion-mnist-subset/train-images-idx3-ubyte.gz?url';
import trainLabels from '@backprop/data/assets/fashion-mnist-subset/train-labels-idx1-ubyte.gz?url';
import type { ExperimentConfig } from '@backprop/experiment';
import { ValueError } from '@backprop/tensor';

const URLS: Record<string, string> = {
  [EMBEDDED_FILES.trainImages]: trainImages,
  [EMBEDDED_FILES.trainLabels]: trainLabels,
  [EMBEDDED_FILES.testImages]: testImages,
  [EMBEDDED_FILES.testLabels]: testLabels,
};

async function fetchBytes(fileName: string): Promise<Uint8Array> {
  const url = URLS[fileName];
  const response = await fetch(url);
  if (!response.ok) {
    throw new ValueError('loadData', fileName, `could not be fetched from ${url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The raw dataset of `config.data`: the embedded subset or a toy set (the only ones a browser has). */
export async function loadRawInBrowser(config: ExperimentConfig): Promise<RawDataset> {
  const name = config.data.dataset;
  if (isToyName(name)) return toyDataset(name);
  if (name === 'embedded') return embeddedDataset(fetchBytes);
  throw new ValueError(
    'loadData',
    'data.dataset',
    `'${name}' is not available in the browser; use 'embedded' or a toy set (spiral, circles, xor, gaussian)`,
  );
}
