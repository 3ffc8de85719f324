import { Tensor } from '@backprop/tensor';
import { describe, expect, it } from 'vitest';
import { runGradcheck } from '../../src/commands/gradcheck';
import type { CliContext } from '../../src/context';
import { CliFailure } from '../../src/errors';
import { ABSOLUTE_NOISE_FLOOR, compareGradients, type GradCheck, gradChecks } from '../../src/gradchecks';
import { parseJsonOutput, runMain } from '../helpers';

const t = (values: number[]) => new Tensor(Float64Array.from(values), [values.length]);

describe('compareGradients', () => {
  it("reports CS231n's max relative error and the max absolute error", () => {
    const c = compareGradients({ numeric: t([1, -2, 0.5]), analytic: t([1, -2.02, 0.5]) }, 1e-7);
    expect(c.relError).toBeCloseTo(0.02 / 4.02, 15);
    expect(c.absError).toBeCloseTo(0.02, 15);
    expect(c.pass).toBe(false);
  });

  it('passes entries near 0 whose difference is below the absolute noise floor', () => {
    // Relative error 1 (0 vs 5e-10), but a difference no centered difference can resolve.
    const c = compareGradients({ numeric: t([0.3, 5e-10]), analytic: t([0.3, 0]) }, 1e-7);
    expect(c.relError).toBeGreaterThan(1e-2);
    expect(c.pass).toBe(true);
    const above = compareGradients(
      { numeric: t([0.3, 3 * ABSOLUTE_NOISE_FLOOR]), analytic: t([0.3, 0]) },
      1e-7,
    );
    expect(above.pass).toBe(false);
  });

  it('fails on NaN and on a size mismatch', () => {
    expect(compareGradients({ numeric: t([1, Number.NaN]), analytic: t([1, 1]) }, 1e-7)).toEqual({
      relError: Number.NaN,
      absError: Number.NaN,
      pass: false,
    });
    expect(compareGradients({ numeric: t([1]), analytic: t([1, 2]) }, 1e-7).pass).toBe(false);
  });
});

function recordingContext(): CliContext & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (text) => out.push(text),
    stderr: () => {},
    progressStream: null,
    stdoutIsTTY: false,
    cwd: process.cwd(),
    onInterrupt: () => () => {},
  };
}

describe('backprop gradcheck', () => {
  it('every layer, loss and model gradient of the library matches its numerical gradient (exit 0)', async () => {
    const { code, stdout } = await runMain(['gradcheck', '--json']);
    expect(code).toBe(0);
    const result = parseJsonOutput(stdout) as { passed: boolean; checks: { check: string; pass: boolean }[] };
    expect(result.passed).toBe(true);
    const names = new Set(result.checks.map((r) => r.check));
    expect([...names]).toEqual(gradChecks().map((c) => c.name));
    for (const name of [
      'affineBackward',
      'convBackward',
      'maxPoolBackward',
      'spatialGroupnormBackward',
      'softmaxLoss',
      'ThreeLayerConvNet',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('a filter runs only the matching checks and prints the table', async () => {
    const { code, stdout } = await runMain(['gradcheck', 'relu']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^check +gradient +rel error +abs error +tolerance +result$/m);
    expect(stdout).toMatch(/^reluBackward +dx +\d\.\d\de-\d+ +\d\.\d\de-\d+ +1\.00e-7 +pass$/m);
    expect(stdout).toMatch(/^affineReluBackward +dw /m);
    expect(stdout).not.toContain('convBackward');
  });

  it('a filter that matches nothing fails with exit 1', async () => {
    const { code, stderr } = await runMain(['gradcheck', 'nothing-like-this']);
    expect(code).toBe(1);
    expect(stderr).toBe("error: no gradient check matches 'nothing-like-this'\n");
  });

  it('a wrong gradient or a check that throws is a FAIL row, and the command fails', () => {
    const wrong: GradCheck = {
      name: 'wrong',
      group: 'layer',
      tolerance: 1e-7,
      run: () => ({ dx: { numeric: t([1, 2]), analytic: t([1, 2.5]) } }),
    };
    const broken: GradCheck = {
      name: 'broken',
      group: 'layer',
      tolerance: 1e-7,
      run: () => {
        throw new Error('no such layer');
      },
    };
    const ctx = recordingContext();
    expect(() => runGradcheck(undefined, {}, ctx, [wrong, broken])).toThrow(
      new CliFailure('gradcheck: 2 of 2 gradients failed: wrong, broken'),
    );
    const text = ctx.out.join('');
    expect(text).toMatch(/^wrong +dx +1\.11e-1 +5\.00e-1 +1\.00e-7 +FAIL$/m);
    expect(text).toMatch(/^broken +- +- +- +1\.00e-7 +FAIL: no such layer$/m);
  });
});
