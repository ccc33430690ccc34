// Default output paths, next to the source and never over an existing file (the server refuses to
// overwrite, so the default is always one it accepts).
import { basename, dirname, join } from 'node:path';

/** …/checkpoint-200 → …/checkpoint-200.ckpz; …/model.safetensors → …/model.ckpz; a shard index → …/model.ckpz. */
export function archivePathFor(source: string): string {
  const base = basename(source).replace(/\.safetensors\.index\.json$|\.safetensors$|\.json$/, '');
  return join(dirname(source), `${base}.ckpz`);
}

/** …/checkpoint-200.ckpz → …/checkpoint-200-restored */
export function restoredPathFor(archive: string): string {
  return join(dirname(archive), `${basename(archive).replace(/\.ckpz$/, '')}-restored`);
}

/** `path`, else `name-2.ext`, `name-3.ext`, … the first that does not exist. */
export async function freePath(path: string, exists: (p: string) => Promise<boolean>): Promise<string> {
  if (!(await exists(path))) return path;
  const dir = dirname(path);
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  for (let i = 2; i < 1000; i++) {
    const candidate = join(dir, `${stem}-${i}${ext}`);
    if (!(await exists(candidate))) return candidate;
  }
  throw new Error(`${path}: every name up to ${stem}-999${ext} is taken`);
}
