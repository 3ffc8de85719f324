import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPERIMENT_METADATA_KEY } from '@backprop/experiment';
import { loadModel } from '@backprop/models';
import { readCheckpointInfo } from '@backprop/solver';
import { describe, expect, it } from 'vitest';
import { parseJsonOutput, runBin, runMain, tempDir } from '../helpers';

// A quick toy run: 360 training points, 7 iterations per epoch.
const SPIRAL = [
  '--dataset',
  'spiral',
  '--hidden-dims',
  '50',
  '--normalization',
  'none',
  '--learning-rate',
  '1e-2',
  '--batch-size',
  '50',
  '--print-every',
  '5',
];

describe('backprop train', () => {
  it('runs end to end as a subprocess: exit 0, one JSON object on stdout, progress on stderr, a checkpoint', async () => {
    const dir = tempDir();
    const run = await runBin(['train', ...SPIRAL, '--epochs', '3', '--out', 'run.safetensors', '--json'], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    const result = parseJsonOutput(run.stdout);
    for (const key of [
      'trainAcc',
      'valAcc',
      'testAcc',
      'bestValAcc',
      'seconds',
      'secondsPerEpoch',
      'finalLoss',
    ]) {
      expect(typeof result[key], key).toBe('number');
    }
    expect(result.trainSeconds).toBeLessThanOrEqual(result.seconds as number);
    expect(result.epochs).toBe(3);
    expect(result.iterations).toBe(21);
    expect(result.checkpoint).toBe(join(dir, 'run.safetensors'));
    // Accuracy checks at the first iteration and each epoch end.
    expect(result.trainAccHistory).toHaveLength(4);
    expect(result.bestValAcc).toBe(Math.max(...(result.valAccHistory as number[])));
    expect(result.valAcc).toBe((result.valAccHistory as number[])[3]);
    expect((result.config as { model: { hiddenDims: number[] } }).model.hiddenDims).toEqual([50]);
    // The epoch table and progress lines went to stderr.
    expect(run.stderr).toMatch(/^epoch +iteration +loss +train acc +val acc +lr +time$/m);
    expect(run.stderr).toMatch(/^ +3 +21 +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} /m);
    expect(run.stderr).toContain('iteration 5/21');
    // The checkpoint holds the experiment, the mean image and a finished solver.
    const info = readCheckpointInfo(new Uint8Array(readFileSync(join(dir, 'run.safetensors'))));
    expect(JSON.parse(info.extra.metadata[EXPERIMENT_METADATA_KEY])).toEqual(result.config);
    expect(info.extra.tensors.mean.shape).toEqual([2]);
    expect(info.solver.iteration).toBe(21);
  });

  it('without --json prints the table and the summary on stdout', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await runMain(['train', ...SPIRAL, '--epochs', '2'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^epoch +iteration/);
    expect(stdout).toMatch(
      /best val accuracy \d\.\d{4}; test accuracy \d\.\d{4} \(120 examples, best-val parameters\)/,
    );
    expect(stderr).toContain(
      'spiral: 360 train, 120 val, 120 test, input [2], 3 classes; fc [50] float32; adam lr 0.01',
    );
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
  });

  it('applies --config, then the flags over it', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'exp.json'),
      JSON.stringify({
        seed: 3,
        data: { dataset: 'circles', numPoints: 200 },
        model: { hiddenDims: [8, 8] },
        solver: { numEpochs: 1 },
      }),
    );
    const { code, stdout } = await runMain(
      ['train', '--config', 'exp.json', '--hidden-dims', '12', '--update-rule', 'sgd-momentum', '--json'],
      {
        cwd: dir,
      },
    );
    expect(code).toBe(0);
    const config = parseJsonOutput(stdout).config as Record<string, Record<string, unknown>>;
    expect(config.seed).toBe(3);
    expect(config.data.dataset).toBe('circles');
    expect(config.data.numPoints).toBe(200);
    expect(config.model.hiddenDims).toEqual([12]);
    expect(config.solver.updateRule).toBe('sgdMomentum');
    expect(config.solver.numEpochs).toBe(1);
  });

  it('the same flags give the same numbers (everything is seeded)', async () => {
    const dir = tempDir();
    const a = parseJsonOutput(
      (await runMain(['train', ...SPIRAL, '--epochs', '2', '--out', 'a.st', '--json'], { cwd: dir })).stdout,
    );
    const b = parseJsonOutput(
      (await runMain(['train', ...SPIRAL, '--epochs', '2', '--out', 'b.st', '--json'], { cwd: dir })).stdout,
    );
    const c = parseJsonOutput(
      (
        await runMain(['train', ...SPIRAL, '--epochs', '2', '--seed', '1', '--out', 'c.st', '--json'], {
          cwd: dir,
        })
      ).stdout,
    );
    expect(b.valAccHistory).toEqual(a.valAccHistory);
    expect(b.finalLoss).toBe(a.finalLoss);
    expect(c.finalLoss).not.toBe(a.finalLoss);
  });

  it('Ctrl-C writes a resumable checkpoint; --resume continues to exactly the uninterrupted numbers', async () => {
    const dir = tempDir();
    const args = [...SPIRAL, '--epochs', '4', '--json'];
    const whole = await runMain(['train', ...args, '--out', 'whole.safetensors'], { cwd: dir });
    expect(whole.code).toBe(0);

    // Interrupt mid-epoch, at the progress line of iteration 10 (epoch 2 of 4).
    const cut = await runMain(['train', ...args, '--out', 'cut.safetensors'], {
      cwd: dir,
      interruptWhen: (stderr) => stderr.includes('iteration 10/28'),
    });
    expect(cut.code).toBe(130);
    expect(cut.stdout).toBe('');
    expect(cut.stderr).toContain(
      `Interrupted (Ctrl-C) at iteration 10/28 (epoch 1). Checkpoint written to ${join(dir, 'cut.safetensors')}.\n` +
        'Continue with: backprop train --resume cut.safetensors',
    );
    const saved = readCheckpointInfo(new Uint8Array(readFileSync(join(dir, 'cut.safetensors'))));
    expect(saved.solver.iteration).toBe(10);

    const resumed = await runMain(['train', '--resume', 'cut.safetensors', '--json'], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming at iteration 10');
    const a = parseJsonOutput(whole.stdout);
    const b = parseJsonOutput(resumed.stdout);
    for (const key of [
      'trainAccHistory',
      'valAccHistory',
      'trainAcc',
      'valAcc',
      'testAcc',
      'bestValAcc',
      'finalLoss',
      'iterations',
    ]) {
      expect(b[key], key).toEqual(a[key]);
    }
    expect(b.checkpoint).toBe(join(dir, 'cut.safetensors'));
    // The final models are equal bit for bit.
    const modelA = loadModel(new Uint8Array(readFileSync(join(dir, 'whole.safetensors'))));
    const modelB = loadModel(new Uint8Array(readFileSync(join(dir, 'cut.safetensors'))));
    for (const name of Object.keys(modelA.params)) {
      expect(Array.from(modelB.params[name].data), name).toEqual(Array.from(modelA.params[name].data));
    }
  });

  it('a real SIGINT to the process exits 130 with a resumable checkpoint', async () => {
    const dir = tempDir();
    let sent = false;
    const run = await runBin(
      ['train', ...SPIRAL, '--epochs', '400', '--print-every', '20', '--out', 'sig.safetensors'],
      {
        cwd: dir,
        onStderr: (stderr, kill) => {
          if (!sent && stderr.includes('iteration 20/')) {
            sent = true;
            kill('SIGINT');
          }
        },
      },
    );
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/Interrupted \(Ctrl-C\) at iteration \d+\/2800/);
    // Once, though the relaunching parent passes the signal on (a terminal sends it to both).
    expect(run.stderr.match(/Ctrl-C: stopping/g)).toHaveLength(1);
    const saved = readCheckpointInfo(new Uint8Array(readFileSync(join(dir, 'sig.safetensors'))));
    expect(saved.solver.iteration).toBeGreaterThanOrEqual(20);
    expect(saved.solver.iteration).toBeLessThan(2800);
  });

  it('--resume of a finished run fails with exit 1', async () => {
    const dir = tempDir();
    expect((await runMain(['train', ...SPIRAL, '--epochs', '1'], { cwd: dir })).code).toBe(0);
    const { code, stderr } = await runMain(['train', '--resume', 'model.safetensors'], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'error: model.safetensors holds a finished run (all 7 iterations); nothing to resume\n',
    );
  });
});
