import { type OptimConfig, optimizers, type UpdateRuleName } from '@backprop/optim';
import { Rng, randn, setKernelBackend, type Tensor } from '@backprop/tensor';
import { afterEach, describe, expect, it } from 'vitest';

const names = Object.keys(optimizers) as UpdateRuleName[];

/** Five steps of `name` on a w of `size` weights (default 20; 10007 crosses the kernels' 8192-float chunk). */
function run(name: UpdateRuleName, inPlace: boolean, dtype: 'float32' | 'float64', size = 20) {
  const rng = new Rng(7);
  let w: Tensor = randn([size], { rng, dtype });
  const start = w;
  let config: OptimConfig | undefined = { learningRate: 1e-2 };
  const history: number[][] = [];
  for (let step = 0; step < 5; step++) {
    const dw = randn([size], { rng, dtype });
    const out = optimizers[name](w, dw, config, { inPlace });
    w = out.nextW;
    config = out.config;
    history.push(Array.from(w.data));
  }
  return { w, start, history, config };
}

describe('update rules › inPlace', () => {
  for (const name of names) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${name} gives bit-identical numbers in place and out of place (${dtype})`, () => {
        const fresh = run(name, false, dtype);
        const inPlace = run(name, true, dtype);
        expect(inPlace.history).toEqual(fresh.history);
        expect(inPlace.w).toBe(inPlace.start); // written into the same tensor
        expect(fresh.w).not.toBe(fresh.start);
      });
    }

    it(`${name} in place writes into the state tensors it was given`, () => {
      const rng = new Rng(1);
      const w = randn([3], { rng, dtype: 'float64' });
      const first = optimizers[name](w, randn([3], { rng, dtype: 'float64' }), {});
      const state = { ...first.config };
      const second = optimizers[name](first.nextW, randn([3], { rng, dtype: 'float64' }), state, {
        inPlace: true,
      });
      for (const key of ['velocity', 'cache', 'm', 'v'] as const) {
        if (state[key]) expect(second.config[key]).toBe(state[key]);
      }
      expect(second.nextW).toBe(first.nextW);
    });

    it(`${name} rejects a bad options argument`, () => {
      const w = randn([2], { rng: new Rng(0), dtype: 'float64' });
      expect(() => optimizers[name](w, w.clone(), {}, { inPlace: 'yes' as unknown as boolean })).toThrow(
        `${name}: options.inPlace must be true or false, got 'yes'`,
      );
    });
  }
});

describe('float32 update rules: WebAssembly SIMD kernels and JavaScript loops', () => {
  afterEach(() => {
    setKernelBackend('auto');
  });

  for (const name of names) {
    it(`${name} gives the same bits with the kernels on and off, in place and not`, () => {
      for (const inPlace of [false, true]) {
        setKernelBackend('auto');
        const simd = run(name, inPlace, 'float32', 10007);
        setKernelBackend('ts');
        const js = run(name, inPlace, 'float32', 10007);
        expect(simd.history).toEqual(js.history);
      }
    });
  }
});
