import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DType,
  DTypeError,
  FormatError,
  Rng,
  readSafetensors,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  writeSafetensors,
  zeros,
} from '@backprop/tensor';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BuiltinModel,
  createModel,
  deserializeModel,
  FullyConnectedNet,
  loadModel,
  loadModelInto,
  type SerializedModel,
  saveModel,
  serializeModel,
  ThreeLayerConvNet,
  TwoLayerNet,
} from '../src/index';
import { expectError, randomInput, randomLabels, snapshot } from './helpers';

/** Builds each kind small, and trains it a little so params, running stats and rng state all moved. */
function trained(kind: 'two-layer' | 'fc' | 'convnet', dtype: DType, seed = 0): BuiltinModel {
  const model =
    kind === 'two-layer'
      ? new TwoLayerNet({ inputDim: 6, hiddenDim: 5, numClasses: 3, weightScale: 0.3, dtype, seed })
      : kind === 'fc'
        ? new FullyConnectedNet({
            hiddenDims: [6, 5],
            inputDim: 6,
            numClasses: 3,
            normalization: 'batchnorm',
            dropout: 0.7,
            weightScale: 0.3,
            dtype,
            seed,
          })
        : new ThreeLayerConvNet({
            inputDim: [2, 4, 6],
            numFilters: 2,
            filterSize: 3,
            hiddenDim: 5,
            numClasses: 3,
            dtype,
            seed,
          });
  const X = inputFor(model, 4);
  for (let step = 0; step < 2; step++) {
    const { grads } = model.loss(X, [0, 1, 2, 1]);
    for (const name in model.params) {
      const p = model.params[name].data;
      for (let i = 0; i < p.length; i++) p[i] -= 0.1 * grads[name].data[i];
    }
  }
  return model;
}

function inputFor(model: BuiltinModel, n: number): Tensor {
  const X = model.kind === 'convnet' ? randomInput([n, ...model.config.inputDim], 7) : randomInput([n, 6], 7);
  return X.astype(model.config.dtype);
}

/** A checkpoint of `model` after `edit` changed its tensors or metadata. */
function craft(model: BuiltinModel, edit: (s: SerializedModel) => void): Uint8Array {
  const s = serializeModel(model);
  const copy = { tensors: { ...s.tensors }, metadata: { ...s.metadata } };
  edit(copy);
  return writeSafetensors(copy.tensors, copy.metadata);
}

function expectSameModel(a: BuiltinModel, b: BuiltinModel): void {
  expect(b.kind).toBe(a.kind);
  expect(b.config).toEqual(a.config);
  expect(snapshot(b)).toEqual(snapshot(a));
  for (const name in a.params) expect(b.params[name].dtype).toBe(a.params[name].dtype);
}

describe('checkpoints', () => {
  for (const kind of ['two-layer', 'fc', 'convnet'] as const) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`round-trip a ${kind} model exactly in ${dtype}: params, running stats, rng, config`, () => {
        const model = trained(kind, dtype);
        const loaded = loadModel(saveModel(model));
        expect(loaded).toBeInstanceOf(model.constructor);
        expectSameModel(model, loaded);
        // Same state, so the next train step draws the same dropout masks and gives the same numbers.
        const X = inputFor(model, 3);
        const y = randomLabels(3, 3);
        expect(Array.from(loaded.loss(X).data)).toEqual(Array.from(model.loss(X).data));
        const a = model.loss(X, y);
        const b = loaded.loss(X, y);
        expect(b.loss).toBe(a.loss);
        expect(Array.from(b.grads.W1.data)).toEqual(Array.from(a.grads.W1.data));
      });
    }
  }

  for (const normalization of [null, 'layernorm'] as const) {
    it(`round-trips an fc model with normalization ${normalization} (null is a value, not a default)`, () => {
      const model = new FullyConnectedNet({
        hiddenDims: [4],
        inputDim: 6,
        numClasses: 3,
        normalization,
        seed: 5,
      });
      const loaded = loadModel(saveModel(model));
      expectSameModel(model, loaded);
      expect(loaded.config).toEqual(model.config);
      const target = new FullyConnectedNet(model.config);
      loadModelInto(target, saveModel(model));
      expectSameModel(model, target);
    });
  }

  describe('the loaders check configs and shapes as the constructors do, without building anything', () => {
    // Values drawn from valid and invalid ones of every JSON type (null aside: the constructors read it
    // as "use the default", a checkpoint never does; tested above).
    // Mostly valid values, so that a good share of configs gets past every check.
    const mix = (valid: fc.Arbitrary<unknown>, ...invalid: unknown[]) =>
      fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
    const small = (n: number) => fc.integer({ min: 1, max: n });
    const size = mix(small(6), 0, -1, 2.5, Infinity, '3', [3], {}, true);
    const common = {
      weightScale: mix(fc.constantFrom(0, 0.01, 1), -1, Infinity, '1'),
      reg: mix(fc.constantFrom(0, 0.5), -0.1, Number.NaN, [0]),
      dtype: mix(fc.constantFrom('float32', 'float64'), 'float16', 3, ['float32']),
      seed: mix(fc.constantFrom(0, 7, 2 ** 32 - 1), 2 ** 32, -1, 1.5, '0'),
    };
    const configs = {
      'two-layer': fc.record({ inputDim: size, hiddenDim: size, numClasses: size, ...common }),
      fc: fc.record({
        hiddenDims: mix(fc.array(size, { maxLength: 3 }), 3, '4', { 0: 4 }),
        inputDim: size,
        numClasses: size,
        dropout: mix(fc.constantFrom(0.5, 1), 0, 1.5, '1'),
        normalization: mix(fc.constantFrom(null, 'batchnorm', 'layernorm'), 'groupnorm', 1, ['batchnorm']),
        ...common,
      }),
      convnet: fc.record({
        inputDim: mix(fc.tuple(size, size, size), [3, 4], [1, 2, 2, 2], 4, 'CHW'),
        numFilters: size,
        filterSize: mix(fc.constantFrom(1, 3, 5), 2, 4, 0, 1.5),
        hiddenDim: size,
        numClasses: size,
        ...common,
      }),
    } as const;

    const classes = { 'two-layer': TwoLayerNet, fc: FullyConnectedNet, convnet: ThreeLayerConvNet } as const;
    for (const kind of ['two-layer', 'fc', 'convnet'] as const) {
      it(`${kind}: resolveConfig without defaults throws exactly what the constructor throws, and shapes() gives its shapes`, () => {
        const Model = classes[kind];
        let built = 0;
        fc.assert(
          fc.property(configs[kind], (config: Record<string, unknown>) => {
            let ours: string | null = null;
            let resolved: unknown = null;
            try {
              resolved = Model.resolveConfig(config, false);
            } catch (e) {
              ours = (e as Error).message;
            }
            let model: BuiltinModel | null = null;
            let theirs: string | null = null;
            try {
              model = createModel(kind, config as never);
            } catch (e) {
              theirs = (e as Error).message;
            }
            expect(ours).toBe(theirs);
            if (model === null) return;
            built++;
            expect(model.config).toEqual(config);
            expect(resolved).toEqual(config);
            const { paramShapes, stateShapes } = Model.shapes(model.config as never);
            expect(paramShapes).toEqual(model.paramShapes);
            // Independently of shapes(): what the constructor allocated, and what a checkpoint holds.
            const allocated = Object.fromEntries(Object.entries(model.params).map(([n, t]) => [n, t.shape]));
            expect(paramShapes).toEqual(allocated);
            expect(Object.keys(paramShapes)).toEqual(Object.keys(model.params));
            expect(stateShapes).toEqual(model.stateShapes);
            expect(Object.keys(stateShapes)).toEqual(Object.keys(model.getState().tensors));
            for (const [name, t] of Object.entries(model.getState().tensors)) {
              expect(t.shape).toEqual(stateShapes[name]);
            }
          }),
          { numRuns: 400, seed: kind.length },
        );
        expect(built).toBeGreaterThan(10); // the valid configs were reached, not just the errors
      });
    }
  });

  describe('a loaded model is built from the file, not from a random initialisation', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });
    const classes = { 'two-layer': TwoLayerNet, fc: FullyConnectedNet, convnet: ThreeLayerConvNet } as const;

    for (const kind of ['two-layer', 'fc', 'convnet'] as const) {
      it(`${kind}: loadModel and deserializeModel draw no random numbers (building one does)`, () => {
        const model = trained(kind, 'float64');
        const bytes = saveModel(model);
        const serialized = serializeModel(model);
        const draws = vi.spyOn(Rng.prototype, 'fillNormal');
        const loaded = loadModel(bytes);
        const copy = deserializeModel(serialized);
        expect(draws).not.toHaveBeenCalled();
        expectSameModel(model, loaded);
        expectSameModel(model, copy);
        createModel(kind, model.config as never); // the spy sees a random initialisation
        expect(draws).toHaveBeenCalled();
      });
    }

    it('fromTensors owns the given tensors (no copies) and continues from the given state', () => {
      const source = trained('fc', 'float64') as FullyConnectedNet;
      const params = { ...source.params };
      const state = source.getState();
      const draws = vi.spyOn(Rng.prototype, 'fillNormal');
      const built = FullyConnectedNet.fromTensors(source.config, params, state);
      expect(draws).not.toHaveBeenCalled();
      for (const name of Object.keys(params)) expect(built.params[name]).toBe(params[name]);
      expect(built.params).not.toBe(params);
      expect(built.getState()).toEqual(state);
      // Same running statistics, same dropout generator: the next train step gives the same numbers.
      const X = inputFor(source, 3);
      const y = [2, 0, 1];
      expect(Array.from(built.loss(X).data)).toEqual(Array.from(source.loss(X).data));
      expect(built.loss(X, y).loss).toBe(source.loss(X, y).loss);
      expect(built.getState()).toEqual(source.getState());

      const convnet = trained('convnet', 'float32') as ThreeLayerConvNet;
      const own = ThreeLayerConvNet.fromTensors(convnet.config, convnet.params, { tensors: {}, rng: null });
      expect(own.params.W2).toBe(convnet.params.W2);
      expect(Object.keys(own.params)).toEqual(Object.keys(convnet.paramShapes));
    });

    it('fromTensors checks the tensors against the config: names, shapes, dtype and state', () => {
      const net = trained('two-layer', 'float64') as TwoLayerNet;
      const empty = { tensors: {}, rng: null };
      const fn = 'TwoLayerNet.fromTensors';
      expectError(
        () => TwoLayerNet.fromTensors(net.config, { ...net.params, W1: zeros([6, 4], 'float64') }, empty),
        ShapeError,
        `${fn}: params.W1 has shape [6,4], expected [6,5]`,
      );
      expectError(
        () => TwoLayerNet.fromTensors(net.config, { ...net.params, b2: zeros([3], 'float32') }, empty),
        DTypeError,
        `${fn}: params.b2 has dtype float32, expected the model's float64`,
      );
      expectError(
        () => TwoLayerNet.fromTensors(net.config, { ...net.params, W3: zeros([1], 'float64') }, empty),
        ValueError,
        `${fn}: params.W3 is not a parameter of this model`,
      );
      expectError(
        () => TwoLayerNet.fromTensors(net.config, net.params, { tensors: {}, rng: new Rng(1).getState() }),
        ValueError,
        `${fn}: state.rng must be null: this model draws no random numbers, got object`,
      );
      const fcNet = trained('fc', 'float64') as FullyConnectedNet;
      expectError(
        () => FullyConnectedNet.fromTensors(fcNet.config, fcNet.params, { ...fcNet.getState(), rng: null }),
        ValueError,
        'FullyConnectedNet.fromTensors: state.rng must be an Rng state { s, spareNormal }, got null',
      );
      const { 'bn2.runningVar': _, ...missing } = fcNet.getState().tensors;
      expectError(
        () =>
          FullyConnectedNet.fromTensors(fcNet.config, fcNet.params, {
            ...fcNet.getState(),
            tensors: missing,
          }),
        ValueError,
        'FullyConnectedNet.fromTensors: state.tensors.bn2.runningVar must be a Tensor, got undefined',
      );
      expect(() =>
        classes.convnet.fromTensors(trained('convnet', 'float64').config as never, {}, empty),
      ).toThrow('ThreeLayerConvNet.fromTensors: params.W1 must be a Tensor, got undefined');
    });
  });

  it('records the format, kind, config and state in the metadata', () => {
    const model = trained('fc', 'float64');
    const { tensors, metadata } = serializeModel(model);
    expect(Object.keys(tensors).sort()).toEqual(
      [
        'W1',
        'W2',
        'W3',
        'b1',
        'b2',
        'b3',
        'beta1',
        'beta2',
        'gamma1',
        'gamma2',
        'bn1.runningMean',
        'bn1.runningVar',
        'bn2.runningMean',
        'bn2.runningVar',
      ].sort(),
    );
    expect(metadata).toEqual({
      format: 'backprop.model',
      formatVersion: '1',
      kind: 'fc',
      config: JSON.stringify(model.config),
      state: JSON.stringify({ rng: model.getState().rng }),
    });
    expect(JSON.parse(metadata.config).hiddenDims).toEqual([6, 5]);
    expect(JSON.parse(metadata.state).rng.s).toHaveLength(4);
  });

  it('deserializeModel gives a model that owns copies of the tensors', () => {
    const model = trained('fc', 'float32');
    const serialized = serializeModel(model);
    const copy = deserializeModel(serialized);
    expectSameModel(model, copy);
    serialized.tensors.W1.data[0] += 1;
    serialized.tensors['bn1.runningMean'].data[0] += 1;
    expect(copy.params.W1.data[0]).not.toBe(serialized.tensors.W1.data[0]);
    expect(copy.getState().tensors['bn1.runningMean'].data[0]).not.toBe(
      serialized.tensors['bn1.runningMean'].data[0],
    );
  });

  it("loads a Solver checkpoint: ignores tensors under 'solver/' and extra metadata", () => {
    const model = trained('two-layer', 'float64') as TwoLayerNet;
    const bytes = craft(model, (s) => {
      s.tensors['solver/optim/W1/m'] = zeros([6, 5], 'float64');
      s.tensors['solver/best/W1'] = zeros([6, 5], 'float32');
      s.metadata.solver = JSON.stringify({ formatVersion: 1, epoch: 3 });
    });
    expectSameModel(model, loadModel(bytes));
    const target = new TwoLayerNet(model.config);
    loadModelInto(target, bytes);
    expectSameModel(model, target);
  });

  it('loadModelInto loads params and state into a model of the same config', () => {
    const source = trained('fc', 'float64') as FullyConnectedNet;
    const target = createModel('fc', source.config);
    expect(snapshot(target)).not.toEqual(snapshot(source));
    const params = target.params;
    loadModelInto(target, saveModel(source));
    expectSameModel(source, target);
    expect(target.params).toBe(params); // the same params object, new tensors in it
  });

  it('writes a standard file that an independent python3 reader understands', () => {
    let python = true;
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      python = false;
    }
    if (!python) return; // no python3 + numpy here: nothing to compare against
    const model = trained('fc', 'float32');
    const dir = mkdtempSync(join(tmpdir(), 'models-'));
    try {
      const file = join(dir, 'model.safetensors');
      writeFileSync(file, saveModel(model));
      const script = [
        'import json, struct, sys, numpy as np',
        'raw = open(sys.argv[1], "rb").read()',
        'n = struct.unpack("<Q", raw[:8])[0]',
        'header = json.loads(raw[8:8 + n])',
        'meta = header.pop("__metadata__")',
        'e = header["W2"]; b, end = e["data_offsets"]',
        'w2 = np.frombuffer(raw[8 + n + b:8 + n + end], dtype="<f4").reshape(e["shape"])',
        'print(json.dumps({"kind": meta["kind"], "hidden": json.loads(meta["config"])["hiddenDims"],',
        '  "dtype": e["dtype"], "shape": list(w2.shape), "w2": [float(v) for v in w2.ravel()], "names": sorted(header)}))',
      ].join('\n');
      const out = JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
      expect(out.kind).toBe('fc');
      expect(out.hidden).toEqual([6, 5]);
      expect(out.dtype).toBe('F32');
      expect(out.shape).toEqual([6, 5]);
      expect(out.w2).toEqual(Array.from(model.params.W2.data));
      expect(out.names).toEqual(Object.keys(serializeModel(model).tensors).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('bad checkpoints: a FormatError naming the problem, and the target model unchanged', () => {
    const source = trained('fc', 'float64') as FullyConnectedNet;
    const good = saveModel(source);
    const innerError = (bytes: Uint8Array): string => {
      try {
        readSafetensors(bytes);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected readSafetensors to fail');
    };
    const truncated = good.slice(0, good.length - 12);
    const notSafetensors = new TextEncoder().encode('this is a CSV file, not a checkpoint\n1,2,3\n');
    const convnetBytes = saveModel(trained('convnet', 'float64'));
    const otherWidths = saveModel(new FullyConnectedNet({ ...source.config, hiddenDims: [6, 4] }));
    const float32File = saveModel(createModel('fc', { ...source.config, dtype: 'float32' }));

    const cases: [string, Uint8Array, string][] = [
      [
        'a truncated file',
        truncated,
        `loadModelInto: bytes are not a readable safetensors file (${innerError(truncated)})`,
      ],
      [
        'a file that is not safetensors',
        notSafetensors,
        `loadModelInto: bytes are not a readable safetensors file (${innerError(notSafetensors)})`,
      ],
      [
        'a file of another architecture',
        convnetBytes,
        "loadModelInto: metadata.kind is 'convnet', but the model is a 'fc' model",
      ],
      [
        'a file of the same kind with other layer widths',
        otherWidths,
        'loadModelInto: metadata.config.hiddenDims is [6,4], but the model has [6,5]',
      ],
      [
        'a file of the other dtype',
        float32File,
        'loadModelInto: metadata.config.dtype is "float32", but the model has "float64"',
      ],
      [
        'a missing parameter',
        craft(source, (s) => delete s.tensors.W2),
        "loadModelInto: tensor 'W2' is missing (expected shape [6,5])",
      ],
      [
        'a missing running statistic',
        craft(source, (s) => delete s.tensors['bn2.runningVar']),
        "loadModelInto: tensor 'bn2.runningVar' is missing (expected shape [5])",
      ],
      [
        'an extra parameter',
        craft(source, (s) => {
          s.tensors.W4 = zeros([3, 3], 'float64');
        }),
        "loadModelInto: tensor 'W4' is not part of a 'fc' model with this config (expected W1, b1, gamma1, beta1, W2, b2, gamma2, beta2, W3, b3, bn1.runningMean, bn1.runningVar, bn2.runningMean, bn2.runningVar)",
      ],
      [
        'a mis-shaped parameter',
        craft(source, (s) => {
          s.tensors.b1 = zeros([5], 'float64');
        }),
        "loadModelInto: tensor 'b1' has shape [5], expected [6]",
      ],
      [
        'a parameter of the wrong dtype',
        craft(source, (s) => {
          s.tensors.W1 = s.tensors.W1.astype('float32');
        }),
        "loadModelInto: tensor 'W1' has dtype float32, expected float64 (config.dtype)",
      ],
      [
        'a plain safetensors file without model metadata',
        writeSafetensors({ W1: zeros([6, 6], 'float64') }),
        "loadModelInto: metadata.format is undefined, expected 'backprop.model': not a backprop model checkpoint (write one with saveModel)",
      ],
      [
        'another format',
        craft(source, (s) => {
          s.metadata.format = 'other.tool';
        }),
        "loadModelInto: metadata.format is 'other.tool', expected 'backprop.model': not a backprop model checkpoint (write one with saveModel)",
      ],
      [
        'a newer format version',
        craft(source, (s) => {
          s.metadata.formatVersion = '2';
        }),
        "loadModelInto: metadata.formatVersion is '2', expected '1' (this version reads only that)",
      ],
      [
        'a config that is not JSON',
        craft(source, (s) => {
          s.metadata.config = '{hiddenDims: [6, 5]';
        }),
        `loadModelInto: metadata.config is not valid JSON (${jsonError('{hiddenDims: [6, 5]')})`,
      ],
      [
        'a config that is not an object',
        craft(source, (s) => {
          s.metadata.config = '[6, 5]';
        }),
        'loadModelInto: metadata.config must hold a JSON object, got an array of length 2',
      ],
      [
        'a config with an unknown key',
        craft(source, (s) => {
          s.metadata.config = JSON.stringify({ ...source.config, momentum: 0.9 });
        }),
        "loadModelInto: metadata.config.momentum is not an option of a 'fc' model (its options: hiddenDims, inputDim, numClasses, dropout, normalization, reg, weightScale, dtype, seed)",
      ],
      [
        'a config missing a key',
        craft(source, (s) => {
          const { reg: _, ...rest } = source.config;
          s.metadata.config = JSON.stringify(rest);
        }),
        'loadModelInto: metadata.config.reg is missing (the model has 0)',
      ],
      [
        'an invalid rng state',
        craft(source, (s) => {
          s.metadata.state = JSON.stringify({ rng: { s: [0, 0, 0, 0], spareNormal: null } });
        }),
        'loadModelInto: metadata.state is invalid: state.rng is not a valid Rng state (Rng.setState: state.s must be four 32-bit integers, not all zero)',
      ],
      [
        'an unknown state entry',
        craft(source, (s) => {
          s.metadata.state = JSON.stringify({ rng: null, epoch: 3 });
        }),
        "loadModelInto: metadata.state.epoch is not part of a model's state (only 'rng')",
      ],
    ];
    for (const [what, bytes, message] of cases) {
      it(`rejects ${what}`, () => {
        const target = createModel('fc', source.config);
        const before = snapshot(target);
        expectError(() => loadModelInto(target, bytes), FormatError, message);
        expect(snapshot(target)).toEqual(before);
        // loadModel reports the same problems, except those only a target model can reveal.
        if (!/the model (has|is)/.test(message)) {
          expectError(() => loadModel(bytes), FormatError, message.replace('loadModelInto:', 'loadModel:'));
        }
      });
    }

    it('loadModel rejects a recorded config the constructor refuses, or an unknown kind', () => {
      const badDropout = craft(source, (s) => {
        s.metadata.config = JSON.stringify({ ...source.config, dropout: 0 });
      });
      expectError(
        () => loadModel(badDropout),
        FormatError,
        'loadModel: metadata.config is invalid: FullyConnectedNet: options.dropout must be a finite number in (0, 1], got 0',
      );
      const unknownKind = craft(source, (s) => {
        s.metadata.kind = 'resnet';
      });
      expectError(
        () => loadModel(unknownKind),
        FormatError,
        "loadModel: metadata.kind is 'resnet', expected one of 'two-layer', 'fc', 'convnet'",
      );
      const missingKey = craft(source, (s) => {
        const { seed: _, ...rest } = source.config;
        s.metadata.config = JSON.stringify(rest);
      });
      expectError(() => loadModel(missingKey), FormatError, 'loadModel: metadata.config.seed is missing');
    });

    it('both loaders reject null for any option but normalization, naming it (a checkpoint records every value)', () => {
      const keys = Object.keys(source.config).filter((k) => k !== 'normalization');
      expect(keys).toHaveLength(8);
      for (const key of keys) {
        const bytes = craft(source, (s) => {
          s.metadata.config = JSON.stringify({ ...source.config, [key]: null });
        });
        const target = createModel('fc', source.config);
        const before = snapshot(target);
        let inner: string;
        try {
          new FullyConnectedNet({ ...source.config, [key]: { not: 'null' } });
          throw new Error('unreachable');
        } catch (e) {
          inner = (e as Error).message.replace('got object', 'got null');
        }
        expect(inner).toContain(`FullyConnectedNet: options.${key} must be`);
        expectError(() => loadModel(bytes), FormatError, `loadModel: metadata.config is invalid: ${inner}`);
        expectError(
          () => loadModelInto(target, bytes),
          FormatError,
          `loadModelInto: metadata.config is invalid: ${inner}`,
        );
        expect(snapshot(target)).toEqual(before);
      }
    });

    it('deserializeModel validates the same way', () => {
      const s = serializeModel(source);
      expectError(
        () =>
          deserializeModel({
            tensors: { ...s.tensors, b3: tensor([1, 2], { dtype: 'float64' }) },
            metadata: s.metadata,
          }),
        FormatError,
        "deserializeModel: tensor 'b3' has shape [2], expected [3]",
      );
      expectError(
        () => deserializeModel({ tensors: s.tensors, metadata: null as never }),
        FormatError,
        'deserializeModel: metadata must be an object of strings, got null',
      );
    });
  });

  describe('argument errors', () => {
    it('rejects things that are not built-in models or bytes', () => {
      const fake = { params: {}, loss: () => zeros([1, 1]) };
      expectError(
        () => serializeModel(fake as never),
        ValueError,
        'serializeModel: model must be a TwoLayerNet, FullyConnectedNet or ThreeLayerConvNet, got object',
      );
      expectError(
        () => loadModelInto(fake as never, new Uint8Array(8)),
        ValueError,
        'loadModelInto: model must be a TwoLayerNet, FullyConnectedNet or ThreeLayerConvNet, got object',
      );
      expectError(
        () => loadModel([1, 2, 3] as never),
        ValueError,
        'loadModel: bytes must be a Uint8Array, got an array of length 3',
      );
    });

    it('refuses to save params that were replaced by ones of the wrong shape or name', () => {
      const model = new TwoLayerNet({ inputDim: 4, hiddenDim: 3, numClasses: 2 });
      model.params.b2 = zeros([3]);
      expectError(
        () => saveModel(model),
        ShapeError,
        'serializeModel: model.params.b2 has shape [3], expected [2]',
      );
      model.params.b2 = zeros([2]);
      model.params.extra = zeros([2]);
      expectError(
        () => saveModel(model),
        ValueError,
        "serializeModel: model.params.extra is not a parameter of this 'two-layer' model",
      );
    });
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
