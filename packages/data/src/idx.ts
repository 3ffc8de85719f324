// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero bytes,
// a type byte, a rank byte, then `rank` big-endian uint32 dimensions and the data, big-endian.
// Files usually come gzipped; the gzip magic (1f 8b) is detected and the bytes inflated with fflate,
// which runs in browsers too. Every size is checked against the bytes before anything is allocated.
import { FormatError } from '@backprop/tensor';
import { gunzipSync } from 'fflate';

/** The element arrays an IDX file can hold, by its type byte. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file: its dimensions and its elements in row-major order. */
export interface IdxFile {
  shape: number[];
  data: IdxData;
}

/** Type byte -> element size and reader. */
const IDX_TYPES: Record<number, { name: string; bytes: number }> = {
  8: { name: 'uint8', bytes: 1 },
  9: { name: 'int8', bytes: 1 },
  11: { name: 'int16', bytes: 2 },
  12: { name: 'int32', bytes: 4 },
  13: { name: 'float32', bytes: 4 },
  14: { name: 'float64', bytes: 8 },
};

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzipped bytes; other bytes are returned as they are. The stream must be one gzip member
 * filling the input: its header flags known (RFC 1952 §2.3), its header CRC right when it has one,
 * and its trailer's CRC-32 and length equal to what it inflates to, as zlib requires. fflate checks
 * none of these, and would otherwise return a truncated or altered file without complaint.
 * @param name - the file, for error messages
 * @throws FormatError when the gzip stream is corrupt, truncated, or its trailer lies
 */
export function maybeGunzip(bytes: Uint8Array, name = 'bytes', fn = 'gunzip'): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  // fflate allocates the size the gzip trailer declares before inflating; in a truncated file
  // those 4 bytes are arbitrary (up to 4 GiB). Deflate expands at most ~1032x, so a larger claim
  // means the trailer is not a trailer.
  if (bytes.length < 18) {
    throw new FormatError(fn, name, `is truncated: ${bytes.length} bytes, a gzip stream needs at least 18`);
  }
  const n = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getUint32(n - 4, true);
  const declaredCrc = view.getUint32(n - 8, true);
  if (declared > 1032 * n + 1024) {
    throw new FormatError(
      fn,
      name,
      `is a truncated or corrupt gzip stream: its trailer declares ${declared} bytes from ${n} compressed`,
    );
  }
  checkGzipHeader(bytes, name, fn);
  // One byte more than the trailer declares: a stream that fills it inflates to more than declared
  // (fflate never grows a buffer it is given, so this is also the most it allocates).
  const out = new Uint8Array(declared + 1);
  let inflated: Uint8Array;
  try {
    inflated = gunzipSync(bytes, { out });
  } catch (e) {
    throw new FormatError(fn, name, `is a corrupt or truncated gzip stream (${(e as Error).message})`);
  }
  // fflate hands back the buffer itself only when there was no deflate data at all.
  if (inflated === out) {
    throw new FormatError(fn, name, 'is a corrupt or truncated gzip stream (no deflate data)');
  }
  if (inflated.length > declared) {
    throw new FormatError(
      fn,
      name,
      `is a corrupt gzip stream: it inflates to more than the ${declared} bytes its trailer declares`,
    );
  }
  if (inflated.length < declared) {
    throw new FormatError(
      fn,
      name,
      `is a corrupt gzip stream: it inflates to ${inflated.length} bytes, its trailer declares ${declared}`,
    );
  }
  const crc = crc32(inflated, 0, inflated.length);
  if (crc !== declaredCrc) {
    throw new FormatError(
      fn,
      name,
      `is a corrupt gzip stream: its CRC-32 is ${hex32(crc)}, the trailer declares ${hex32(declaredCrc)}`,
    );
  }
  return inflated;
}

/** RFC 1952 member header: method 8 (deflate), no reserved flag bits, a right FHCRC when present. */
function checkGzipHeader(bytes: Uint8Array, name: string, fn: string): void {
  const flags = bytes[3];
  if (bytes[2] !== 8 || (flags & 0xe0) !== 0) {
    throw new FormatError(
      fn,
      name,
      `is a corrupt gzip stream: method ${bytes[2]} and flags ${hex(flags)}, expected method 8 (deflate) and no reserved flag bits`,
    );
  }
  if ((flags & 0x02) === 0) return;
  // FHCRC: the low 16 bits of the CRC-32 of every header byte before it.
  let at = 10;
  if (flags & 0x04) at += 2 + (bytes[10] | (bytes[11] << 8));
  for (const flag of [0x08, 0x10]) {
    if (flags & flag) {
      while (at < bytes.length && bytes[at] !== 0) at++;
      at++;
    }
  }
  if (at + 2 > bytes.length - 8) {
    throw new FormatError(fn, name, 'is a truncated gzip stream: its header runs past the trailer');
  }
  const stored = bytes[at] | (bytes[at + 1] << 8);
  if ((crc32(bytes, 0, at) & 0xffff) !== stored) {
    throw new FormatError(fn, name, 'is a corrupt gzip stream: its header CRC does not match the header');
  }
}

let crcTables: Uint32Array | null = null;

/**
 * CRC-32 (the IEEE polynomial 0xEDB88320 of gzip and zip) of bytes[start, end), as an unsigned int.
 * Slicing by 4 (four 256-entry tables, 4 bytes a step): about 3x the byte-at-a-time loop, which cost
 * as much as the inflate itself on a 47 MB MNIST file.
 */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (crcTables === null) {
    crcTables = new Uint32Array(1024);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTables[i] = c >>> 0;
    }
    for (let i = 0; i < 256; i++) {
      for (let t = 1; t < 4; t++) {
        const prev = crcTables[(t - 1) * 256 + i];
        crcTables[t * 256 + i] = (prev >>> 8) ^ crcTables[prev & 0xff];
      }
    }
  }
  const T = crcTables;
  let c = 0xffffffff;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = T[768 + (c & 0xff)] ^ T[512 + ((c >>> 8) & 0xff)] ^ T[256 + ((c >>> 16) & 0xff)] ^ T[c >>> 24];
  }
  for (; i < end; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}

/**
 * Parses an IDX file (plain or gzipped).
 * @param bytes - the file's contents
 * @param name - the file's name, used in error messages (default `'bytes'`)
 * @returns shape (e.g. [60000, 28, 28]) and data (Uint8Array for type 0x08; Int8Array, Int16Array,
 *   Int32Array, Float32Array or Float64Array for 0x09, 0x0B, 0x0C, 0x0D, 0x0E), row-major
 * @throws FormatError naming `name` for a wrong magic, an unknown type byte, or a byte length that
 *   does not match the declared dimensions (truncated or trailing data)
 */
export function parseIdx(bytes: Uint8Array, name = 'bytes'): IdxFile {
  const fn = 'parseIdx';
  if (!(bytes instanceof Uint8Array)) {
    throw new FormatError(fn, name, `must be a Uint8Array of file contents, got ${typeof bytes}`);
  }
  const raw = maybeGunzip(bytes, name, fn);
  if (raw.length < 4) {
    throw new FormatError(fn, name, `is truncated: ${raw.length} bytes, an IDX header needs at least 4`);
  }
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw new FormatError(
      fn,
      name,
      `is not an IDX file: magic starts ${hex(raw[0])} ${hex(raw[1])}, expected 00 00 (then type and rank bytes)`,
    );
  }
  const type = IDX_TYPES[raw[2]];
  if (!type) {
    throw new FormatError(
      fn,
      name,
      `has IDX type byte ${hex(raw[2])}, expected one of 08 (uint8), 09 (int8), 0b (int16), 0c (int32), 0d (float32), 0e (float64)`,
    );
  }
  const rank = raw[3];
  if (rank === 0) throw new FormatError(fn, name, 'declares rank 0, expected at least one dimension');
  const header = 4 + 4 * rank;
  if (raw.length < header) {
    throw new FormatError(
      fn,
      name,
      `is truncated: ${raw.length} bytes, its rank-${rank} header needs ${header}`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const expected = header + count * type.bytes;
  if (raw.length !== expected) {
    const what = raw.length < expected ? 'is truncated' : 'has trailing bytes';
    throw new FormatError(
      fn,
      name,
      `${what}: its header declares ${type.name} [${shape.join(',')}] = ${header} + ${count * type.bytes} bytes, the file has ${raw.length}`,
    );
  }
  return { shape, data: readElements(view, header, count, raw[2]) };
}

function readElements(view: DataView, offset: number, count: number, type: number): IdxData {
  switch (type) {
    case 0x08:
      return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 0x09:
      return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 0x0b: {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 0x0c: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 0x0d: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    default: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Writes an IDX file (uncompressed): the inverse of `parseIdx`, for making subsets and tests.
 * @param shape - dimensions; their product must equal `data.length`
 * @param data - elements; the array type picks the type byte
 */
export function writeIdx(shape: readonly number[], data: IdxData): Uint8Array {
  const fn = 'writeIdx';
  const type = typeByteOf(data);
  if (type === undefined) {
    throw new FormatError(
      fn,
      'data',
      'must be a Uint8Array, Int8Array, Int16Array, Int32Array, Float32Array or Float64Array',
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || shape.length > 255 || count !== data.length) {
    throw new FormatError(
      fn,
      'shape',
      `[${shape.join(',')}] must have 1 to 255 dimensions holding ${data.length} elements`,
    );
  }
  const size = IDX_TYPES[type].bytes;
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < count; i++) {
    const o = header + i * size;
    const v = data[i];
    if (type === 0x08) view.setUint8(o, v);
    else if (type === 0x09) view.setInt8(o, v);
    else if (type === 0x0b) view.setInt16(o, v, false);
    else if (type === 0x0c) view.setInt32(o, v, false);
    else if (type === 0x0d) view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  }
  return out;
}

function typeByteOf(data: unknown): number | undefined {
  if (data instanceof Uint8Array) return 0x08;
  if (data instanceof Int8Array) return 0x09;
  if (data instanceof Int16Array) return 0x0b;
  if (data instanceof Int32Array) return 0x0c;
  if (data instanceof Float32Array) return 0x0d;
  if (data instanceof Float64Array) return 0x0e;
  return undefined;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
