// Node-only helpers ('@backprop/solver/node'): atomic file writes for checkpoints.
// Atomic = write a temporary file in the same directory, fsync it, rename it over the target, fsync the
// directory. rename(2) within one file system replaces the name in one step, so a reader (or a crash, or
// a kill -9 mid-write) sees either the old file or the complete new one, never a half-written file.
import fs from 'node:fs';
import nodePath from 'node:path';
import { describe, ValueError } from '@backprop/tensor';
import type { CheckpointWriter } from './options';

/** Bytes written per write(2) call; large checkpoints go out in chunks. */
const CHUNK_BYTES = 1 << 24;

function checkArgs(fn: string, file: unknown, bytes: unknown): asserts file is string {
  if (typeof file !== 'string' || file === '')
    throw new ValueError(fn, 'path', `must be a non-empty string, got ${describe(file)}`);
  if (!(bytes instanceof Uint8Array))
    throw new ValueError(fn, 'bytes', `must be a Uint8Array, got ${describe(bytes)}`);
}

function tempName(file: string): string {
  const random = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  return nodePath.join(nodePath.dirname(file), `.${nodePath.basename(file)}.${process.pid}.${random}.tmp`);
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable. Some platforms (Windows) cannot open a directory: best effort there.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `bytes` to `path` atomically (synchronously): a temp file in the same directory, fsync, rename.
 * If anything fails, the temp file is removed and whatever was at `path` before is left untouched.
 * @param path - the file to create or replace; its directory must exist
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  checkArgs('writeFileAtomicSync', path, bytes);
  const temp = tempName(path);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o644);
    for (let offset = 0; offset < bytes.length; ) {
      offset += fs.writeSync(fd, bytes, offset, Math.min(CHUNK_BYTES, bytes.length - offset));
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectory(nodePath.dirname(path));
}

/**
 * Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename.
 * If anything fails, the temp file is removed and whatever was at `path` before is left untouched.
 * @param path - the file to create or replace; its directory must exist
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  checkArgs('writeFileAtomic', path, bytes);
  const temp = tempName(path);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temp, 'wx', 0o644);
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesWritten } = await handle.write(
        bytes,
        offset,
        Math.min(CHUNK_BYTES, bytes.length - offset),
      );
      offset += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await fs.promises.rm(temp, { force: true });
    throw error;
  }
  fsyncDirectory(nodePath.dirname(path));
}

/**
 * A Solver `checkpointWriter` that writes each epoch-end checkpoint atomically as a file: `name` is
 * `${checkpointName}_epoch_${epoch}.safetensors`, resolved against `directory` (default: the working directory).
 * A name that would land outside `directory` (absolute, or climbing out with `..`) is refused: a resumed
 * run takes its checkpointName from the checkpoint file, and a file must not choose where we write.
 * @throws ValueError (when a checkpoint is written) for a name that resolves outside `directory`
 */
export function fileCheckpointWriter(directory = '.'): CheckpointWriter {
  if (typeof directory !== 'string') {
    throw new ValueError('fileCheckpointWriter', 'directory', `must be a string, got ${describe(directory)}`);
  }
  const root = nodePath.resolve(directory);
  return (name, bytes) => {
    const path = nodePath.resolve(root, name);
    const inside = nodePath.relative(root, path);
    if (
      typeof name !== 'string' ||
      name.includes('\0') ||
      inside === '' ||
      inside === '..' ||
      inside.startsWith(`..${nodePath.sep}`) ||
      nodePath.isAbsolute(inside)
    ) {
      throw new ValueError(
        'fileCheckpointWriter',
        'name',
        `${describe(name)} resolves outside the checkpoint directory ${root}; use a plain file name (is checkpointName from an untrusted file?)`,
      );
    }
    writeFileAtomicSync(path, bytes);
  };
}
