import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentFlags } from '../src/experiment-flags';
import { runMain, tempDir } from './helpers';

describe('backprop --help', () => {
  it('lists every command and exits 0', async () => {
    const { code, stdout } = await runMain(['--help']);
    expect(code).toBe(0);
    for (const command of ['train', 'eval', 'gradcheck', 'bench', 'data'])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each(['train', 'eval', 'gradcheck', 'bench', 'data'])(
    '%s --help exits 0 with its usage',
    async (command) => {
      const { code, stdout } = await runMain([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: backprop ${command} [options]`);
      expect(stdout).toContain('--json');
    },
  );

  it('train --help shows every experiment flag with the default experiment value', async () => {
    const { stdout } = await runMain(['train', '--help']);
    const text = stdout.replace(/\s+/g, ' '); // help wraps at the terminal width
    for (const flag of experimentFlags) expect(text).toContain(` ${flag.flags} `);
    expect(text).toContain(
      '--hidden-dims <list> fc: hidden layer sizes, comma-separated (empty: softmax classifier) (default: 256,128)',
    );
    expect(text).toContain(
      '--update-rule <name> optimizer (default: adam) (choices: "sgd", "sgd-momentum", "rmsprop", "adam")',
    );
    expect(text).toContain(
      "--num-val-samples <n> validation examples sampled to measure val accuracy ('all' for all) (default: all)",
    );
    for (const flag of ['--config <file>', '--out <file>', '--resume <file>']) expect(stdout).toContain(flag);
  });

  it('--version prints the version and exits 0', async () => {
    const { code, stdout } = await runMain(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bad usage exits 2 with a message saying what was expected', () => {
  const cases: [string, string[], string][] = [
    ['an unknown command', ['fly'], "error: unknown command 'fly'"],
    ['an unknown flag', ['train', '--bogus'], "error: unknown option '--bogus'"],
    ['a flag without its value', ['train', '--epochs'], "error: option '--epochs <n>' argument missing"],
    [
      'a word for a number',
      ['train', '--learning-rate', 'fast'],
      "error: option '--learning-rate <x>' argument 'fast' is invalid. Expected a number, got 'fast'.",
    ],
    [
      'a fraction for an integer',
      ['train', '--batch-size', '2.5'],
      "error: option '--batch-size <n>' argument '2.5' is invalid. Expected an integer, got '2.5'.",
    ],
    [
      'a value out of range (checked by the experiment schema)',
      ['train', '--batch-size', '0'],
      "error: option '--batch-size <n>' must be an integer >= 1, got 0",
    ],
    [
      'a bad element of a list',
      ['train', '--hidden-dims', '100,0'],
      "error: option '--hidden-dims <list>' must be an integer >= 1, got 0",
    ],
    [
      'a value not among the choices',
      ['train', '--update-rule', 'sgd_momentum'],
      "error: option '--update-rule <name>' argument 'sgd_momentum' is invalid. Allowed choices are sgd, sgd-momentum, rmsprop, adam.",
    ],
    [
      'an even filter size',
      ['train', '--filter-size', '4'],
      "error: option '--filter-size <n>' must be an odd integer >= 1, got 4",
    ],
    [
      'a convnet on a toy set',
      ['train', '--model', 'convnet', '--dataset', 'spiral'],
      "error: option '--model <name>' 'convnet' needs an image dataset, got data.dataset 'spiral' (2-D points): use 'fc' or 'two-layer'",
    ],
    [
      '--out in a directory that does not exist',
      ['train', '--dataset', 'xor', '--out', '/nonexistent/dir/m.safetensors'],
      "error: option '--out <file>': cannot write to /nonexistent/dir (no such directory, or no permission)",
    ],
    ['eval without --checkpoint', ['eval'], "error: required option '--checkpoint <file>' not specified"],
    [
      '--resume with experiment flags',
      ['train', '--resume', 'x.safetensors', '--epochs', '3'],
      'error: --resume continues the experiment saved in the checkpoint; it cannot be combined with --epochs',
    ],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const { code, stderr, stdout } = await runMain(args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(message);
    expect(stderr).toContain('(add --help for usage)');
    expect(stdout).toBe('');
  });

  it('no command at all shows the help on stderr', async () => {
    const { code, stderr } = await runMain([]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: backprop [options] [command]');
  });

  it('--config: a missing file, invalid JSON and a bad field name the file and the field', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.json'), '{ "model": ');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ model: { hiddenDims: [10, -1] } }));
    writeFileSync(join(dir, 'unknown.json'), JSON.stringify({ solver: { learningRat: 1 } }));
    const missing = await runMain(['train', '--config', 'nope.json'], { cwd: dir });
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([
      2,
      'error: --config nope.json: no such file',
    ]);
    const broken = await runMain(['train', '--config', 'broken.json'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^error: --config broken.json is not valid JSON: /);
    const bad = await runMain(['train', '--config', 'bad.json'], { cwd: dir });
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([
      2,
      'error: --config bad.json: model.hiddenDims[1] must be an integer >= 1, got -1',
    ]);
    const unknown = await runMain(['train', '--config', 'unknown.json'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toMatch(
      /^error: --config unknown.json: solver.learningRat is not a known field; expected one of /,
    );
  });
});

describe('failures exit 1', () => {
  it('eval of a missing checkpoint', async () => {
    const dir = tempDir();
    const { code, stderr } = await runMain(['eval', '--checkpoint', 'missing.safetensors'], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toBe(`error: checkpoint ${join(dir, 'missing.safetensors')} does not exist\n`);
  });

  it('eval of a file that is not a checkpoint', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'junk.safetensors'), 'not a safetensors file at all');
    const { code, stderr } = await runMain(['eval', '--checkpoint', 'junk.safetensors'], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(`^error: ${join(dir, 'junk.safetensors')} is not a backprop training checkpoint: `),
    );
  });

  it('train on a dataset directory that does not exist says how to get the data', async () => {
    const { code, stderr } = await runMain([
      'train',
      '--dataset',
      'cifar10',
      '--data-dir',
      '/nonexistent/cifar',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain("'/nonexistent/cifar' does not exist");
    expect(stderr).toContain('https://www.cs.toronto.edu/~kriz/cifar.html');
  });
});
