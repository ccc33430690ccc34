// Temporary directories for tests: one made and removed by hand, or ones removed when the test file's
// process exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  dir: string;
  /** Writes `bytes` to `name` inside the directory and returns its path. */
  put(name: string, bytes: Uint8Array | string): Promise<string>;
  remove(): Promise<void>;
}

/** A fresh directory under the OS temp dir; the caller removes it. */
export function makeTempDir(prefix = 'ckpt-lens-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    async put(name, bytes) {
      const p = join(dir, name);
      await writeFile(p, bytes);
      return p;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Removes `dir` when the test file's process exits: after every `after` hook, so after the servers
 * and workers those hooks stop (an `after` hook of its own could run first, while a server still
 * writes there, and fail with ENOTEMPTY). A directory that cannot be removed is a warning.
 */
export function removeAtExit(dir: string): void {
  process.once('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.error(`could not remove the test directory ${dir}: ${(e as Error).message}`);
    }
  });
}

/** One directory shared by the tests of the calling file, removed when they are done. */
export function fileTempDir(prefix = 'ckpt-lens-'): TempDir {
  const tmp = makeTempDir(prefix);
  removeAtExit(tmp.dir);
  return tmp;
}

/** `tmp()` gives a fresh, empty directory each call; all are removed when the calling file's tests are done. */
export function tempDirFactory(prefix = 'ckpt-lens-'): () => string {
  return () => {
    const { dir } = makeTempDir(prefix);
    removeAtExit(dir);
    return dir;
  };
}
