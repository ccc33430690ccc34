// Temporary directories for tests: one made and removed by hand, or ones removed after the test file.
import { after } from 'node:test';
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

/** One directory shared by the tests of the calling file, removed after them. Call at top level. */
export function fileTempDir(prefix = 'ckpt-lens-'): TempDir {
  const tmp = makeTempDir(prefix);
  after(() => tmp.remove());
  return tmp;
}

/** `tmp()` gives a fresh, empty directory each call; all are removed after the calling file's tests. Call at top level. */
export function tempDirFactory(prefix = 'ckpt-lens-'): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const { dir } = makeTempDir(prefix);
    dirs.push(dir);
    return dir;
  };
}
