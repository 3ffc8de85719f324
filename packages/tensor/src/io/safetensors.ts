// The safetensors format (huggingface/safetensors): 8-byte little-endian header length n, then n bytes
// of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}},
// then the byte buffer the offsets index (relative to its start), little-endian.
// The reader is the security surface for checkpoints from anywhere: it validates the whole header
// against the file's size before it allocates anything, and never trusts a count the file gives.
import { describe } from '../check';
import type { DType } from '../dtype';
import { FormatError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';

/** Headers above this are refused as absurd (the reference implementation's limit too). */
const MAX_HEADER_BYTES = 100_000_000;

const SUPPORTED: Record<string, DType> = { F32: 'float32', F64: 'float64' };
const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64' };
/** dtypes the format defines that this library has no Tensor for. */
const KNOWN_UNSUPPORTED = [
  'BOOL',
  'U8',
  'I8',
  'U16',
  'I16',
  'U32',
  'I32',
  'U64',
  'I64',
  'F16',
  'BF16',
  'F8_E4M3',
  'F8_E5M2',
  'F8_E8M0',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'C64',
];

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What readSafetensors returns. */
export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function bad(detail: string): FormatError {
  return new FormatError('readSafetensors', 'bytes', detail);
}

/**
 * Parses a .safetensors file holding F32 and F64 tensors. Data is copied out (offsets may be unaligned).
 * @param bytes - the whole file
 * @throws FormatError for a truncated or malformed file, naming what is wrong; nothing is allocated
 *   for tensor data until the whole header has been validated against the file's size
 */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError('readSafetensors', 'bytes', `must be a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < 8) throw bad(`has ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLength = hi * 2 ** 32 + lo;
  if (headerLength > MAX_HEADER_BYTES) {
    throw bad(`declares a header of ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} allowed`);
  }
  if (headerLength > bytes.length - 8) {
    throw bad(
      `declares a header of ${headerLength} bytes, but only ${bytes.length - 8} follow (truncated file?)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw bad('has a header that is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`has a header that is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw bad(`has a header that is ${describe(header)}, expected a JSON object`);
  }
  // JSON.parse keeps the last of two equal keys silently; a second tensor of the same name is an attack
  // or a broken writer, so look for it in the raw text.
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) throw bad(`has a header naming '${duplicate}' twice`);

  const entries = header as Record<string, unknown>;
  const metadata = readMetadata(entries.__metadata__);
  const bufferLength = bytes.length - 8 - headerLength;
  const specs: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (name === '__metadata__') continue;
    specs.push({ name, ...readEntry(name, entry, bufferLength) });
  }
  // The offsets must tile the buffer: no overlap (two tensors aliasing bytes) and no holes.
  const sorted = [...specs].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const s of sorted) {
    if (s.begin < covered) {
      throw bad(
        `has tensor '${s.name}' at bytes [${s.begin}, ${s.end}) overlapping '${previous}' (which ends at ${covered})`,
      );
    }
    if (s.begin > covered)
      throw bad(`leaves bytes [${covered}, ${s.begin}) of the data buffer unused before '${s.name}'`);
    covered = s.end;
    previous = s.name;
  }
  if (covered !== bufferLength) {
    throw bad(`has a data buffer of ${bufferLength} bytes, but its tensors cover only ${covered}`);
  }

  const tensors: Record<string, Tensor> = {};
  for (const s of specs) {
    const data = copyOut(bytes, view, 8 + headerLength + s.begin, s.end - s.begin, s.dtype);
    define(tensors, s.name, new Tensor(data, s.shape));
  }
  return { tensors, metadata };
}

function readMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw bad(`has __metadata__ that is ${describe(raw)}, expected an object of strings`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw bad(`has __metadata__.${k} that is ${describe(v)}, expected a string`);
    define(out, k, v);
  }
  return out;
}

/** `record[key] = value` that also works for a key named `__proto__` (an own property, never the prototype). */
function define<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function readEntry(name: string, entry: unknown, bufferLength: number) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw bad(`has tensor '${name}' described by ${describe(entry)}, expected {dtype, shape, data_offsets}`);
  }
  const { dtype: code, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof code !== 'string')
    throw bad(`has tensor '${name}' with dtype ${describe(code)}, expected a string`);
  const dtype = SUPPORTED[code];
  if (!dtype) {
    if (KNOWN_UNSUPPORTED.includes(code)) {
      throw bad(`has tensor '${name}' of dtype ${code}, which is not supported (only F32 and F64)`);
    }
    throw bad(`has tensor '${name}' of unknown dtype ${describe(code)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(
      `has tensor '${name}' with shape ${JSON.stringify(shape)}, expected an array of non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw bad(
      `has tensor '${name}' with data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with 0 <= begin <= end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > bufferLength) {
    throw bad(`has tensor '${name}' ending at byte ${end}, past the data buffer's ${bufferLength} bytes`);
  }
  // The product can overflow to a huge float for hostile shapes; it then just fails this comparison.
  const count = shape.reduce((p: number, d: number) => p * d, 1);
  const width = code === 'F32' ? 4 : 8;
  if (count * width !== end - begin) {
    throw bad(
      `has tensor '${name}' of shape ${formatShape(shape)} and dtype ${code} (${count * width} bytes), but data_offsets span ${end - begin} bytes`,
    );
  }
  return { dtype, shape: shape as number[], begin, end };
}

/** Copies `length` bytes at `offset` into a new typed array (a fresh buffer, so always aligned). */
function copyOut(bytes: Uint8Array, view: DataView, offset: number, length: number, dtype: DType) {
  if (LITTLE_ENDIAN) {
    const buffer = bytes.slice(offset, offset + length).buffer;
    return dtype === 'float32' ? new Float32Array(buffer) : new Float64Array(buffer);
  }
  if (dtype === 'float32') {
    const out = new Float32Array(length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    return out;
  }
  const out = new Float64Array(length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  return out;
}

/**
 * The first key that occurs twice at the top level of a JSON object text, or undefined.
 * A small scanner: it tracks nesting depth and skips string contents (with their escapes); only
 * strings directly inside the outermost object in key position are keys. Assumes `text` parsed.
 */
export function firstDuplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}

/**
 * Serialises tensors (and optional string metadata) as a .safetensors file: tensors laid out in
 * sorted-name order, the header padded with spaces to a multiple of 8 so the data starts aligned.
 * @param tensors - name → Tensor (float32 → F32, float64 → F64); '__metadata__' is reserved
 * @param metadata - string → string, stored under "__metadata__"
 */
export function writeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const fn = 'writeSafetensors';
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    throw new ValueError(fn, 'tensors', `must be an object of name → Tensor, got ${describe(tensors)}`);
  }
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    if (name === '__metadata__')
      throw new ValueError(fn, 'tensors', "may not hold a tensor named '__metadata__' (reserved)");
    if (!(tensors[name] instanceof Tensor)) {
      throw new ValueError(fn, `tensors.${name}`, `must be a Tensor, got ${describe(tensors[name])}`);
    }
  }
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new ValueError(fn, 'metadata', `must be an object of strings, got ${describe(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new ValueError(fn, `metadata.${k}`, `must be a string, got ${describe(v)}`);
    }
    if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.byteLength;
    header[name] = { dtype: CODES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const name of names) {
    const data = tensors[name].data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else {
      const width = data.BYTES_PER_ELEMENT;
      for (let i = 0; i < data.length; i++) {
        if (width === 4) view.setFloat32(at + 4 * i, data[i], true);
        else view.setFloat64(at + 8 * i, data[i], true);
      }
    }
    at += data.byteLength;
  }
  return out;
}
