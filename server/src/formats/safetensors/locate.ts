// Deciding what a user-given path means: one .safetensors file, or a shard index.
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FormatError } from '../types.ts';
import { statOrFail } from './fileChecks.ts';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';
const INDEX_SUFFIX = '.safetensors.index.json';

export type SafetensorsSource = { kind: 'file'; file: string } | { kind: 'index'; index: string };

/**
 * A file is taken as an index when it ends in `.json`, otherwise as a safetensors file.
 * In a directory the Hugging Face names win (`model.safetensors`, then the index, as
 * transformers looks for them); failing those, a single `*.safetensors.index.json` or a
 * single `*.safetensors`. Several candidates and no standard name is an error, not a guess.
 */
export async function locateSafetensors(path: string): Promise<SafetensorsSource> {
  const abs = resolve(path);
  const st = await statOrFail(abs);
  if (!st.isDirectory()) return abs.endsWith('.json') ? { kind: 'index', index: abs } : { kind: 'file', file: abs };

  const names = (await readdir(abs)).sort();
  if (names.includes(SINGLE_FILE_NAME)) return { kind: 'file', file: join(abs, SINGLE_FILE_NAME) };
  if (names.includes(INDEX_FILE_NAME)) return { kind: 'index', index: join(abs, INDEX_FILE_NAME) };
  const indexes = names.filter((n) => n.endsWith(INDEX_SUFFIX));
  if (indexes.length === 1) return { kind: 'index', index: join(abs, indexes[0]!) };
  if (indexes.length > 1) throw new FormatError(`several shard indexes, cannot choose: ${indexes.join(', ')}`, abs);
  const files = names.filter((n) => n.endsWith('.safetensors'));
  if (files.length === 1) return { kind: 'file', file: join(abs, files[0]!) };
  if (files.length > 1) throw new FormatError(`several .safetensors files and no ${INDEX_FILE_NAME}, cannot choose: ${files.join(', ')}`, abs);
  throw new FormatError('directory holds no .safetensors file or shard index', abs);
}
