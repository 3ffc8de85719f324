// Issue 9: the IDX and CIFAR-10 readers given thousands of seeded mutations of valid files (bit flips,
// truncations, lying header dims, wrong magic and type bytes, appended garbage, gzip streams with
// lying trailers). Every outcome must be either the parse an independent reference reader derives
// from the same bytes, or a FormatError naming the reader and the file: never another error class,
// never a hang, never a buffer the file could not fill.
//
// The references are deliberately separate from the code under test: the IDX and CIFAR layouts are
// re-read here byte by byte with a DataView, and gzip streams are inflated by Node's zlib (which checks
// the header flags, the CRC-32 and the length trailer), not by fflate.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32, gunzipSync as zlibGunzip, gzipSync as zlibGzip } from 'node:zlib';
import { BackpropError, FormatError, Rng } from '@backprop/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  IDX_FILE_NAMES,
  type IdxData,
  maybeGunzip,
  parseCifar10Batch,
  parseIdx,
  writeIdx,
} from '../src/index';
import { readCifar10Dir, readIdxDir } from '../src/node';

const ELEMENT_BYTES: Record<number, number> = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };

/** The reference IDX reader: the parse the format allows for `raw`, or null if it allows none. */
function referenceIdx(raw: Uint8Array): { shape: number[]; type: number; values: number[] } | null {
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) return null;
  const type = raw[2];
  const size = ELEMENT_BYTES[type];
  const rank = raw[3];
  if (size === undefined || rank === 0 || raw.length < 4 + 4 * rank) return null;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  // BigInt so that no product of dims can round: the file must hold exactly header + count * size.
  let count = 1n;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i);
    shape.push(d);
    count *= BigInt(d);
  }
  const header = 4 + 4 * rank;
  if (BigInt(raw.length) !== BigInt(header) + count * BigInt(size)) return null;
  const values: number[] = [];
  for (let i = 0; i < Number(count); i++) {
    const o = header + i * size;
    if (type === 8) values.push(view.getUint8(o));
    else if (type === 9) values.push(view.getInt8(o));
    else if (type === 11) values.push(view.getInt16(o));
    else if (type === 12) values.push(view.getInt32(o));
    else if (type === 13) values.push(view.getFloat32(o));
    else values.push(view.getFloat64(o));
  }
  return { shape, type, values };
}

const ARRAY_OF_TYPE: Record<number, new (n: number) => IdxData> = {
  8: Uint8Array,
  9: Int8Array,
  11: Int16Array,
  12: Int32Array,
  13: Float32Array,
  14: Float64Array,
};

/** The reference CIFAR-10 reader: labels and NCHW images, or null. */
function referenceCifar(raw: Uint8Array): { labels: number[]; images: Uint8Array } | null {
  const R = 3073;
  if (raw.length === 0 || raw.length % R !== 0) return null;
  const n = raw.length / R;
  const labels: number[] = [];
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    if (raw[i * R] > 9) return null;
    labels.push(raw[i * R]);
    for (let j = 0; j < 3072; j++) images[i * 3072 + j] = raw[i * R + 1 + j];
  }
  return { labels, images };
}

/**
 * What a strict gunzip makes of `bytes`: the inflated bytes when they are one valid gzip member that
 * ends exactly at the end of the input (its last 8 bytes are the CRC-32 and length of what zlib
 * inflated), otherwise null. Bytes without the gzip magic are returned as they are.
 */
function referenceGunzip(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  let out: Uint8Array;
  try {
    out = new Uint8Array(zlibGunzip(bytes));
  } catch {
    return null;
  }
  if (bytes.length < 18) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const crc = view.getUint32(n - 8, true);
  const isize = view.getUint32(n - 4, true);
  if (crc !== zlibCrc32(out) || isize !== out.length % 2 ** 32) return null;
  return out;
}

/** Byte-for-byte equality (vitest's deep equality walks typed arrays slowly). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

// ---- allocation budget ---------------------------------------------------------------------------

const TYPED_ARRAYS = [
  'Uint8Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
] as const;

/**
 * Runs `f` with every typed-array constructor the readers reach through the global scope wrapped to
 * record the largest buffer asked for, and fails if it exceeds what `bytes` could hold: the file's
 * own length, or for a gzip stream the most deflate can expand it to (1032x + the trailer check's
 * slack) plus the one guard byte. fflate's own buffers are made through its module-level alias of
 * Uint8Array and are not seen, but the one that matters, the output buffer, is made by maybeGunzip.
 */
function withinBudget<T>(bytes: Uint8Array, f: () => T): T {
  const budget = isGzipBytes(bytes) ? 1032 * bytes.length + 1025 : bytes.length;
  let largest = 0;
  const g = globalThis as unknown as Record<string, unknown>;
  const originals = TYPED_ARRAYS.map((name) => g[name] as new (...args: unknown[]) => ArrayBufferView);
  TYPED_ARRAYS.forEach((name, i) => {
    const Original = originals[i] as unknown as { BYTES_PER_ELEMENT: number } & (new (
      ...args: unknown[]
    ) => ArrayBufferView);
    g[name] = new Proxy(Original, {
      construct(target, args) {
        if (typeof args[0] === 'number') largest = Math.max(largest, args[0] * Original.BYTES_PER_ELEMENT);
        return Reflect.construct(target, args);
      },
    });
  });
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: f() };
  } catch (error) {
    outcome = { error };
  }
  TYPED_ARRAYS.forEach((name, i) => {
    g[name] = originals[i];
  });
  if (largest > budget) throw new Error(`allocated ${largest} bytes from a ${bytes.length}-byte file`);
  allocation.largestRatio = Math.max(allocation.largestRatio, largest / Math.max(bytes.length, 1));
  allocation.checked++;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
const allocation = { checked: 0, largestRatio: 0 };

function isGzipBytes(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Calls `f`; a thrown error must be a FormatError whose message starts with `prefix`. */
function outcome<T>(f: () => T, prefix: string): { value: T } | { error: FormatError } {
  try {
    return { value: f() };
  } catch (e) {
    if (!(e instanceof FormatError)) {
      throw new Error(
        `expected a FormatError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`,
      );
    }
    if (!e.message.startsWith(prefix)) throw new Error(`message '${e.message}' does not start '${prefix}'`);
    return { error: e };
  }
}

// ---- mutations ------------------------------------------------------------------------------------

type Mutation = (b: Uint8Array, rng: Rng) => Uint8Array;

const flipBits: Mutation = (b, rng) => {
  const out = b.slice();
  const flips = 1 + rng.integer(0, 4);
  for (let i = 0; i < flips && out.length > 0; i++) out[rng.integer(0, out.length)] ^= 1 << rng.integer(0, 8);
  return out;
};
/** Flips bits only in the first `head` bytes, where the magic, type, rank and dims (or gzip header) live. */
const flipHeaderBits =
  (head: number): Mutation =>
  (b, rng) => {
    const out = b.slice();
    if (out.length > 0) out[rng.integer(0, Math.min(head, out.length))] ^= 1 << rng.integer(0, 8);
    return out;
  };
const truncate: Mutation = (b, rng) => (b.length === 0 ? b : b.slice(0, rng.integer(0, b.length)));
const appendGarbage: Mutation = (b, rng) => {
  const extra = Uint8Array.from({ length: 1 + rng.integer(0, 40) }, () => rng.integer(0, 256));
  const out = new Uint8Array(b.length + extra.length);
  out.set(b);
  out.set(extra, b.length);
  return out;
};
const setByte =
  (at: number): Mutation =>
  (b, rng) => {
    const out = b.slice();
    if (at < out.length) out[at] = rng.integer(0, 256);
    return out;
  };
/** Values a lying uint32 dim takes: huge (10^12 does not fit in 32 bits; these are the largest that do), zero, "negative" (top bit set). */
const LYING_DIMS = [0xffffffff, 0xfffffffe, 0x80000000, 0x7fffffff, 1e9, 2 ** 24, 65536, 0, 1];
const lieAboutDim: Mutation = (b, rng) => {
  const out = b.slice();
  const rank = out[3] ?? 0;
  if (rank === 0 || out.length < 8) return out;
  const i = rng.integer(0, rank);
  if (4 + 4 * i + 4 > out.length) return out;
  new DataView(out.buffer).setUint32(4 + 4 * i, LYING_DIMS[rng.integer(0, LYING_DIMS.length)]);
  return out;
};
const lieAboutRank: Mutation = (b, rng) => {
  const out = b.slice();
  if (out.length > 3) out[3] = [0, 1, 2, 3, 4, 5, 64, 255][rng.integer(0, 8)];
  return out;
};
const wrongType: Mutation = (b, rng) => {
  const out = b.slice();
  if (out.length > 2) out[2] = [0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255][rng.integer(0, 11)];
  return out;
};

/** Rewrites a gzip stream's trailer: a lying length (small, large, huge) and/or CRC. */
const lieInTrailer: Mutation = (b, rng) => {
  const out = b.slice();
  const view = new DataView(out.buffer);
  const n = out.length;
  if (n < 8) return out;
  const which = rng.integer(0, 4);
  if (which === 0 || which === 3) {
    const claims = [0, 1, view.getUint32(n - 4, true) - 1, view.getUint32(n - 4, true) + 1, 1e6, 0xffffffff];
    view.setUint32(n - 4, claims[rng.integer(0, claims.length)] >>> 0, true);
  }
  if (which === 1 || which === 3) view.setUint32(n - 8, rng.integer(0, 2 ** 32), true);
  if (which === 2) view.setUint32(n - 8, view.getUint32(n - 8, true) ^ (1 << rng.integer(0, 32)), true);
  return out;
};
/** Sets a gzip header flag bit (FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT or a reserved one). */
const gzipFlag: Mutation = (b, rng) => {
  const out = b.slice();
  out[3] ^= 1 << rng.integer(0, 8);
  return out;
};

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.integer(0, items.length)];
}

// ---- base files -----------------------------------------------------------------------------------

function idxBases(rng: Rng): Uint8Array[] {
  const make = (type: number, shape: number[]): Uint8Array => {
    const count = shape.reduce((a, d) => a * d, 1);
    const data = new ARRAY_OF_TYPE[type](count);
    for (let i = 0; i < count; i++) {
      data[i] = type === 13 || type === 14 ? rng.uniform(-100, 100) : rng.integer(-200, 200);
    }
    return writeIdx(shape, data);
  };
  return [
    make(8, [6, 4, 4]),
    make(8, [30]),
    make(9, [3, 5]),
    make(11, [2, 3, 2]),
    make(12, [7]),
    make(13, [2, 2, 3]),
    make(14, [5]),
    make(8, [2, 1, 1, 1, 3]),
  ];
}

function cifarBase(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n * 3073);
  for (let i = 0; i < out.length; i++) out[i] = rng.integer(0, 256);
  for (let i = 0; i < n; i++) out[i * 3073] = rng.integer(0, 10);
  return out;
}

// ---- the fuzz -------------------------------------------------------------------------------------

const PLAIN_IDX_MUTATIONS: Mutation[] = [
  flipBits,
  flipHeaderBits(16),
  truncate,
  appendGarbage,
  lieAboutDim,
  lieAboutDim,
  lieAboutRank,
  wrongType,
  setByte(0),
  setByte(1),
];
const GZIP_MUTATIONS: Mutation[] = [
  flipBits,
  flipHeaderBits(12),
  truncate,
  appendGarbage,
  lieInTrailer,
  gzipFlag,
];

/** Applies 1 to 3 mutations drawn from `list`. */
function mutate(b: Uint8Array, rng: Rng, list: Mutation[]): Uint8Array {
  let out = b;
  const k = 1 + rng.integer(0, 3);
  for (let i = 0; i < k; i++) out = pick(rng, list)(out, rng);
  return out;
}

/** Tallies of what the fuzz saw, printed at the end so the report can quote them. */
const tally: Record<string, { cases: number; parsed: number; rejected: number }> = {};
function count(key: string, parsed: boolean): void {
  tally[key] ??= { cases: 0, parsed: 0, rejected: 0 };
  tally[key].cases++;
  if (parsed) tally[key].parsed++;
  else tally[key].rejected++;
}

/**
 * Where zlib rejects a stream on a redundancy check that fflate skips (a stored block's NLEN, say)
 * but the CRC-32 and length in the trailer still match, the reader may accept it: then what it
 * inflated must be exactly the original file, as the CRC says.
 */
function gunzipAccepted(bytes: Uint8Array, original: Uint8Array | undefined): boolean {
  if (original === undefined || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return false;
  let raw: Uint8Array;
  try {
    raw = maybeGunzip(bytes, 'fuzz');
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return false;
  }
  expect(sameBytes(raw, original)).toBe(true);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(view.getUint32(bytes.length - 8, true)).toBe(zlibCrc32(raw));
  expect(view.getUint32(bytes.length - 4, true)).toBe(raw.length);
  return true;
}

function checkIdxCase(bytes: Uint8Array, key: string, original?: Uint8Array): void {
  let raw = referenceGunzip(bytes);
  if (raw === null && gunzipAccepted(bytes, original)) {
    raw = original as Uint8Array;
    count('gzip accepted by CRC though zlib rejects', true);
  }
  const expected = raw === null ? null : referenceIdx(raw);
  const got = outcome(() => withinBudget(bytes, () => parseIdx(bytes, 'fuzz.idx')), 'parseIdx: fuzz.idx ');
  if (expected === null) {
    if ('value' in got)
      throw new Error(
        `parsed an invalid file: shape [${got.value.shape}] from ${Buffer.from(bytes).toString('hex')}`,
      );
  } else {
    if ('error' in got) throw new Error(`rejected a valid file: ${got.error.message}`);
    expect(got.value.shape).toEqual(expected.shape);
    expect(got.value.data).toBeInstanceOf(ARRAY_OF_TYPE[expected.type]);
    expect(Array.from(got.value.data)).toEqual(expected.values);
  }
  count(key, expected !== null);
}

function checkCifarCase(bytes: Uint8Array, key: string, original?: Uint8Array): void {
  let raw = referenceGunzip(bytes);
  if (raw === null && gunzipAccepted(bytes, original)) {
    raw = original as Uint8Array;
    count('gzip accepted by CRC though zlib rejects', true);
  }
  const expected = raw === null ? null : referenceCifar(raw);
  const got = outcome(
    () => withinBudget(bytes, () => parseCifar10Batch(bytes, 'fuzz.bin')),
    'parseCifar10Batch: fuzz.bin ',
  );
  if (expected === null) {
    if ('value' in got) throw new Error(`parsed an invalid batch of ${got.value.labels.length}`);
  } else {
    if ('error' in got) throw new Error(`rejected a valid batch: ${got.error.message}`);
    expect(Array.from(got.value.labels)).toEqual(expected.labels);
    expect(got.value.images).toBeInstanceOf(Uint8Array);
    expect(sameBytes(got.value.images, expected.images)).toBe(true);
  }
  count(key, expected !== null);
}

// The counts the issue asks to report (quoted in the report to the lead).
afterAll(() => {
  console.info(`fuzz tallies: ${JSON.stringify(tally)}; allocation checks: ${JSON.stringify(allocation)}`);
});

describe('parseIdx fuzz', () => {
  it('3,000 mutated plain IDX files: the reference parse or a FormatError naming the file', () => {
    const rng = new Rng(9001);
    const bases = idxBases(rng);
    for (const b of bases) checkIdxCase(b, 'idx plain (unmutated)');
    for (let i = 0; i < 3000; i++) {
      checkIdxCase(mutate(pick(rng, bases), rng, PLAIN_IDX_MUTATIONS), 'idx plain');
    }
    expect(tally['idx plain'].rejected).toBeGreaterThan(2000);
  });

  it('2,000 mutated gzipped IDX files (mutated before or after compression)', () => {
    const rng = new Rng(9002);
    const bases = idxBases(rng);
    for (let i = 0; i < 2000; i++) {
      const base = pick(rng, bases);
      // Half mutate the IDX bytes then compress (the gzip is valid, its content lies); half corrupt
      // the gzip stream itself.
      if (i % 2 === 0) {
        checkIdxCase(
          new Uint8Array(zlibGzip(mutate(base, rng, PLAIN_IDX_MUTATIONS))),
          'idx gzip (content mutated)',
        );
      } else {
        checkIdxCase(
          mutate(new Uint8Array(zlibGzip(base)), rng, GZIP_MUTATIONS),
          'idx gzip (stream mutated)',
          base,
        );
      }
    }
    expect(tally['idx gzip (stream mutated)'].rejected).toBeGreaterThan(700);
    // The allocation spy saw the gunzip output buffers (larger than their compressed files).
    expect(allocation.largestRatio).toBeGreaterThan(1);
  });

  it('fails fast on dims that claim up to 2^32-1 elements each, before allocating', () => {
    // A 16-byte file whose header claims 4294967295^3 uint8 elements (~8e28 bytes): the size check
    // must fire (its message quotes the declared size), so nothing near that size is ever allocated.
    const view = new DataView(new ArrayBuffer(16));
    view.setUint32(0, 0x00000803);
    for (let i = 0; i < 3; i++) view.setUint32(4 + 4 * i, 0xffffffff);
    const bytes = new Uint8Array(view.buffer);
    const got = outcome(() => parseIdx(bytes, 'huge.idx'), 'parseIdx: huge.idx ');
    expect('error' in got && got.error.message).toMatch(
      /^parseIdx: huge\.idx is truncated: its header declares uint8 \[4294967295,4294967295,4294967295\]/,
    );
    // The same header gzipped: the inflated stream is the 16 bytes, so the check is the same.
    const gz = outcome(
      () => parseIdx(new Uint8Array(zlibGzip(bytes)), 'huge.idx.gz'),
      'parseIdx: huge.idx.gz ',
    );
    expect('error' in gz && gz.error.message).toMatch(/header declares uint8 \[4294967295,/);
  });

  it('rejects a gzip trailer that lies small, as zlib does, instead of returning a prefix', () => {
    // A valid IDX file with garbage after it, gzipped, then the trailer rewritten to claim only the
    // valid prefix: inflating the whole stream gives more bytes than the trailer says.
    const good = writeIdx([4], Uint8Array.from([1, 2, 3, 4]));
    const padded = new Uint8Array(good.length + 8).fill(0xee);
    padded.set(good);
    const gz = new Uint8Array(zlibGzip(padded));
    const view = new DataView(gz.buffer);
    view.setUint32(gz.length - 4, good.length, true);
    view.setUint32(gz.length - 8, zlibCrc32(good), true);
    expect(referenceGunzip(gz)).toBeNull();
    const got = outcome(() => parseIdx(gz, 'short.gz'), 'parseIdx: short.gz ');
    expect('error' in got && got.error.message).toBe(
      `parseIdx: short.gz is a corrupt gzip stream: it inflates to more than the ${good.length} bytes its trailer declares`,
    );
  });

  it('rejects a gzip stream whose CRC-32 does not match its content', () => {
    const gz = new Uint8Array(zlibGzip(writeIdx([3], Uint8Array.from([5, 6, 7]))));
    gz[gz.length - 8] ^= 1;
    expect(() => maybeGunzip(gz, 'crc.gz')).toThrow(FormatError);
    const got = outcome(() => maybeGunzip(gz, 'crc.gz'), 'gunzip: crc.gz ');
    expect('error' in got && got.error.message).toMatch(
      /^gunzip: crc\.gz is a corrupt gzip stream: its CRC-32 is [0-9a-f]{8}, the trailer declares [0-9a-f]{8}$/,
    );
  });
});

describe('maybeGunzip header checks (RFC 1952)', () => {
  /** A gzip stream of `content` with the FHCRC flag and a header CRC (right, or off by one bit). */
  function withHeaderCrc(content: Uint8Array, corrupt: boolean): Uint8Array {
    const gz = new Uint8Array(zlibGzip(content));
    const head = gz.slice(0, 10);
    head[3] |= 0x02;
    const crc16 = (zlibCrc32(head) & 0xffff) ^ (corrupt ? 1 : 0);
    const out = new Uint8Array(gz.length + 2);
    out.set(head);
    out[10] = crc16 & 0xff;
    out[11] = crc16 >>> 8;
    out.set(gz.subarray(10), 12);
    return out;
  }

  it('reads a stream with a right header CRC, as zlib does', () => {
    const idx = writeIdx([2], Uint8Array.from([9, 8]));
    const gz = withHeaderCrc(idx, false);
    expect(sameBytes(new Uint8Array(zlibGunzip(gz)), idx)).toBe(true);
    expect(Array.from(parseIdx(gz).data)).toEqual([9, 8]);
  });

  it('rejects a wrong header CRC and reserved flag bits, as zlib does', () => {
    const idx = writeIdx([2], Uint8Array.from([9, 8]));
    const bad = withHeaderCrc(idx, true);
    expect(() => zlibGunzip(bad)).toThrow();
    const got = outcome(() => maybeGunzip(bad, 'h.gz'), 'gunzip: h.gz ');
    expect('error' in got && got.error.message).toBe(
      'gunzip: h.gz is a corrupt gzip stream: its header CRC does not match the header',
    );
    const reserved = new Uint8Array(zlibGzip(idx));
    reserved[3] |= 0x20;
    expect(() => zlibGunzip(reserved)).toThrow();
    const got2 = outcome(() => parseIdx(reserved, 'r.gz'), 'parseIdx: r.gz ');
    expect('error' in got2 && got2.error.message).toBe(
      'parseIdx: r.gz is a corrupt gzip stream: method 8 and flags 20, expected method 8 (deflate) and no reserved flag bits',
    );
  });
});

describe('parseCifar10Batch fuzz', () => {
  it('1,500 mutated plain and gzipped CIFAR-10 batches: the reference parse or a FormatError', () => {
    const rng = new Rng(9003);
    const bases = [cifarBase(rng, 1), cifarBase(rng, 2), cifarBase(rng, 3)];
    const cifarMutations: Mutation[] = [
      flipBits,
      truncate,
      appendGarbage,
      // a label byte of the first or second record set to anything
      setByte(0),
      setByte(3073),
      // the record length off by a few bytes
      (b, r) => b.slice(0, b.length - 1 - r.integer(0, 5)),
    ];
    for (let i = 0; i < 1500; i++) {
      const base = pick(rng, bases);
      const kind = i % 3;
      if (kind === 0) checkCifarCase(mutate(base, rng, cifarMutations), 'cifar plain');
      else if (kind === 1) {
        checkCifarCase(
          new Uint8Array(zlibGzip(mutate(base, rng, cifarMutations))),
          'cifar gzip (content mutated)',
        );
      } else {
        checkCifarCase(
          mutate(new Uint8Array(zlibGzip(base)), rng, GZIP_MUTATIONS),
          'cifar gzip (stream mutated)',
          base,
        );
      }
    }
    expect(tally['cifar plain'].parsed).toBeGreaterThan(50);
    expect(tally['cifar plain'].rejected).toBeGreaterThan(200);
  });
});

describe('reading writes nothing', () => {
  /** Every path under `dir` with its size and mtime, to compare before and after. */
  function listing(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        const s = statSync(p);
        out.push(`${p} ${s.size} ${s.mtimeMs}`);
      }
    };
    walk(dir);
    return out.sort();
  }

  it('parseIdx, parseCifar10Batch, readIdxDir and readCifar10Dir on hostile files in a scratch cwd leave it as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-data-fuzz-'));
    const cwd = process.cwd();
    try {
      // A directory of the four IDX files, one of them a gzip stream whose trailer lies, and a CIFAR
      // directory whose batches are truncated or carry bad labels.
      const rng = new Rng(9004);
      const idxDir = join(dir, 'idx');
      const cifarDir = join(dir, 'cifar');
      mkdirSync(idxDir);
      mkdirSync(cifarDir);
      const images = writeIdx([2, 2, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
      const labels = writeIdx([2], Uint8Array.from([0, 1]));
      const lying = lieInTrailer(new Uint8Array(zlibGzip(images)), rng);
      writeFileSync(join(idxDir, `${IDX_FILE_NAMES.trainImages}.gz`), lying);
      writeFileSync(join(idxDir, IDX_FILE_NAMES.trainLabels), labels);
      writeFileSync(join(idxDir, IDX_FILE_NAMES.testImages), lieAboutDim(images, rng));
      writeFileSync(join(idxDir, IDX_FILE_NAMES.testLabels), labels);
      const batch = cifarBase(rng, 2);
      for (let i = 1; i <= 5; i++) writeFileSync(join(cifarDir, `data_batch_${i}.bin`), truncate(batch, rng));
      writeFileSync(join(cifarDir, 'test_batch.bin'), setByte(0)(batch, rng).fill(200, 0, 1));
      process.chdir(dir);
      const before = listing(dir);

      const rejects = async (p: Promise<unknown>) => {
        let error: unknown;
        try {
          await p;
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(BackpropError);
      };
      await rejects(readIdxDir(idxDir));
      await rejects(readCifar10Dir(cifarDir));
      // Names that look like paths or code are only ever quoted in messages.
      const names = ['../../etc/passwd', '/tmp/evil.idx', '$(touch pwned)', "require('fs')"];
      const bases = idxBases(rng);
      for (let i = 0; i < 400; i++) {
        const name = names[i % names.length];
        const b = mutate(pick(rng, bases), rng, PLAIN_IDX_MUTATIONS);
        outcome(() => parseIdx(i % 2 ? new Uint8Array(zlibGzip(b)) : b, name), `parseIdx: ${name} `);
        outcome(
          () => parseCifar10Batch(mutate(batch, rng, [flipBits, truncate]), name),
          `parseCifar10Batch: ${name} `,
        );
      }
      expect(listing(dir)).toEqual(before);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
