import { FormatError } from '@backprop/tensor';
import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { isGzip, maybeGunzip, parseIdx, writeIdx } from '../src/index';

/** An IDX file written byte by byte from the format's description, independent of writeIdx. */
function handIdx(type: number, dims: number[], payload: number[]): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...payload]);
}

function expectFormatError(f: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FormatError);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

describe('parseIdx', () => {
  it('reads a hand-made uint8 file: shape from the big-endian dims, data in row-major order', () => {
    const bytes = handIdx(0x08, [2, 3], [1, 2, 3, 250, 251, 252]);
    const { shape, data } = parseIdx(bytes);
    expect(shape).toEqual([2, 3]);
    expect(data).toBeInstanceOf(Uint8Array);
    expect(Array.from(data)).toEqual([1, 2, 3, 250, 251, 252]);
  });

  it('reads dims above 255 (all four bytes of each big-endian dim count)', () => {
    const bytes = handIdx(0x08, [258], new Array(258).fill(7));
    expect(parseIdx(bytes).shape).toEqual([258]);
  });

  it('reads big-endian int8, int16, int32, float32 and float64 elements', () => {
    expect(Array.from(parseIdx(handIdx(0x09, [2], [0xff, 0x7f])).data)).toEqual([-1, 127]);
    const i16 = parseIdx(handIdx(0x0b, [2], [0x01, 0x02, 0xff, 0xfe]));
    expect(i16.data).toBeInstanceOf(Int16Array);
    expect(Array.from(i16.data)).toEqual([0x0102, -2]);
    const i32 = parseIdx(handIdx(0x0c, [1], [0x00, 0x01, 0x00, 0x02]));
    expect(i32.data).toBeInstanceOf(Int32Array);
    expect(Array.from(i32.data)).toEqual([65538]);
    // 1.5f = 0x3fc00000; -2.0 (double) = 0xc000000000000000
    expect(Array.from(parseIdx(handIdx(0x0d, [1], [0x3f, 0xc0, 0, 0])).data)).toEqual([1.5]);
    const f64 = parseIdx(handIdx(0x0e, [1], [0xc0, 0, 0, 0, 0, 0, 0, 0]));
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.data)).toEqual([-2]);
  });

  it('reads gzipped files the same as plain ones', () => {
    const plain = handIdx(0x08, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const gz = gzipSync(plain);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(plain)).toBe(false);
    expect(parseIdx(gz)).toEqual(parseIdx(plain));
  });

  it('round-trips writeIdx for every element type and random shapes (fast-check)', () => {
    const makers = [
      (n: number, r: () => number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256)),
      (n: number, r: () => number) => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128),
      (n: number, r: () => number) => Int16Array.from({ length: n }, () => Math.floor(r() * 65536) - 32768),
      (n: number, r: () => number) =>
        Int32Array.from({ length: n }, () => Math.floor(r() * 2 ** 32) - 2 ** 31),
      (n: number, r: () => number) => Float32Array.from({ length: n }, () => r() * 200 - 100),
      (n: number, r: () => number) => Float64Array.from({ length: n }, () => r() * 2e9 - 1e9),
    ];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: makers.length - 1 }),
        fc.boolean(),
        fc.integer(),
        (shape, which, zip, seed) => {
          let s = seed;
          const random = () => ((s = (s * 1103515245 + 12345) | 0) >>> 0) / 2 ** 32;
          const data = makers[which](
            shape.reduce((a, b) => a * b, 1),
            random,
          );
          const bytes = writeIdx(shape, data);
          const back = parseIdx(zip ? gzipSync(bytes) : bytes);
          expect(back.shape).toEqual(shape);
          expect(back.data.constructor).toBe(data.constructor);
          expect(Array.from(back.data)).toEqual(Array.from(data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a wrong magic, naming the file', () => {
    expectFormatError(
      () => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'labels.idx'),
      'parseIdx: labels.idx is not an IDX file: magic starts 01 00, expected 00 00 (then type and rank bytes)',
    );
  });

  it('rejects an unknown type byte', () => {
    expectFormatError(
      () => parseIdx(handIdx(0x0a, [1], [0]), 'x.idx'),
      /^parseIdx: x\.idx has IDX type byte 0a, expected one of 08 \(uint8\)/,
    );
  });

  it('rejects rank 0 and headers cut short', () => {
    expectFormatError(
      () => parseIdx(handIdx(0x08, [], [])),
      'parseIdx: bytes declares rank 0, expected at least one dimension',
    );
    expectFormatError(
      () => parseIdx(Uint8Array.from([0, 0, 8])),
      'parseIdx: bytes is truncated: 3 bytes, an IDX header needs at least 4',
    );
    expectFormatError(
      () => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]), 'f'),
      'parseIdx: f is truncated: 8 bytes, its rank-3 header needs 16',
    );
  });

  it('rejects truncated data, checking the declared size before allocating', () => {
    const full = handIdx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
    expectFormatError(
      () => parseIdx(full.subarray(0, full.length - 1), 'train-images'),
      'parseIdx: train-images is truncated: its header declares uint8 [2,3] = 12 + 6 bytes, the file has 17',
    );
  });

  it('rejects lying dims that would need gigabytes, without allocating them', () => {
    // [60000, 60000, 60000] uint8 = 2.16e14 bytes declared; the file has 20.
    const lying = handIdx(0x08, [60000, 60000, 60000], [1, 2, 3, 4]);
    expectFormatError(
      () => parseIdx(lying, 'lying'),
      /^parseIdx: lying is truncated: its header declares uint8 \[60000,60000,60000\]/,
    );
  });

  it('rejects trailing bytes', () => {
    expectFormatError(
      () => parseIdx(handIdx(0x0b, [1], [0, 1, 2]), 'f'),
      'parseIdx: f has trailing bytes: its header declares int16 [1] = 8 + 2 bytes, the file has 11',
    );
  });

  it('rejects a truncated gzip stream, naming the file', () => {
    const gz = gzipSync(handIdx(0x08, [100], new Array(100).fill(3)));
    expectFormatError(
      () => parseIdx(gz.subarray(0, gz.length - 12), 'a.gz'),
      /^parseIdx: a\.gz is a (truncated or )?corrupt/,
    );
    expectFormatError(
      () => parseIdx(gz.subarray(0, 10), 'b.gz'),
      'parseIdx: b.gz is truncated: 10 bytes, a gzip stream needs at least 18',
    );
  });

  it('rejects a gzip trailer that claims more than deflate can expand to', () => {
    const gz = gzipSync(handIdx(0x08, [4], [1, 2, 3, 4]));
    const bad = gz.slice();
    bad.set([0xff, 0xff, 0xff, 0x7f], bad.length - 4);
    expectFormatError(
      () => maybeGunzip(bad, 'bomb.gz'),
      /^gunzip: bomb\.gz is a truncated or corrupt gzip stream: its trailer declares 2147483647 bytes/,
    );
  });

  it('rejects input that is not bytes', () => {
    expectFormatError(
      () => parseIdx([0, 0, 8, 1] as unknown as Uint8Array),
      'parseIdx: bytes must be a Uint8Array of file contents, got object',
    );
  });
});

describe('writeIdx', () => {
  it('writes the header by the format: 00 00 type rank, big-endian dims', () => {
    expect(Array.from(writeIdx([1, 2], Uint8Array.from([5, 6])))).toEqual([
      0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 5, 6,
    ]);
    expect(Array.from(writeIdx([1], Int16Array.from([-2])))).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 1, 0xff, 0xfe]);
  });

  it('rejects a shape that does not hold the data', () => {
    expectFormatError(
      () => writeIdx([2, 2], new Uint8Array(3)),
      'writeIdx: shape [2,2] must have 1 to 255 dimensions holding 3 elements',
    );
  });
});
