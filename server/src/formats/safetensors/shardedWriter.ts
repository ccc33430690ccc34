// Writing a sharded safetensors checkpoint: shards `<prefix>-0000i-of-0000N.safetensors` filled in
// the order given, then `<prefix>.safetensors.index.json` (written last, so a reader never finds an
// index whose shards are not all there).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DTYPE_SIZE } from '../dtype.ts';
import { FormatError } from '../types.ts';
import { writeFileAtomically } from '../atomicFile.ts';
import { writeSafetensors, type SafetensorsEntry } from './writer.ts';

export interface WriteShardedOptions {
  /** A shard is closed before it would exceed this many tensor bytes (a larger tensor gets a shard of its own). */
  maxShardBytes: number;
  /** `__metadata__` of every shard. */
  metadata?: Record<string, string>;
  /** File name prefix; Hugging Face uses `model`. */
  prefix?: string;
}

export interface WrittenShardedSafetensors {
  index: string;
  files: string[];
  totalSize: number;
}

/** On failure the shards written by this call are removed; files replaced before that stay replaced. */
export async function writeShardedSafetensors(
  dir: string,
  entries: AsyncIterable<SafetensorsEntry> | Iterable<SafetensorsEntry>,
  opts: WriteShardedOptions,
): Promise<WrittenShardedSafetensors> {
  const prefix = opts.prefix ?? 'model';
  const list: SafetensorsEntry[] = [];
  for await (const e of entries) list.push(e);
  const groups = splitIntoShards(list, opts.maxShardBytes, dir);
  const names = groups.map((_, i) => `${prefix}-${pad5(i + 1)}-of-${pad5(groups.length)}.safetensors`);
  const files: string[] = [];
  try {
    for (const [i, group] of groups.entries()) {
      const file = join(dir, names[i]!);
      await writeSafetensors(file, group, { metadata: opts.metadata });
      files.push(file);
    }
    const weightMap: Record<string, string> = {};
    groups.forEach((g, i) => g.forEach((e) => Object.defineProperty(weightMap, e.name, { value: names[i], enumerable: true })));
    const totalSize = list.reduce((n, e) => n + entryBytes(e), 0);
    const index = join(dir, `${prefix}.safetensors.index.json`);
    const json = `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`;
    await writeFileAtomically(index, (sink) => sink.write(Buffer.from(json, 'utf8')));
    return { index, files, totalSize };
  } catch (e) {
    await Promise.all(files.map((f) => rm(f, { force: true })));
    throw e;
  }
}

function splitIntoShards(list: SafetensorsEntry[], maxShardBytes: number, dir: string): SafetensorsEntry[][] {
  if (!(maxShardBytes > 0)) throw new FormatError(`maxShardBytes must be positive, got ${maxShardBytes}`, dir);
  const groups: SafetensorsEntry[][] = [];
  let current: SafetensorsEntry[] = [];
  let bytes = 0;
  for (const e of list) {
    const b = entryBytes(e);
    if (current.length > 0 && bytes + b > maxShardBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += b;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups;
}

function entryBytes(e: SafetensorsEntry): number {
  return e.shape.reduce((n, d) => n * d, 1) * (DTYPE_SIZE[e.dtype] ?? 0);
}

const pad5 = (n: number) => String(n).padStart(5, '0');
