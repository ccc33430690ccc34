// Temporary workspaces for the language-server tests: copies of the fixtures (so file watching and
// caching act on files the test owns) plus whatever a test adds.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { removeAtExit } from '../helpers/tempDir.ts';

export interface Workspace {
  root: string;
  /** the analysis cache the server is told to use (inside the temp dir, not ~/.cache) */
  cacheDir: string;
  /** path of a file or directory inside the workspace */
  path(...parts: string[]): string;
  write(rel: string, data: string | Uint8Array): string;
}

/**
 * `run/` = tiny-llama (checkpoint-100/200/300, F32, with optimizer.pt); `sharded/` = tiny-llama-bf16
 * checkpoint-200 (two BF16 shards and model.safetensors.index.json). Removed when the calling file's tests are done.
 */
export function fixtureWorkspace(opts: { run?: boolean; sharded?: boolean } = {}): Workspace {
  const base = mkdtempSync(join(tmpdir(), 'ckpt-lens-lsp-'));
  // Not an `after` hook: those run in the order they were made, this one before the file's own
  // (which stops the server), and the server may still be writing here.
  removeAtExit(base);
  const root = join(base, 'ws');
  mkdirSync(root);
  if (opts.run ?? true) cpSync('test/fixtures/tiny-llama', join(root, 'run'), { recursive: true });
  if (opts.sharded ?? true) cpSync('test/fixtures/tiny-llama-bf16/checkpoint-200', join(root, 'sharded'), { recursive: true });
  return {
    root,
    cacheDir: join(base, 'cache'),
    path: (...parts) => join(root, ...parts),
    write(rel, data) {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
      return p;
    },
  };
}

/** Float32 values as little-endian bytes. */
export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
