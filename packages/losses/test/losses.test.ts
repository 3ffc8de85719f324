import { evalNumericalGradient, relError } from '@backprop/gradcheck';
import { linspace, Rng, randn, ShapeError, type Tensor, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { softmaxLoss, svmLoss } from '../src/index';

function expectThrow(fn: () => unknown, cls: new (...args: never[]) => Error, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name}: ${message}`).toBeInstanceOf(cls);
  expect((caught as Error).message).toBe(message);
}

function scores(
  N: number,
  C: number,
  seed: number,
  std = 1,
  dtype: 'float32' | 'float64' = 'float64',
): Tensor {
  return randn([N, C], { rng: new Rng(seed), dtype, std });
}

function labels(N: number, C: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: N }, () => rng.integer(0, C));
}

const losses = { svmLoss, softmaxLoss } as const;

describe('svmLoss', () => {
  it('gives the hinge loss and gradient derived by hand for linspace scores', () => {
    // x = linspace(0, 6.6, 12) as rows [0, .6, 1.2, 1.8], [2.4, 3, 3.6, 4.2], [4.8, 5.4, 6, 6.6]; y = [3, 0, 2].
    // Margins x_j − x_y + 1: row 0 → (−.8, −.2, .4): 0.4;  row 1 → (1.6, 2.2, 2.8): 6.6;
    // row 2 → (−.2, .4, 1.6): 2.0.  Loss = 9.0 / 3 = 3.
    const x = linspace(0, 6.6, 12, 'float64').reshape([3, 4]);
    const { loss, dx } = svmLoss(x, [3, 0, 2]);
    expect(loss).toBeCloseTo(3, 14);
    const third = 1 / 3;
    const expected = [0, 0, third, -third, -1, third, third, third, 0, third, -2 * third, third];
    expect(dx.shape).toEqual([3, 4]);
    for (let i = 0; i < 12; i++) expect(dx.data[i]).toBeCloseTo(expected[i], 14);
  });

  it('is about C − 1 for small random scores (every margin ~1)', () => {
    const { loss } = svmLoss(scores(50, 10, 1, 0.001), labels(50, 10, 2));
    expect(loss).toBeCloseTo(9, 1);
  });
});

describe('softmaxLoss', () => {
  it('gives the loss and gradient of numpy for linspace scores', () => {
    const x = linspace(-1, 1, 12, 'float64').reshape([3, 4]);
    const { loss, dx } = softmaxLoss(x, new Uint8Array([0, 3, 1]));
    // numpy 2.4: s = x - x.max(1, keepdims=True); p = exp(s) / exp(s).sum(1, keepdims=True);
    //            loss = -log(p[arange(3), y]).mean(); dx = (p - onehot(y)) / 3
    expect(loss).toBeCloseTo(1.4371625955569283, 14);
    const expected = tensor(
      [
        [-0.2711830018009722, 0.07454286538012088, 0.0894064221714655, 0.10723371424938583],
        [0.06215033153236113, 0.07454286538012088, 0.0894064221714655, -0.2260996190839475],
        [0.06215033153236113, -0.2587904679532124, 0.08940642217146551, 0.10723371424938583],
      ],
      { dtype: 'float64' },
    );
    expect(relError(dx, expected)).toBeLessThan(1e-13);
  });

  it('is about log(C) for small random scores', () => {
    const { loss } = softmaxLoss(scores(50, 10, 1, 0.001), labels(50, 10, 2));
    expect(loss).toBeCloseTo(Math.log(10), 2);
  });

  it('gives each row of dx a zero sum (probabilities minus a one-hot)', () => {
    const { dx } = softmaxLoss(scores(7, 5, 3), labels(7, 5, 4));
    for (let n = 0; n < 7; n++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += dx.data[n * 5 + j];
      expect(Math.abs(s)).toBeLessThan(1e-16);
    }
  });
});

for (const [name, loss] of Object.entries(losses)) {
  describe(name, () => {
    it('matches the numerical gradient in float64', () => {
      const x = scores(50, 10, 11, 0.001);
      const y = labels(50, 10, 12);
      const { dx } = loss(x, y);
      const dxNum = evalNumericalGradient((v) => loss(v, y).loss, x);
      expect(relError(dx, dxNum)).toBeLessThan(1e-7);
    });

    it('matches the numerical gradient in float64 for unit-scale scores', () => {
      const x = scores(8, 6, 13, 1);
      const y = labels(8, 6, 14);
      const dxNum = evalNumericalGradient((v) => loss(v, y).loss, x);
      expect(relError(loss(x, y).dx, dxNum)).toBeLessThan(1e-7);
    });

    it('stays finite for huge scores', () => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = tensor(
          [
            [1e30, -1e30, 3e30],
            [-2e30, 5e29, 0],
          ],
          { dtype },
        );
        const { loss: value, dx } = loss(x, [0, 2]);
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBeGreaterThan(0);
        for (const v of dx.data) expect(Number.isFinite(v)).toBe(true);
      }
    });

    it('works in float32, close to float64', () => {
      const x = scores(6, 4, 21, 1, 'float32');
      const y = [0, 1, 2, 3, 0, 1];
      const r32 = loss(x, y);
      const r64 = loss(x.astype('float64'), y);
      expect(r32.dx.dtype).toBe('float32');
      expect(r32.loss).toBeCloseTo(r64.loss, 12); // accumulated in float64 from the same inputs
      for (let i = 0; i < x.size; i++) expect(r32.dx.data[i]).toBeCloseTo(r64.dx.data[i], 7);
    });

    it('accepts Int32Array, Uint8Array and number[] labels alike', () => {
      const x = scores(3, 4, 5);
      const a = loss(x, Int32Array.from([1, 0, 3]));
      const b = loss(x, Uint8Array.from([1, 0, 3]));
      const c = loss(x, [1, 0, 3]);
      expect(b.loss).toBe(a.loss);
      expect(c.loss).toBe(a.loss);
      expect(Array.from(c.dx.data)).toEqual(Array.from(a.dx.data));
    });

    it('does not modify x', () => {
      const x = scores(4, 3, 6);
      const before = Array.from(x.data);
      loss(x, [0, 1, 2, 0]);
      expect(Array.from(x.data)).toEqual(before);
    });

    it('rejects bad scores and labels, naming them', () => {
      const x = zeros([2, 3], 'float64');
      expectThrow(
        () => loss(x, [0, 3]),
        ValueError,
        `${name}: y[1] is 3, expected an integer label in [0, 3)`,
      );
      expectThrow(
        () => loss(x, [0, 1.5]),
        ValueError,
        `${name}: y[1] is 1.5, expected an integer label in [0, 3)`,
      );
      expectThrow(
        () => loss(x, [-1, 0]),
        ValueError,
        `${name}: y[0] is -1, expected an integer label in [0, 3)`,
      );
      expectThrow(
        () => loss(x, [0, 1, 2]),
        ValueError,
        `${name}: y has 3 labels, expected 2 to match the batch size`,
      );
      expectThrow(
        () => loss(x, 2 as never),
        ValueError,
        `${name}: y must be an array of 2 integer labels, got 2`,
      );
      expectThrow(
        () => loss(zeros([0, 3], 'float64'), []),
        ShapeError,
        `${name}: x has shape [0,3], expected N >= 1 (the loss is a mean over the batch)`,
      );
      expectThrow(
        () => loss(zeros([2, 0], 'float64'), [0, 0]),
        ShapeError,
        `${name}: x has shape [2,0], expected C >= 1 class scores per example`,
      );
      expectThrow(
        () => loss(zeros([6], 'float64'), [0]),
        ShapeError,
        `${name}: x has shape [6], expected [N, C]`,
      );
      expectThrow(() => loss(null as never, [0]), ValueError, `${name}: x must be a Tensor, got null`);
    });
  });
}
