#!/usr/bin/env node
// Makes the embedded default dataset, assets/fashion-mnist-subset/, from the full Fashion-MNIST:
// a class-balanced, seeded random subset of 1,000 images per class from the 60,000 training images
// and 200 per class from the 10,000 test images (10,000 + 2,000), in shuffled order, written as
// gzipped IDX files with the standard names. The same input and seed give byte-identical files.
//
//   node packages/data/scripts/make-embedded.mjs [SOURCE_DIR] [--seed 231]
//
// SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (apt-get install -y dataset-fashion-mnist).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'fflate';

const args = process.argv.slice(2);
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args.splice(seedAt, 2)[1]) : 231;
const source = args[0] ?? '/usr/share/datasets/fashion-mnist';
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'fashion-mnist-subset');
const PER_CLASS = { train: 1000, t10k: 200 };

// mulberry32: a tiny, well-known 32-bit generator; enough to pick a reproducible subset.
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(array, random) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [array[i], array[j]] = [array[j], array[i]];
  }
  return array;
}

function readIdx(path) {
  let bytes = new Uint8Array(readFileSync(path));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0 || bytes[2] !== 0x08) throw new Error(`${path}: not a uint8 IDX file`);
  const rank = bytes[3];
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const header = 4 + 4 * rank;
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== header + size)
    throw new Error(`${path}: ${bytes.length} bytes, expected ${header + size}`);
  return { shape, data: bytes.subarray(header) };
}

function writeIdx(path, shape, data) {
  const header = 4 + 4 * shape.length;
  const bytes = new Uint8Array(header + data.length);
  const view = new DataView(bytes.buffer);
  bytes[2] = 0x08;
  bytes[3] = shape.length;
  for (let i = 0; i < shape.length; i++) view.setUint32(4 + 4 * i, shape[i]);
  bytes.set(data, header);
  // mtime 0 and no file name: the output depends only on the data.
  writeFileSync(path, gzipSync(bytes, { level: 9, mtime: 0 }));
}

function find(base) {
  for (const name of [`${base}.gz`, base]) {
    try {
      if (statSync(join(source, name)).isFile()) return join(source, name);
    } catch {}
  }
  throw new Error(
    `${source} has no ${base}[.gz]; install it with 'apt-get install -y dataset-fashion-mnist'`,
  );
}

mkdirSync(out, { recursive: true });
const random = mulberry32(seed);
for (const split of ['train', 't10k']) {
  const images = readIdx(find(`${split}-images-idx3-ubyte`));
  const labels = readIdx(find(`${split}-labels-idx1-ubyte`));
  const [N, H, W] = images.shape;
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < N; i++) byClass[labels.data[i]].push(i);
  const picked = [];
  for (const indices of byClass) {
    if (indices.length < PER_CLASS[split])
      throw new Error(`${split}: a class has only ${indices.length} images`);
    picked.push(...shuffle(indices, random).slice(0, PER_CLASS[split]));
  }
  shuffle(picked, random); // interleave the classes, so any prefix or suffix is balanced on average
  const M = picked.length;
  const outImages = new Uint8Array(M * H * W);
  const outLabels = new Uint8Array(M);
  picked.forEach((src, i) => {
    outImages.set(images.data.subarray(src * H * W, (src + 1) * H * W), i * H * W);
    outLabels[i] = labels.data[src];
  });
  writeIdx(join(out, `${split}-images-idx3-ubyte.gz`), [M, H, W], outImages);
  writeIdx(join(out, `${split}-labels-idx1-ubyte.gz`), [M], outLabels);
  console.log(`${split}: ${M} images (${PER_CLASS[split]} per class) from ${N}`);
}
console.log(`wrote ${out} (seed ${seed})`);
