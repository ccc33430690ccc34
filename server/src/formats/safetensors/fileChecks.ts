// Turning file-system failures on user-given paths into FormatErrors, so that callers
// (CLI, server) have one error type for "bad input" and print it as one clear line.
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { readRange } from '../tensorData.ts';
import { FormatError } from '../types.ts';

/** Stats `path`, failing with a FormatError (not a raw errno error) when it cannot be read. */
export async function statOrFail(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(code === 'ENOENT' ? 'no such file or directory' : `cannot read (${code ?? String(e)})`, path);
  }
}

/** `readRange`, with errno failures (permissions, a file removed meanwhile) as FormatErrors too. */
export async function readBytesOrFail(path: string, offset: number, length: number): Promise<Uint8Array> {
  try {
    return await readRange(path, offset, length);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path, { offset });
  }
}

/** The size of a regular file; directories, sockets and the like are refused. */
export async function regularFileSize(path: string): Promise<number> {
  const st = await statOrFail(path);
  if (!st.isFile()) throw new FormatError(st.isDirectory() ? 'is a directory, expected a file' : 'is not a regular file', path);
  return st.size;
}
