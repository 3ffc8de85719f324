import { describe, expect, it } from 'vitest';
import { Rng, matmul, tensor } from '@backprop/tensor';

describe('smoke', () => {
  it('multiplies', () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(matmul(a, a).toArray()).toEqual([[7, 10], [15, 22]]);
    expect(new Rng(1).next()).toBeLessThan(1);
    console.log(a.toString());
  });
});
