import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValueError } from '@backprop/tensor';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Solver } from '../src';
import { fileCheckpointWriter, writeFileAtomic, writeFileAtomicSync } from '../src/node';
import { overfitData, SoftmaxRegression } from './helpers';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backprop-solver-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const filled = (n: number, v: number) => new Uint8Array(n).fill(v);
const entries = () => fs.readdirSync(dir).sort();

describe.each([
  ['writeFileAtomicSync', async (p: string, b: Uint8Array) => writeFileAtomicSync(p, b)],
  ['writeFileAtomic', writeFileAtomic],
] as const)('%s', (name, write) => {
  test('creates and replaces a file with exactly the bytes, leaving no temp file', async () => {
    const file = path.join(dir, 'model.safetensors');
    await write(file, filled(1000, 7));
    expect(fs.readFileSync(file)).toEqual(Buffer.from(filled(1000, 7)));
    await write(file, new Uint8Array([1, 2, 3]));
    expect([...fs.readFileSync(file)]).toEqual([1, 2, 3]);
    await write(file, new Uint8Array(0));
    expect(fs.readFileSync(file).length).toBe(0);
    expect(entries()).toEqual(['model.safetensors']);
  });

  test('rejects bad arguments naming them', async () => {
    await expect(async () => write('', new Uint8Array(1))).rejects.toThrow(ValueError);
    await expect(async () => write('', new Uint8Array(1))).rejects.toThrow(
      `${name}: path must be a non-empty string, got ''`,
    );
    // @ts-expect-error not bytes
    await expect(async () => write(path.join(dir, 'x'), [1, 2])).rejects.toThrow(
      `${name}: bytes must be a Uint8Array, got an array of length 2`,
    );
  });

  test('a missing directory fails without creating anything', async () => {
    await expect(async () => write(path.join(dir, 'no', 'file'), new Uint8Array(1))).rejects.toThrow(
      /ENOENT/,
    );
    expect(entries()).toEqual([]);
  });
});

describe('atomicity', () => {
  test('writeFileAtomicSync: a write that fails mid-way leaves the old file intact and no temp file', () => {
    const file = path.join(dir, 'ckpt.safetensors');
    fs.writeFileSync(file, filled(4096, 1));
    const realWriteSync = fs.writeSync;
    vi.spyOn(fs, 'writeSync').mockImplementation(((
      fd: number,
      buffer: Uint8Array,
      offset: number,
      length: number,
    ) => {
      realWriteSync(fd, buffer, offset, Math.floor(length / 2)); // half of it reaches the disk...
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); // ...then the disk fills
    }) as unknown as typeof fs.writeSync);
    expect(() => writeFileAtomicSync(file, filled(1 << 20, 2))).toThrow('ENOSPC: no space left on device');
    expect(fs.readFileSync(file)).toEqual(Buffer.from(filled(4096, 1)));
    expect(entries()).toEqual(['ckpt.safetensors']);
  });

  test('writeFileAtomic: a write that fails mid-way leaves the old file intact and no temp file', async () => {
    const file = path.join(dir, 'ckpt.safetensors');
    fs.writeFileSync(file, filled(4096, 1));
    const realOpen = fs.promises.open;
    vi.spyOn(fs.promises, 'open').mockImplementation(async (...args: Parameters<typeof realOpen>) => {
      const handle = await realOpen(...args);
      const realWrite = handle.write.bind(handle) as (
        b: Uint8Array,
        o: number,
        l: number,
      ) => Promise<unknown>;
      Object.assign(handle, {
        write: async (buffer: Uint8Array, offset: number, length: number) => {
          await realWrite(buffer, offset, Math.floor(length / 2));
          throw new Error('EIO: i/o error, write');
        },
      });
      return handle;
    });
    await expect(writeFileAtomic(file, filled(1 << 20, 2))).rejects.toThrow('EIO: i/o error, write');
    expect(fs.readFileSync(file)).toEqual(Buffer.from(filled(4096, 1)));
    expect(entries()).toEqual(['ckpt.safetensors']);
  });

  test('a failing rename leaves the old file intact and removes the temp file', () => {
    const file = path.join(dir, 'ckpt.safetensors');
    fs.writeFileSync(file, filled(10, 1));
    vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw new Error('EXDEV: cross-device link not permitted');
    });
    expect(() => writeFileAtomicSync(file, filled(20, 2))).toThrow('EXDEV');
    expect(fs.readFileSync(file)).toEqual(Buffer.from(filled(10, 1)));
    expect(entries()).toEqual(['ckpt.safetensors']);
  });

  test('killing the writing process (SIGKILL) mid-write never leaves a torn file', async () => {
    const file = path.join(dir, 'big.bin');
    const megabytes = 16;
    const size = megabytes * 2 ** 20;
    fs.writeFileSync(file, filled(size, 0));
    const child = spawn(
      process.execPath,
      [
        '--conditions=@backprop/source',
        '--import',
        'tsx',
        'test/fixtures/atomic-writer.ts',
        file,
        String(megabytes),
      ],
      { cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Kill it right after it announces its third version, i.e. while that version is being written.
    const announced = await new Promise<number>((resolve, reject) => {
      let lines = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        lines += chunk.toString().split('\n').filter(Boolean).length;
        if (lines >= 3) {
          child.kill('SIGKILL');
          resolve(lines);
        }
      });
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    await new Promise((resolve) => child.once('close', resolve));
    expect(announced).toBeGreaterThanOrEqual(3);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(size);
    const version = bytes[0];
    expect(version).toBeGreaterThanOrEqual(1); // at least the first version landed in full...
    expect(version).toBeLessThanOrEqual(announced);
    expect(bytes.every((b) => b === version)).toBe(true); // ...and the file is one whole version
  }, 30_000);
});

describe('fileCheckpointWriter', () => {
  test('writes each epoch-end checkpoint as a file that resumes the run', () => {
    const data = overfitData(20, [3], 2, 1);
    const options = { verbose: false, batchSize: 5, numEpochs: 2, checkpointName: 'run' } as const;
    const solver = new Solver(new SoftmaxRegression(3, 2), data, {
      ...options,
      checkpointWriter: fileCheckpointWriter(dir),
    });
    solver.train();
    expect(entries()).toEqual(['run_epoch_1.safetensors', 'run_epoch_2.safetensors']);
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'run_epoch_1.safetensors')));
    const resumed = Solver.resume(bytes, data, { model: new SoftmaxRegression(3, 2) });
    expect(resumed.iteration).toBe(4);
    resumed.train();
    expect(resumed.lossHistory).toEqual(solver.lossHistory);
  });

  test('rejects a non-string directory', () => {
    // @ts-expect-error not a string
    expect(() => fileCheckpointWriter(3)).toThrow('fileCheckpointWriter: directory must be a string, got 3');
  });
});

describe('browser safety', () => {
  test('nothing the main entry imports touches Node built-ins (only src/node.ts does)', () => {
    const src = path.join(packageRoot, 'src');
    for (const file of fs.readdirSync(src).filter((f) => f.endsWith('.ts') && f !== 'node.ts')) {
      const text = fs.readFileSync(path.join(src, file), 'utf8');
      expect({ file, nodeImports: text.match(/from '(node:[^']+|fs|path|os|child_process)'/g) }).toEqual({
        file,
        nodeImports: null,
      });
      expect({ file, importsNodeEntry: /from '\.\/node'/.test(text) }).toEqual({
        file,
        importsNodeEntry: false,
      });
    }
  });
});
