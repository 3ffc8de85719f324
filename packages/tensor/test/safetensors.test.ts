import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FormatError,
  Rng,
  randn,
  readSafetensors,
  type Tensor,
  tensor,
  ValueError,
  writeSafetensors,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError } from './helpers';

/** A file from a header (object or raw JSON text) and a data buffer, with no padding unless given. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const bad = (detail: string) => new FormatError('readSafetensors', 'bytes', detail);

function sameTensor(a: Tensor, b: Tensor): void {
  expect(a.dtype).toBe(b.dtype);
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
}

const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'backprop-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeSafetensors / readSafetensors', () => {
  it('round-trip exactly in both dtypes, with metadata, scalars and empty tensors', () => {
    const rng = new Rng(0);
    const tensors = {
      W1: randn([3, 4], { rng, dtype: 'float32' }),
      b1: randn([4], { rng, dtype: 'float64' }),
      scale: tensor(2.5, { dtype: 'float64' }),
      empty: zeros([0, 3]),
      extremes: tensor([Number.MAX_VALUE, -0, Number.NaN, Number.NEGATIVE_INFINITY, 5e-324], {
        dtype: 'float64',
      }),
    };
    const metadata = { format: 'pt', model: 'TwoLayerNet', ünïcode: '✓' };
    const back = readSafetensors(writeSafetensors(tensors, metadata));
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) sameTensor(back.tensors[name], t);
    expect(Object.is(back.tensors.extremes.data[1], -0)).toBe(true);
    expect(back.metadata).toEqual(metadata);
  });

  it('copies data out: the result does not alias the file', () => {
    const bytes = writeSafetensors({ x: tensor([1, 2]) });
    const x = readSafetensors(bytes).tensors.x;
    bytes.fill(0, bytes.length - 8);
    expect(Array.from(x.data)).toEqual([1, 2]);
  });

  it('pads the header with spaces to a multiple of 8 and lays tensors out in sorted-name order', () => {
    const bytes = writeSafetensors({ b: tensor([2]), a: tensor([1], { dtype: 'float64' }) });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd().length).toBeLessThan(n);
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    const header = JSON.parse(text);
    expect(header.a).toEqual({ dtype: 'F64', shape: [1], data_offsets: [0, 8] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [1], data_offsets: [8, 12] });
    expect(header.__metadata__).toBeUndefined();
    expect(bytes.length).toBe(8 + n + 12);
  });

  it('reads unaligned data (an unpadded header) and a Uint8Array view into a larger buffer', () => {
    const bytes = file(
      { x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } },
      new Uint8Array(new Float64Array([1.5, -2]).buffer),
    );
    const holder = new Uint8Array(bytes.length + 3);
    holder.set(bytes, 3);
    // The data starts at a byte offset no Float64Array could view directly.
    expect((3 + bytes.length - 16) % 8).not.toBe(0);
    const x = readSafetensors(holder.subarray(3)).tensors.x;
    expect(Array.from(x.data)).toEqual([1.5, -2]);
    expect(x.dtype).toBe('float64');
  });

  it('keeps a tensor named __proto__ as an ordinary entry', () => {
    const bytes = file({ ['__proto__']: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32([7]));
    const { tensors } = readSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
  });

  it.skipIf(!python)(
    'writes files an independent python3 reader (struct + json + numpy) reads identically',
    () => {
      const rng = new Rng(1);
      const tensors = {
        W: randn([2, 3], { rng, dtype: 'float32' }),
        b: randn([3], { rng, dtype: 'float64' }),
      };
      const path = join(dir, 'out.safetensors');
      writeFileSync(path, writeSafetensors(tensors, { epoch: '3' }));
      const script = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {'__metadata__': header.pop('__metadata__', {})}
for name, e in header.items():
    b, end = e['data_offsets']
    a = np.frombuffer(data[b:end], dtype={'F32': '<f4', 'F64': '<f8'}[e['dtype']]).reshape(e['shape'])
    out[name] = {'dtype': e['dtype'], 'shape': list(a.shape), 'values': [float(v) for v in a.ravel()]}
print(json.dumps(out))`;
      const parsed = JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }));
      expect(parsed.__metadata__).toEqual({ epoch: '3' });
      expect(parsed.W).toEqual({ dtype: 'F32', shape: [2, 3], values: Array.from(tensors.W.data) });
      expect(parsed.b).toEqual({ dtype: 'F64', shape: [3], values: Array.from(tensors.b.data) });
    },
  );

  it.skipIf(!python)('reads a file written by python3 with unaligned offsets', () => {
    const path = join(dir, 'py.safetensors');
    const script = `
import json, struct, sys, numpy as np
a = np.arange(6, dtype='<f4').reshape(2, 3) / 4
b = np.array([1e300, -3.25], dtype='<f8')
header = json.dumps({'a': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 24]},
                     'b': {'dtype': 'F64', 'shape': [2], 'data_offsets': [24, 40]},
                     '__metadata__': {'source': 'numpy'}}).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(header)) + header + a.tobytes() + b.tobytes())`;
    execFileSync('python3', ['-c', script, path]);
    const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(path)));
    expect(metadata).toEqual({ source: 'numpy' });
    expect(tensors.a.toArray()).toEqual([
      [0, 0.25, 0.5],
      [0.75, 1, 1.25],
    ]);
    expect(tensors.b.dtype).toBe('float64');
    expect(Array.from(tensors.b.data)).toEqual([1e300, -3.25]);
  });

  it('writeSafetensors rejects non-tensors, the reserved name and non-string metadata', () => {
    expectError(
      () => writeSafetensors({ x: [1] as never }),
      new ValueError('writeSafetensors', 'tensors.x', 'must be a Tensor, got an array of length 1'),
    );
    expectError(
      () => writeSafetensors({ __metadata__: zeros([1]) }),
      new ValueError('writeSafetensors', 'tensors', "may not hold a tensor named '__metadata__' (reserved)"),
    );
    expectError(
      () => writeSafetensors({}, { epoch: 3 as never }),
      new ValueError('writeSafetensors', 'metadata.epoch', 'must be a string, got 3'),
    );
    expectError(
      () => writeSafetensors(null as never),
      new ValueError('writeSafetensors', 'tensors', 'must be an object of name → Tensor, got null'),
    );
  });
});

describe('readSafetensors on corrupt input', () => {
  const x = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

  it('rejects a file too short for the length prefix', () => {
    expectError(
      () => readSafetensors(new Uint8Array(5)),
      bad('has 5 bytes, too short for the 8-byte header length'),
    );
  });

  it('rejects a header length past the end of the file (truncated) before reading it', () => {
    const whole = file({ x }, f32([1, 2]));
    const n = whole.length - 8 - 8;
    expectError(
      () => readSafetensors(whole.subarray(0, 8 + n - 1)),
      bad(`declares a header of ${n} bytes, but only ${n - 1} follow (truncated file?)`),
    );
  });

  it('rejects an absurd header length without allocating it', () => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0xffffffff, true);
    view.setUint32(4, 0xffff, true);
    expectError(
      () => readSafetensors(bytes),
      bad(`declares a header of ${0xffff * 2 ** 32 + 0xffffffff} bytes, more than the 100000000 allowed`),
    );
  });

  it('rejects invalid UTF-8 and invalid JSON', () => {
    const bytes = file('{"x": 1}');
    bytes[9] = 0xff;
    expectError(() => readSafetensors(bytes), bad('has a header that is not valid UTF-8'));
    expect(() => readSafetensors(file('{"x": '))).toThrow(
      /^readSafetensors: bytes has a header that is not valid JSON \(/,
    );
    expect(() => readSafetensors(file('{"x": '))).toThrow(FormatError);
  });

  it('rejects a header that is not an object', () => {
    expectError(
      () => readSafetensors(file('[1, 2]')),
      bad('has a header that is an array of length 2, expected a JSON object'),
    );
    expectError(
      () => readSafetensors(file('null')),
      bad('has a header that is null, expected a JSON object'),
    );
    expectError(() => readSafetensors(file('7')), bad('has a header that is 7, expected a JSON object'));
  });

  it('rejects a name given twice, which JSON.parse would silently merge', () => {
    const text = `{"x": ${JSON.stringify(x)}, "y": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}, "x": ${JSON.stringify(x)}}`;
    expectError(() => readSafetensors(file(text, f32([1, 2]))), bad("has a header naming 'x' twice"));
    // An escaped spelling of the same name is the same key once parsed.
    const escaped = `{"x": ${JSON.stringify(x)}, "\\u0078": ${JSON.stringify(x)}}`;
    expectError(() => readSafetensors(file(escaped, f32([1, 2]))), bad("has a header naming 'x' twice"));
    // A key repeated inside an entry or in a nested string is not a duplicate tensor.
    const nested = `{"x,\\"y": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {"x": "{\\"x\\": 1}"}}`;
    expect(Object.keys(readSafetensors(file(nested, f32([1, 2]))).tensors)).toEqual(['x,"y']);
  });

  it('names an unknown dtype and an unsupported one', () => {
    expectError(
      () => readSafetensors(file({ x: { ...x, dtype: 'F99' } }, f32([1, 2]))),
      bad("has tensor 'x' of unknown dtype 'F99'"),
    );
    expectError(
      () => readSafetensors(file({ x: { ...x, dtype: 'F16' } }, f32([1, 2]))),
      bad("has tensor 'x' of dtype F16, which is not supported (only F32 and F64)"),
    );
    expectError(
      () => readSafetensors(file({ x: { ...x, dtype: 4 } }, f32([1, 2]))),
      bad("has tensor 'x' with dtype 4, expected a string"),
    );
  });

  it('rejects malformed entries, shapes and offsets', () => {
    expectError(
      () => readSafetensors(file({ x: [1] })),
      bad("has tensor 'x' described by an array of length 1, expected {dtype, shape, data_offsets}"),
    );
    expectError(
      () => readSafetensors(file({ x: { ...x, shape: [2, -1] } }, f32([1, 2]))),
      bad("has tensor 'x' with shape [2,-1], expected an array of non-negative integers"),
    );
    expectError(
      () => readSafetensors(file({ x: { ...x, data_offsets: [8, 0] } }, f32([1, 2]))),
      bad("has tensor 'x' with data_offsets [8,0], expected [begin, end] with 0 <= begin <= end"),
    );
    expectError(
      () => readSafetensors(file({ x: { ...x, data_offsets: [0] } }, f32([1, 2]))),
      bad("has tensor 'x' with data_offsets [0], expected [begin, end] with 0 <= begin <= end"),
    );
  });

  it('rejects a shape that does not match the offsets, even a huge one, before allocating', () => {
    expectError(
      () => readSafetensors(file({ x: { ...x, shape: [3] } }, f32([1, 2]))),
      bad("has tensor 'x' of shape [3] and dtype F32 (12 bytes), but data_offsets span 8 bytes"),
    );
    expectError(
      () => readSafetensors(file({ x: { ...x, shape: [2 ** 40, 2 ** 40] } }, f32([1, 2]))),
      bad(
        `has tensor 'x' of shape [${2 ** 40},${2 ** 40}] and dtype F32 (${2 ** 82} bytes), but data_offsets span 8 bytes`,
      ),
    );
  });

  it('rejects offsets past the end of the data buffer', () => {
    expectError(
      () => readSafetensors(file({ x: { ...x, shape: [3], data_offsets: [0, 12] } }, f32([1, 2]))),
      bad("has tensor 'x' ending at byte 12, past the data buffer's 8 bytes"),
    );
  });

  it('rejects overlapping tensors and holes in the buffer', () => {
    const y = { dtype: 'F32', shape: [1], data_offsets: [4, 8] };
    expectError(
      () => readSafetensors(file({ x, y }, f32([1, 2]))),
      bad("has tensor 'y' at bytes [4, 8) overlapping 'x' (which ends at 8)"),
    );
    const gap = { dtype: 'F32', shape: [1], data_offsets: [4, 8] };
    expectError(
      () => readSafetensors(file({ gap }, f32([1, 2]))),
      bad("leaves bytes [0, 4) of the data buffer unused before 'gap'"),
    );
    expectError(
      () => readSafetensors(file({ x }, f32([1, 2, 3]))),
      bad('has a data buffer of 12 bytes, but its tensors cover only 8'),
    );
  });

  it('rejects metadata that is not an object of strings', () => {
    expectError(
      () => readSafetensors(file({ __metadata__: { epoch: 3 } })),
      bad('has __metadata__.epoch that is 3, expected a string'),
    );
    expectError(
      () => readSafetensors(file({ __metadata__: 'x' })),
      bad("has __metadata__ that is 'x', expected an object of strings"),
    );
  });

  it('fuzz: any corruption of a valid file either parses or throws a FormatError, never anything else', () => {
    const valid = writeSafetensors(
      { a: tensor([1, 2, 3]), b: tensor([[4, 5]], { dtype: 'float64' }), c: zeros([0]) },
      { note: 'x' },
    );
    const headerEnd = 8 + new DataView(valid.buffer).getUint32(0, true);
    const edit = fc.oneof(
      // Overwrite a byte, mostly inside the length prefix and the JSON header.
      fc.tuple(
        fc.constant('set' as const),
        fc.integer({ min: 0, max: headerEnd + 8 }),
        fc.integer({ min: 0, max: 255 }),
      ),
      // Swap in a JSON-significant character.
      fc.tuple(
        fc.constant('set' as const),
        fc.integer({ min: 8, max: headerEnd - 1 }),
        fc.constantFrom(...Array.from('{}[]",:0123456789-e. \\', (c) => c.charCodeAt(0))),
      ),
      fc.tuple(fc.constant('cut' as const), fc.integer({ min: 0, max: valid.length }), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let bytes = valid.slice();
        for (const [kind, at, value] of edits) {
          if (kind === 'cut') bytes = bytes.slice(0, Math.min(at, bytes.length));
          else if (at < bytes.length) bytes[at] = value;
        }
        try {
          const { tensors } = readSafetensors(bytes);
          for (const t of Object.values(tensors)) expect(t.data.byteLength).toBeLessThanOrEqual(bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a non-Uint8Array argument', () => {
    expectError(
      () => readSafetensors(new ArrayBuffer(8) as never),
      new ValueError('readSafetensors', 'bytes', 'must be a Uint8Array, got object'),
    );
  });
});
