// A safetensors checkpoint addressed by file, index or directory: one file or a set of shards.
import { dirname, join, resolve } from 'node:path';
import { FormatError, type TensorRef } from '../types.ts';
import { locateSafetensors } from './locate.ts';
import { openSafetensors, type SafetensorsFile } from './reader.ts';
import { readShardIndex, type ShardIndex } from './shardIndex.ts';

export interface SafetensorsCheckpoint {
  /** The path given, made absolute. */
  path: string;
  format: 'safetensors' | 'safetensors-sharded';
  /** Absolute paths of the safetensors files, in tensor order. */
  files: string[];
  /** `__metadata__` of the (first) file's header. */
  metadata: Record<string, string>;
  /** The index's own `metadata` (e.g. total_size); sharded checkpoints only. */
  indexMetadata?: Record<string, unknown>;
  /** Model parameter order where the writer kept it (see `orderShards`). */
  tensors: TensorRef[];
}

export async function openSafetensorsCheckpoint(path: string): Promise<SafetensorsCheckpoint> {
  const abs = resolve(path);
  const source = await locateSafetensors(abs);
  if (source.kind === 'file') {
    const f = await openSafetensors(source.file);
    return { path: abs, format: 'safetensors', files: [f.path], metadata: f.metadata, tensors: f.tensors };
  }
  const index = await readShardIndex(source.index);
  const shards: SafetensorsFile[] = [];
  for (const name of orderShards(index)) shards.push(await openSafetensors(join(dirname(source.index), name)));
  checkAgainstIndex(source.index, index, shards);
  return {
    path: abs,
    format: 'safetensors-sharded',
    files: shards.map((s) => s.path),
    metadata: shards[0]!.metadata,
    indexMetadata: index.metadata,
    tensors: shards.flatMap((s) => s.tensors),
  };
}

/**
 * Shards in file-name order (numeric-aware: model-00002 before model-00010), tensors within a shard
 * in header order. Writers number shards as they fill them in parameter order, so this is the
 * model's parameter order whenever each header keeps it, as in our fixtures (checkpoint-100/200 of
 * tiny-llama-bf16: shard 1 holds parameters 0..10, shard 2 holds 11..20). The order of first
 * appearance in weight_map would be the same there, but transformers writes the index with sorted
 * keys (`lm_head.weight` first), which would put the last shard first.
 */
function orderShards(index: ShardIndex): string[] {
  return [...new Set(index.weightMap.values())].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Every index entry must be in its shard, every shard tensor in the index, and no name in two shards. */
function checkAgainstIndex(indexPath: string, index: ShardIndex, shards: readonly SafetensorsFile[]): void {
  const holder = new Map<string, SafetensorsFile>();
  for (const shard of shards) {
    for (const t of shard.tensors) {
      const other = holder.get(t.name);
      if (other) throw new FormatError(`tensor is in two shards: ${other.path} and this one`, shard.path, { tensor: t.name, offset: t.offset });
      holder.set(t.name, shard);
      if (!index.weightMap.has(t.name)) {
        throw new FormatError(`shard holds a tensor that the index ${indexPath} does not list in weight_map`, shard.path, { tensor: t.name, offset: t.offset });
      }
    }
  }
  for (const [name, shardName] of index.weightMap) {
    const found = holder.get(name);
    if (!found || found.path !== join(dirname(indexPath), shardName)) {
      const actual = found ? `; it is in ${found.path}` : '';
      throw new FormatError(`weight_map places this tensor in ${shardName}, which has no such tensor${actual}`, indexPath, { tensor: name });
    }
  }
}
