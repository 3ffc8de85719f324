// Issue 9: model checkpoints that lie. Thousands of seeded mutations of real checkpoints (saveModel of
// each of the three models) go to loadModel and loadModelInto: every outcome is a load consistent with
// the bytes or a FormatError, and after a failed loadModelInto the target is bit for bit what it was.
// Hostile metadata (huge numbers, __proto__ keys, deep nesting, strings that look like paths or code)
// must neither run anything nor escape as anything but a BackpropError.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import {
  BackpropError,
  FormatError,
  Rng,
  type RngState,
  readSafetensors,
  type Tensor,
  writeSafetensors,
} from '@backprop/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BuiltinModel,
  deserializeModel,
  FullyConnectedNet,
  loadModel,
  loadModelInto,
  saveModel,
  serializeModel,
  ThreeLayerConvNet,
  TwoLayerNet,
} from '../src/index';
import { randomInput, randomLabels } from './helpers';

type Kind = 'two-layer' | 'fc' | 'convnet';

/** Small models of each kind, trained two steps so params, running stats and the dropout rng all moved. */
function trained(kind: Kind, dtype: 'float32' | 'float64'): BuiltinModel {
  const model =
    kind === 'two-layer'
      ? new TwoLayerNet({ inputDim: 5, hiddenDim: 4, numClasses: 3, weightScale: 0.3, dtype, seed: 1 })
      : kind === 'fc'
        ? new FullyConnectedNet({
            hiddenDims: [5, 4],
            inputDim: 5,
            numClasses: 3,
            normalization: 'batchnorm',
            dropout: 0.7,
            weightScale: 0.3,
            dtype,
            seed: 2,
          })
        : new ThreeLayerConvNet({
            inputDim: [2, 4, 4],
            numFilters: 2,
            filterSize: 3,
            hiddenDim: 4,
            numClasses: 3,
            dtype,
            seed: 3,
          });
  const shape = kind === 'convnet' ? [4, 2, 4, 4] : [4, 5];
  const X = randomInput(shape, 7).astype(dtype);
  const y = randomLabels(4, 3, 8);
  for (let step = 0; step < 2; step++) {
    const { grads } = model.loss(X, y);
    for (const name in model.params) {
      const p = model.params[name].data;
      for (let i = 0; i < p.length; i++) p[i] -= 0.1 * grads[name].data[i];
    }
  }
  return model;
}

// ---- bit-for-bit snapshots ----------------------------------------------------------------------

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
}

interface Snapshot {
  params: Record<string, { shape: readonly number[]; dtype: string; bytes: Uint8Array; object: Tensor }>;
  state: Record<string, { shape: readonly number[]; bytes: Uint8Array }>;
  rng: RngState | null;
}

function snapshot(model: BuiltinModel): Snapshot {
  const params: Snapshot['params'] = {};
  for (const [name, t] of Object.entries(model.params)) {
    params[name] = { shape: [...t.shape], dtype: t.dtype, bytes: bytesOf(t), object: t };
  }
  const s = model.getState();
  const state: Snapshot['state'] = {};
  for (const [name, t] of Object.entries(s.tensors)) state[name] = { shape: [...t.shape], bytes: bytesOf(t) };
  return { params, state, rng: s.rng };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Throws unless `model` is bit for bit `before`: the same param objects, bytes, state and rng. */
function expectUnchanged(model: BuiltinModel, before: Snapshot, context: string): void {
  expect(Object.keys(model.params).sort(), context).toEqual(Object.keys(before.params).sort());
  for (const [name, p] of Object.entries(before.params)) {
    const t = model.params[name];
    if (t !== p.object || t.dtype !== p.dtype || !sameBytes(bytesOf(t), p.bytes)) {
      throw new Error(`${context}: param ${name} changed`);
    }
    expect(t.shape, context).toEqual(p.shape);
  }
  const now = snapshot(model);
  for (const [name, s] of Object.entries(before.state)) {
    if (!sameBytes(now.state[name].bytes, s.bytes)) throw new Error(`${context}: state ${name} changed`);
  }
  expect(now.rng, context).toEqual(before.rng);
}

/** A successful load must hold exactly the tensors an independent read of the same bytes finds. */
function expectMatchesFile(model: BuiltinModel, bytes: Uint8Array): void {
  const file = readSafetensors(bytes);
  for (const [name, t] of Object.entries(model.params)) {
    const f = file.tensors[name];
    expect(f.shape).toEqual(t.shape);
    expect(f.dtype).toBe(t.dtype);
    if (!sameBytes(bytesOf(f), bytesOf(t))) throw new Error(`param ${name} differs from the file`);
  }
  const state = model.getState();
  for (const [name, t] of Object.entries(state.tensors)) {
    if (!sameBytes(bytesOf(file.tensors[name]), bytesOf(t)))
      throw new Error(`state ${name} differs from the file`);
  }
  const recorded = JSON.parse(file.metadata.config) as Record<string, unknown>;
  // Every option is exactly the recorded one: a checkpoint records them all, so the loaders never read
  // a null (or anything else) as "use the default".
  expect(Object.keys(recorded).sort()).toEqual(Object.keys(model.config).sort());
  for (const [key, value] of Object.entries(model.config)) expect(recorded[key]).toEqual(value);
  expect(file.metadata.kind).toBe(model.kind);
}

// ---- safetensors-level mutations ----------------------------------------------------------------

/** Splits a safetensors file into its header text and data buffer. */
function split(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

/** A safetensors file from raw header text (any text, valid or not) and a data buffer. */
function join(header: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

type Mutation = (b: Uint8Array, rng: Rng) => Uint8Array;

const flipBits: Mutation = (b, rng) => {
  const out = b.slice();
  for (let k = 1 + rng.integer(0, 4); k > 0; k--) out[rng.integer(0, out.length)] ^= 1 << rng.integer(0, 8);
  return out;
};
const flipHeaderBits: Mutation = (b, rng) => {
  const out = b.slice();
  const n = 8 + split(b).header.length;
  out[rng.integer(0, n)] ^= 1 << rng.integer(0, 8);
  return out;
};
const truncate: Mutation = (b, rng) => b.slice(0, rng.integer(0, b.length));
const appendGarbage: Mutation = (b, rng) => {
  const out = new Uint8Array(b.length + 1 + rng.integer(0, 64));
  out.set(b);
  for (let i = b.length; i < out.length; i++) out[i] = rng.integer(0, 256);
  return out;
};
/** The u64 header length set to a lie: 10^12, 2^53, 2^64-1, 0, or one byte off. */
const lieAboutHeaderLength: Mutation = (b, rng) => {
  const out = b.slice();
  const view = new DataView(out.buffer);
  const n = view.getBigUint64(0, true);
  const lies = [10n ** 12n, 2n ** 53n, 2n ** 64n - 1n, 0n, n - 1n, n + 1n, BigInt(b.length)];
  view.setBigUint64(0, lies[rng.integer(0, lies.length)], true);
  return out;
};

/** Edits one tensor entry of the parsed header: lying offsets, shapes or dtypes. */
const lieInEntry: Mutation = (b, rng) => {
  const { header, data } = split(b);
  const json = JSON.parse(header) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: number[] }
  >;
  const names = Object.keys(json).filter((k) => k !== '__metadata__');
  const name = names[rng.integer(0, names.length)];
  const other = json[names[rng.integer(0, names.length)]];
  const e = json[name];
  const [begin, end] = e.data_offsets;
  const lies: (() => void)[] = [
    () => (e.data_offsets = [0, 1e12]),
    () => (e.data_offsets = [data.length, data.length + 8]),
    () => (e.data_offsets = [...other.data_offsets]),
    () => (e.data_offsets = [end, begin]),
    () => (e.data_offsets = [begin + 1, end + 1]),
    () => (e.data_offsets = [-8, end]),
    () => (e.data_offsets = [begin, end, 0]),
    () => (e.shape = [1e12]),
    () => (e.shape = [-1, ...e.shape]),
    () => (e.shape = [2 ** 31, 2 ** 31, 0]),
    () => (e.shape = [0.5]),
    () => (e.shape = []),
    () => (e.dtype = ['F16', 'BF16', 'I64', 'BOOL', 'U8', 'XYZ', '', 'f64'][rng.integer(0, 8)]),
    () => (e.dtype = e.dtype === 'F64' ? 'F32' : 'F64'),
    () => delete (json as Record<string, unknown>)[name],
  ];
  lies[rng.integer(0, lies.length)]();
  return join(JSON.stringify(json), data);
};
/** Text-level header damage: a duplicated tensor name, cut JSON, a non-object header. */
const breakHeaderText: Mutation = (b, rng) => {
  const { header, data } = split(b);
  const which = rng.integer(0, 4);
  if (which === 0) {
    // duplicate the first tensor entry verbatim (JSON.parse would keep only the last)
    const m = /"(W1|b1)":\{[^}]*\}/.exec(header);
    return m ? join(header.replace(m[0], `${m[0]},${m[0]}`), data) : b;
  }
  if (which === 1) return join(header.slice(0, rng.integer(0, header.length)), data);
  if (which === 2) return join(['[]', 'null', '"x"', '1e999', '{"__proto__":{}}'][rng.integer(0, 5)], data);
  const at = rng.integer(0, header.length);
  return join(header.slice(0, at) + '{[]}"\\\u0000'[rng.integer(0, 7)] + header.slice(at), data);
};
/** Rewrites one metadata entry's JSON: a config or state key set to a hostile value. */
const lieInMetadata: Mutation = (b, rng) => {
  const { header, data } = split(b);
  const json = JSON.parse(header) as Record<string, Record<string, string>>;
  const md = json.__metadata__;
  const field = ['config', 'state', 'kind', 'format', 'formatVersion'][rng.integer(0, 5)];
  if (field === 'config' || field === 'state') {
    const value = JSON.parse(md[field]) as Record<string, unknown>;
    const keys = Object.keys(value);
    const key = rng.integer(0, 4) === 0 ? '__proto__' : keys[rng.integer(0, keys.length)];
    value[key] = HOSTILE_VALUES[rng.integer(0, HOSTILE_VALUES.length)];
    md[field] = JSON.stringify(value);
  } else {
    md[field] = HOSTILE_STRINGS[rng.integer(0, HOSTILE_STRINGS.length)];
  }
  return join(JSON.stringify(json), data);
};

const HOSTILE_STRINGS = [
  '../../../../etc/passwd',
  '/tmp/backprop-fuzz-pwned',
  "require('fs').writeFileSync('pwned', 'x')",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile string that looks like a template, on purpose
  '${process.exit(3)}',
  '`touch pwned`',
  '$(touch pwned)',
  '__proto__',
  'constructor',
  'toString',
  'fc\u0000',
  '',
];
const HOSTILE_VALUES: unknown[] = [
  1e308,
  -1e308,
  2 ** 53 + 2,
  1e21,
  -1,
  0,
  0.5,
  [1e9],
  [2 ** 32],
  [],
  {},
  null,
  true,
  { polluted: true },
  ...HOSTILE_STRINGS,
];

const MUTATIONS: Mutation[] = [
  flipBits,
  flipBits,
  flipHeaderBits,
  flipHeaderBits,
  truncate,
  appendGarbage,
  lieAboutHeaderLength,
  lieInEntry,
  lieInEntry,
  breakHeaderText,
  lieInMetadata,
  lieInMetadata,
];

// ---- the fuzz -----------------------------------------------------------------------------------

const tally: Record<string, { cases: number; loaded: number; rejected: number }> = {};
function count(key: string, loaded: boolean): void {
  tally[key] ??= { cases: 0, loaded: 0, rejected: 0 };
  tally[key].cases++;
  if (loaded) tally[key].loaded++;
  else tally[key].rejected++;
}

afterAll(() => {
  console.info(`checkpoint fuzz tallies: ${JSON.stringify(tally)}`);
});

/** Runs `f`: its value, or the FormatError it threw; anything else thrown fails the test. */
function attempt<T>(f: () => T, fn: string): { value: T } | { error: FormatError } {
  try {
    return { value: f() };
  } catch (e) {
    if (!(e instanceof FormatError)) {
      throw new Error(`${fn} threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
    expect(e.message.startsWith(`${fn}: `)).toBe(true);
    return { error: e };
  }
}

/** One mutated file through both loaders, with every promise of the issue checked. */
function checkCase(bytes: Uint8Array, target: BuiltinModel, original: Uint8Array, key: string): void {
  const fresh = attempt(() => loadModel(bytes), 'loadModel');
  if ('value' in fresh) expectMatchesFile(fresh.value, bytes);
  count(`${key} loadModel`, 'value' in fresh);

  const before = snapshot(target);
  const into = attempt(() => loadModelInto(target, bytes), 'loadModelInto');
  if ('error' in into) {
    expectUnchanged(target, before, `${key}: ${into.error.message}`);
  } else {
    expectMatchesFile(target, bytes);
    loadModelInto(target, original); // back to the base for the next case
  }
  count(`${key} loadModelInto`, 'value' in into);
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('checkpoint fuzz', () => {
  for (const kind of ['two-layer', 'fc', 'convnet'] as const) {
    it(`1,000 mutated ${kind} checkpoints: a load consistent with the bytes or a FormatError, target unchanged on failure`, () => {
      const rng = new Rng(kind.length * 1009);
      const source = trained(kind, 'float64');
      const original = saveModel(source);
      const target = loadModel(original);
      for (let i = 0; i < 1000; i++) {
        let bytes = original;
        for (let k = 1 + rng.integer(0, 2); k > 0; k--) {
          const m = MUTATIONS[rng.integer(0, MUTATIONS.length)];
          // Header-level mutations need a readable header to start from.
          try {
            bytes = m(bytes, rng);
          } catch {
            bytes = flipBits(bytes, rng);
          }
        }
        checkCase(bytes, target, original, kind);
      }
      expect(tally[`${kind} loadModel`].rejected).toBeGreaterThan(500);
      expect(tally[`${kind} loadModel`].loaded).toBeGreaterThan(10);
    });
  }

  it('a float32 fc checkpoint: the same promises under 500 mutations', () => {
    const rng = new Rng(77);
    const original = saveModel(trained('fc', 'float32'));
    const target = loadModel(original);
    for (let i = 0; i < 500; i++) {
      let bytes = original;
      try {
        bytes = MUTATIONS[rng.integer(0, MUTATIONS.length)](original, rng);
      } catch {
        bytes = flipBits(original, rng);
      }
      checkCase(bytes, target, original, 'fc float32');
    }
  });
});

describe('hostile metadata', () => {
  const source = trained('fc', 'float64') as FullyConnectedNet;
  const base = serializeModel(source);
  const config = JSON.parse(base.metadata.config) as Record<string, unknown>;
  const withMetadata = (edit: Record<string, string>): Uint8Array =>
    writeSafetensors(base.tensors, { ...base.metadata, ...edit });
  const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
  const deepObject = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

  const cases: [string, Record<string, string>][] = [
    ['a config dim of 10^12', { config: JSON.stringify({ ...config, hiddenDims: [1e12, 4] }) }],
    ['a config dim of 2^53 + 2', { config: JSON.stringify({ ...config, inputDim: 2 ** 53 + 2 }) }],
    [
      'a config number of 1e400 (Infinity)',
      { config: JSON.stringify(config).replace('"reg":0', '"reg":1e400') },
    ],
    ['a seed of 1e308', { config: JSON.stringify({ ...config, seed: 1e308 }) }],
    [
      'a __proto__ key in the state',
      { state: base.metadata.state.replace('{', '{"__proto__":{"polluted":1},') },
    ],
    ['a __proto__ rng', { state: '{"rng":{"__proto__":{"polluted":1}}}' }],
    ['a constructor kind', { kind: 'constructor' }],
    ['a __proto__ kind', { kind: '__proto__' }],
    ['a path for the dtype', { config: JSON.stringify({ ...config, dtype: '../../etc/passwd' }) }],
    ['code for the normalization', { config: JSON.stringify({ ...config, normalization: "require('fs')" }) }],
    ['code for the kind', { kind: 'process.exit(7)' }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile string that looks like a template, on purpose
    ['a template for the format', { format: '${process.exit(7)}' }],
    ['a config nested 100,000 deep (loadModel; loadModelInto below)', { config: `{"a":${deep(100_000)}}` }],
    ['an object config nested 100,000 deep', { config: deepObject(100_000) }],
    ['a state rng nested 100,000 deep', { state: `{"rng":${deep(100_000)}}` }],
    ['an rng with huge words', { state: '{"rng":{"s":[1e308,2,3,4],"spareNormal":null}}' }],
    ['a config that is an array', { config: '[1,2,3]' }],
    ['a config that is not JSON', { config: "{hiddenDims: [5, 4], x: require('fs')}" }],
  ];

  for (const [what, edit] of cases) {
    it(`loadModel and loadModelInto reject ${what} with a FormatError, changing nothing`, () => {
      const bytes = withMetadata(edit);
      const fresh = attempt(() => loadModel(bytes), 'loadModel');
      expect('error' in fresh).toBe(true);
      const target = loadModel(saveModel(source));
      const before = snapshot(target);
      const into = attempt(() => loadModelInto(target, bytes), 'loadModelInto');
      expect('error' in into).toBe(true);
      expectUnchanged(target, before, what);
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
    });
  }

  // Regression: loadModelInto used to JSON.stringify the file's config values before checking them, so
  // a value nested ~10^5 deep overflowed the stack (RangeError). Values are now checked shallowly first.
  const withValue = (key: string, json: string): string =>
    JSON.stringify({ ...config, [key]: 0 }).replace(`"${key}":0`, `"${key}":${json}`);
  for (const [what, where, text] of [
    ['hiddenDims as an array', 'hiddenDims[0]', withValue('hiddenDims', deep(100_000))],
    ['hiddenDims as an object', 'hiddenDims', withValue('hiddenDims', deepObject(100_000))],
    ['an element of hiddenDims', 'hiddenDims[1]', withValue('hiddenDims', `[5,${deep(100_000)}]`)],
    ['reg', 'reg', withValue('reg', deep(100_000))],
    ['dtype', 'dtype', withValue('dtype', deepObject(100_000))],
  ] as const) {
    it(`both loaders reject ${what} nested 100,000 deep with a FormatError naming ${where}`, () => {
      const bytes = withMetadata({ config: text });
      const target = loadModel(saveModel(source));
      const before = snapshot(target);
      for (const [fn, load] of [
        ['loadModel', (): unknown => loadModel(bytes)],
        ['loadModelInto', (): unknown => loadModelInto(target, bytes)],
      ] as const) {
        const outcome = attempt(load, fn);
        expect('error' in outcome && outcome.error.message).toContain(
          `${fn}: metadata.config is invalid: FullyConnectedNet: options.${where} must be `,
        );
      }
      expectUnchanged(target, before, where);
    });
  }

  it('loadModel rejects a __proto__ key in the config and pollutes no prototype', () => {
    const bytes = withMetadata({
      config: JSON.stringify(config).replace('{', '{"__proto__":{"polluted":1,"dtype":"float32"},'),
    });
    const fresh = attempt(() => loadModel(bytes), 'loadModel');
    expect('error' in fresh && fresh.error.message).toBe(
      "loadModel: metadata.config.__proto__ is not an option of a 'fc' model (its options: hiddenDims, inputDim, numClasses, dropout, normalization, reg, weightScale, dtype, seed)",
    );
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  // Regression: Object.keys(fileConfig) includes the own "__proto__" key JSON.parse creates, and
  // `'__proto__' in modelConfig` was true through the prototype, so loadModelInto accepted a config with
  // an extra key that loadModel rejected. Both now check own keys against one allow-list.
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    it(`both loaders reject a config with an extra '${key}' key, with the same message`, () => {
      const bytes = withMetadata({
        config: JSON.stringify(config).replace('{', `{"${key}":{"dtype":"float32"},`),
      });
      const target = loadModel(saveModel(source));
      const before = snapshot(target);
      const message = `metadata.config.${key} is not an option of a 'fc' model (its options: hiddenDims, inputDim, numClasses, dropout, normalization, reg, weightScale, dtype, seed)`;
      expect(() => loadModel(bytes)).toThrow(
        new FormatError('loadModel', `metadata.config.${key}`, message.slice(message.indexOf(' ') + 1)),
      );
      expect(() => loadModelInto(target, bytes)).toThrow(`loadModelInto: ${message}`);
      expectUnchanged(target, before, key);
      expect(Object.prototype).not.toHaveProperty('dtype');
    });
  }

  it("both loaders reject a tensor named like an Object.prototype member ('constructor', 'toString')", () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const tensors: Record<string, Tensor> = { ...base.tensors };
      Object.defineProperty(tensors, name, { value: base.tensors.b1, enumerable: true });
      const message = `tensor '${name}' is not part of a 'fc' model with this config`;
      expect(() => deserializeModel({ tensors, metadata: base.metadata })).toThrow(
        `deserializeModel: ${message}`,
      );
      if (name === '__proto__') continue; // a safetensors header cannot round-trip an own __proto__ key
      const bytes = writeSafetensors(tensors, base.metadata);
      const target = loadModel(saveModel(source));
      const before = snapshot(target);
      expect(() => loadModel(bytes)).toThrow(`loadModel: ${message}`);
      expect(() => loadModelInto(target, bytes)).toThrow(`loadModelInto: ${message}`);
      expectUnchanged(target, before, name);
    }
  });

  /**
   * The largest typed array (in bytes) asked for through the global constructors while `f` runs
   * (`allocate` in @backprop/tensor makes every tensor's storage that way).
   */
  function largestAllocation(f: () => void): number {
    const names = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'] as const;
    const g = globalThis as unknown as Record<string, unknown>;
    const originals = names.map((n) => g[n]);
    let largest = 0;
    names.forEach((n, i) => {
      const Original = originals[i] as { BYTES_PER_ELEMENT: number } & (new (...args: unknown[]) => object);
      g[n] = new Proxy(Original, {
        construct(target, args) {
          if (typeof args[0] === 'number') largest = Math.max(largest, args[0] * Original.BYTES_PER_ELEMENT);
          return Reflect.construct(target, args);
        },
      });
    });
    try {
      f();
    } catch {
      // the outcome is checked elsewhere; only the allocations matter here
    }
    names.forEach((n, i) => {
      g[n] = originals[i];
    });
    return largest;
  }

  it('loading an honest checkpoint allocates no more than the file holds (the budget below is sane)', () => {
    const bytes = saveModel(source);
    expect(largestAllocation(() => loadModel(bytes))).toBeLessThanOrEqual(bytes.length);
  });

  // Regression: restore() used to build the model from the recorded config before comparing the
  // config's shapes with the file's tensors, so a ~2 KB file whose config said hiddenDims [200000, 4]
  // made loadModel allocate and randn-fill a [5, 200000] W1 (8 MB) before failing; [3e8, 4] asked
  // for ~12 GB and hung. The shapes are now computed from the config and checked first.
  for (const [what, edit] of [
    ['hiddenDims [200000, 4]', { hiddenDims: [200_000, 4] }],
    ['hiddenDims [3e8, 5]', { hiddenDims: [3e8, 5] }],
    ['inputDim 2^31', { inputDim: 2 ** 31 }],
    ['numClasses 1e9', { numClasses: 1e9 }],
    ['1,000 hidden layers', { hiddenDims: Array(1000).fill(5) }],
  ] as const) {
    it(`loadModel, loadModelInto and deserializeModel allocate nothing big when the config claims ${what}`, () => {
      const bytes = withMetadata({ config: JSON.stringify({ ...config, ...edit }) });
      const target = loadModel(saveModel(source));
      const lying = {
        tensors: base.tensors,
        metadata: { ...base.metadata, config: JSON.stringify({ ...config, ...edit }) },
      };
      for (const [fn, load] of [
        ['loadModel', () => loadModel(bytes)],
        ['loadModelInto', () => loadModelInto(target, bytes)],
        ['deserializeModel', () => deserializeModel(lying)],
      ] as const) {
        let error: unknown;
        expect(
          largestAllocation(() => {
            try {
              load();
            } catch (e) {
              error = e;
              throw e;
            }
          }),
        ).toBeLessThanOrEqual(bytes.length);
        expect(error).toBeInstanceOf(FormatError);
        expect((error as FormatError).fn).toBe(fn);
        expect((error as FormatError).arg).toMatch(/^(tensor '|metadata\.config\.)/);
      }
    });
  }

  it('a config that lies about the shapes names the first tensor that does not fit', () => {
    const bytes = withMetadata({ config: JSON.stringify({ ...config, hiddenDims: [3e8, 5] }) });
    expect(() => loadModel(bytes)).toThrow("loadModel: tensor 'W1' has shape [5,5], expected [5,300000000]");
  });

  it('a BackpropError subclass is the only thing the loaders throw for non-bytes', () => {
    for (const bad of [null, undefined, 'model.safetensors', [1, 2, 3], new Uint16Array(8)]) {
      let error: unknown;
      try {
        loadModel(bad as unknown as Uint8Array);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BackpropError);
      expect((error as Error).message).toMatch(/^loadModel: bytes must be a Uint8Array, got /);
    }
  });
});

describe('loading writes nothing', () => {
  it('readSafetensors, loadModel and loadModelInto on 600 hostile files in a scratch cwd leave it as it was', () => {
    const dir = mkdtempSync(joinPath(tmpdir(), 'backprop-models-fuzz-'));
    const cwd = process.cwd();
    const listing = () =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .map((p) => {
          const s = statSync(joinPath(dir, p));
          return `${p} ${s.size} ${s.mtimeMs}`;
        })
        .sort();
    try {
      process.chdir(dir);
      const before = listing();
      const rng = new Rng(4242);
      const original = saveModel(trained('fc', 'float64'));
      const target = loadModel(original);
      for (let i = 0; i < 600; i++) {
        let bytes = original;
        try {
          bytes = [lieInMetadata, breakHeaderText, lieInEntry, flipHeaderBits][i % 4](original, rng);
        } catch {
          bytes = flipBits(original, rng);
        }
        try {
          readSafetensors(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(BackpropError);
        }
        checkCase(bytes, target, original, 'no-write');
      }
      expect(listing()).toEqual(before);
      expect(before).toEqual([]);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
