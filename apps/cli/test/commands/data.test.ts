import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readIdxDims } from '../../src/dataset-headers';
import { parseJsonOutput, runMain, tempDir, writeTinyIdx } from '../helpers';

interface Row {
  dataset: string;
  dir: string;
  found: boolean;
  given: boolean;
  missing: string[];
  hint?: string;
  contents?: { train: number; test: number; imageShape: number[]; classes: string[] };
}

describe('backprop data', () => {
  it('lists the embedded subset and the system dataset directories', async () => {
    const { code, stdout } = await runMain(['data', '--json']);
    expect(code).toBe(0);
    const { datasets, toy } = parseJsonOutput(stdout) as { datasets: Row[]; toy: string[] };
    expect(datasets.map((d) => d.dataset)).toEqual(['embedded', 'fashion-mnist', 'mnist', 'cifar10']);
    expect(datasets.every((d) => !d.given)).toBe(true);
    expect(toy).toEqual(['spiral', 'circles', 'xor', 'gaussian']);
    for (const d of datasets) {
      if (d.found) expect(d.contents?.imageShape.length).toBe(3);
      else expect(d.hint).toBeTruthy();
    }
  });

  it('describes a dataset in a given directory', async () => {
    const dir = tempDir();
    writeTinyIdx(dir);
    const { code, stdout } = await runMain(['data', '--data-dir', dir, '--json']);
    expect(code).toBe(0);
    const given = (parseJsonOutput(stdout).datasets as Row[]).filter((d) => d.given);
    expect(given).toHaveLength(1);
    expect(given[0].found).toBe(true);
    expect(given[0].dir).toBe(dir);
    expect(given[0].contents).toEqual({
      train: 300,
      test: 100,
      imageShape: [1, 8, 8],
      classes: expect.any(Array),
    });
    const table = await runMain(['data', '--data-dir', dir]);
    expect(table.stdout).toMatch(new RegExp(`^fashion-mnist +found +300 +100 +1x8x8 +${dir}$`, 'm'));
  });

  it('reads the dimensions of plain and gzipped IDX files from their headers', async () => {
    const dir = tempDir();
    writeTinyIdx(dir, { train: 70, test: 30 });
    for (const file of readdirSync(dir)) {
      writeFileSync(join(dir, `${file}.gz`), gzipSync(readFileSync(join(dir, file))));
    }
    expect(await readIdxDims(join(dir, 'train-images-idx3-ubyte'))).toEqual([70, 8, 8]);
    expect(await readIdxDims(join(dir, 'train-images-idx3-ubyte.gz'))).toEqual([70, 8, 8]);
    expect(await readIdxDims(join(dir, 't10k-labels-idx1-ubyte.gz'))).toEqual([30]);
    writeFileSync(join(dir, 'short'), new Uint8Array([0, 0, 8, 3, 0, 0]));
    await expect(readIdxDims(join(dir, 'short'))).rejects.toThrow(
      `${join(dir, 'short')} is truncated inside its header`,
    );
    writeFileSync(join(dir, 'text'), 'hello world, not idx');
    await expect(readIdxDims(join(dir, 'text'))).rejects.toThrow('is not an IDX file (bad magic)');
    // Only the gzipped files left: still found and described.
    for (const file of readdirSync(dir).filter((f) => !f.endsWith('.gz'))) rmSync(join(dir, file));
    const { code, stdout } = await runMain(['data', '--data-dir', dir, '--json']);
    expect(code).toBe(0);
    const given = (parseJsonOutput(stdout).datasets as Row[]).find((d) => d.given);
    expect(given?.contents).toMatchObject({ train: 70, test: 30, imageShape: [1, 8, 8] });
  });

  it('a given directory without a dataset fails with exit 1 and says how to get the data', async () => {
    const dir = tempDir();
    const { code, stdout, stderr } = await runMain(['data', '--data-dir', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain(`fashion-mnist in ${dir}: missing train-images-idx3-ubyte[.gz]`);
    expect(stdout).toContain('apt-get install -y dataset-fashion-mnist');
    expect(stdout).toContain('pass their directory with --data-dir');
    expect(stderr).toBe(`error: no complete dataset in ${dir} (see above for what is missing)\n`);
  });
});
