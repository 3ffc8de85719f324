import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { recentre } from '../../src/commands/eval';
import { CliFailure } from '../../src/errors';
import { parseJsonOutput, runBin, runMain, tempDir, writeTinyIdx } from '../helpers';

describe('recentre', () => {
  const t = (values: number[], shape: number[]) => new Tensor(Float64Array.from(values), shape);

  it('swaps the mean that was subtracted for the stored one: X + current - stored, per example', () => {
    const X = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const out = recentre(X, t([0.5, 0.5, 0.5], [3]), t([1, 0, 2], [3]));
    expect(Array.from(out.data)).toEqual([0.5, 2.5, 1.5, 3.5, 5.5, 4.5]);
    expect(Array.from(X.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('returns X itself when the means are equal, and refuses means of different sizes', () => {
    const X = t([1, 2], [1, 2]);
    expect(recentre(X, t([3, 4], [2]), t([3, 4], [2]))).toBe(X);
    expect(() => recentre(X, t([3, 4], [2]), t([1, 2, 3], [3]))).toThrow(CliFailure);
  });
});

describe('backprop eval', () => {
  it('gives the test accuracy train reported, with per-class accuracy and the confusion matrix (subprocess)', async () => {
    const dir = tempDir();
    const train = await runMain(
      [
        'train',
        '--dataset',
        'circles',
        '--hidden-dims',
        '20',
        '--normalization',
        'none',
        '--learning-rate',
        '1e-2',
        '--epochs',
        '3',
        '--json',
      ],
      { cwd: dir },
    );
    expect(train.code).toBe(0);
    const trained = parseJsonOutput(train.stdout);
    const evaluated = await runBin(['eval', '--checkpoint', 'model.safetensors', '--json'], { cwd: dir });
    expect(evaluated.code).toBe(0);
    const result = parseJsonOutput(evaluated.stdout);
    expect(result.testAcc).toBe(trained.testAcc);
    expect(result.dataset).toBe('circles');
    expect(result.examples).toBe(120);
    const confusion = result.confusion as number[][];
    expect(confusion).toHaveLength(3);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(120);
    const perClass = result.perClass as { name: string; accuracy: number; count: number }[];
    expect(perClass.map((p) => p.count)).toEqual(confusion.map((row) => row.reduce((a, b) => a + b, 0)));
    perClass.forEach((p, c) => {
      expect(p.accuracy).toBe(confusion[c][c] / p.count);
    });
  });

  it('evaluates a convnet trained on IDX files in --data-dir, printing the tables', async () => {
    const dir = tempDir();
    writeTinyIdx(dir);
    const train = await runMain(
      [
        'train',
        '--dataset',
        'mnist',
        '--data-dir',
        dir,
        '--num-val',
        '50',
        '--model',
        'convnet',
        '--num-filters',
        '4',
        '--filter-size',
        '3',
        '--hidden-dim',
        '16',
        '--weight-scale',
        '0.1',
        '--learning-rate',
        '1e-2',
        '--batch-size',
        '25',
        '--epochs',
        '4',
        '--json',
      ],
      { cwd: dir },
    );
    expect(train.code).toBe(0);
    const trained = parseJsonOutput(train.stdout);
    // The pattern is easy: the small convnet learns it.
    expect(trained.testAcc).toBeGreaterThan(0.8);
    const { code, stdout } = await runMain(['eval', '--checkpoint', 'model.safetensors'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain(
      `mnist test set: 100 examples, accuracy ${(trained.testAcc as number).toFixed(4)}`,
    );
    expect(stdout).toMatch(/^class +name +examples +accuracy$/m);
    expect(stdout).toMatch(/^ +7 +7 +10 +\d\.\d{4}$/m);
    expect(stdout).toContain('confusion matrix (rows: true class, columns: predicted class)');
    expect(stdout).toMatch(/^true +0 +1 +2 +3 +4 +5 +6 +7 +8 +9$/m);
    // Row 9 holds the 10 examples of class 9.
    const row9 = stdout
      .split('\n')
      .find((line) => /^ *9 /.test(line) && line.trim().split(/ +/).length === 11);
    expect(
      row9
        ?.trim()
        .split(/ +/)
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b, 0),
    ).toBe(10);

    // The same test images beside other training images: eval centres the test set with the
    // training mean stored in the checkpoint, not this directory's, so the accuracy is unchanged.
    // Rows 0-3 of every training image here are bright; centred with this set's own mean, the test
    // images of classes 0-7 would lose most of their block.
    const other = tempDir();
    writeTinyIdx(other);
    const trainImages = readFileSync(join(other, 'train-images-idx3-ubyte'));
    for (let i = 0; i < 300; i++) trainImages.fill(255, 16 + i * 64, 16 + i * 64 + 32);
    writeFileSync(join(other, 'train-images-idx3-ubyte'), trainImages);
    const moved = await runMain(
      ['eval', '--checkpoint', 'model.safetensors', '--data-dir', other, '--json'],
      {
        cwd: dir,
      },
    );
    expect(moved.code).toBe(0);
    expect(parseJsonOutput(moved.stdout).testAcc).toBe(trained.testAcc);
  });

  it('a --dataset the checkpoint was not trained on fails with exit 1 naming the mismatch', async () => {
    const dir = tempDir();
    expect(
      (await runMain(['train', '--dataset', 'xor', '--hidden-dims', '4', '--epochs', '1'], { cwd: dir }))
        .code,
    ).toBe(0);
    const { code, stderr } = await runMain(
      ['eval', '--checkpoint', 'model.safetensors', '--dataset', 'spiral'],
      { cwd: dir },
    );
    expect(code).toBe(1);
    expect(stderr).toBe(
      "error: the checkpoint's model scores 2 classes, the spiral test set has 3 classes\n",
    );
  });
});
