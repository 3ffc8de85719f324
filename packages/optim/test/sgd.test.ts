import { sgd } from '@backprop/optim';
import { DTypeError, ShapeError, tensor, ValueError, zeros } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { expectError, grid, relError } from './helpers';

describe('sgd', () => {
  it('steps w − 1e-2·dw by default (values from numpy on the notebook inputs)', () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const { nextW, config } = sgd(w, dw);
    // python3: w - 1e-2 * dw with np.linspace inputs, N, D = 4, 5
    const expected = [
      -0.394, -0.3418947368421053, -0.28978947368421054, -0.23768421052631583, -0.1855789473684211,
      -0.13347368421052636, -0.08136842105263162, -0.029263157894736883, 0.022842105263157848,
      0.07494736842105258, 0.1270526315789473, 0.1791578947368421, 0.23126315789473678, 0.2833684210526315,
      0.33547368421052626, 0.387578947368421, 0.43968421052631573, 0.4917894736842104, 0.5438947368421052,
      0.596,
    ];
    expect(relError(nextW.data, expected)).toBeLessThan(1e-14);
    expect(nextW.shape).toEqual([4, 5]);
    expect(config).toEqual({ learningRate: 1e-2 });
  });

  it('uses the given learning rate: 2 − 0.5·4 = 0', () => {
    const { nextW } = sgd(tensor([2, -1]), tensor([4, -2]), { learningRate: 0.5 });
    expect(Array.from(nextW.data)).toEqual([0, 0]);
  });

  it('mutates neither w, dw nor the config', () => {
    const w = tensor([1, 2, 3], { dtype: 'float64' });
    const dw = tensor([1, 1, 1], { dtype: 'float64' });
    const config = { learningRate: 0.1 };
    const { nextW, config: next } = sgd(w, dw, config);
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
    expect(Array.from(dw.data)).toEqual([1, 1, 1]);
    expect(config).toEqual({ learningRate: 0.1 });
    expect(next).not.toBe(config);
    expect(nextW.data).not.toBe(w.data);
  });

  it('keeps the dtype', () => {
    expect(sgd(zeros([2], 'float32'), zeros([2], 'float32')).nextW.dtype).toBe('float32');
    expect(sgd(zeros([2], 'float64'), zeros([2], 'float64')).nextW.dtype).toBe('float64');
  });

  it('rejects bad arguments naming them', () => {
    const w = zeros([2, 3]);
    expectError(
      () => sgd(w, zeros([3, 2])),
      new ShapeError('sgd', 'dw', 'has shape [3,2], expected [2, 3] to match w'),
    );
    expectError(
      () => sgd(w, zeros([2, 3], 'float64')),
      new DTypeError('sgd', 'dw', 'has dtype float64, expected float32 to match w'),
    );
    expectError(
      () => sgd(w, w, { learningRate: 0 }),
      new ValueError('sgd', 'config.learningRate', 'must be a finite number > 0, got 0'),
    );
    expectError(
      () => sgd(w, w, { learningRate: Number.NaN }),
      new ValueError('sgd', 'config.learningRate', 'must be a finite number > 0, got NaN'),
    );
    expectError(
      () => sgd(w, w, { learning_rate: 1 } as never),
      new ValueError(
        'sgd',
        'config.learning_rate',
        'is not an option; the options are learningRate, momentum, velocity, decayRate, epsilon, cache, beta1, beta2, m, v, t',
      ),
    );
    expectError(() => sgd(w, w, 5 as never), new ValueError('sgd', 'config', 'must be an object, got 5'));
    expectError(() => sgd([1, 2] as never, w), new ValueError('sgd', 'w', 'must be a Tensor, got an array'));
  });
});
