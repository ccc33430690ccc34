// Reading and validating `model.safetensors.index.json`: {"metadata": {...}, "weight_map": {tensor: shard file}}.
import { basename } from 'node:path';
import { FormatError } from '../types.ts';
import { readBytesOrFail, regularFileSize } from './fileChecks.ts';

/** An index is a small JSON file; anything this large is not one, so refuse before reading it. */
const MAX_INDEX_BYTES = 100_000_000;

export interface ShardIndex {
  metadata: Record<string, unknown>;
  /** Tensor name → shard file name, in the index's order. */
  weightMap: Map<string, string>;
}

export async function readShardIndex(index: string): Promise<ShardIndex> {
  const size = await regularFileSize(index);
  if (size > MAX_INDEX_BYTES) throw new FormatError(`index is ${size} bytes, more than the ${MAX_INDEX_BYTES} accepted`, index);
  const bytes = await readBytesOrFail(index, 0, size);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new FormatError(`index is not valid UTF-8 JSON (${(e as Error).message.slice(0, 160)})`, index);
  }
  if (!isPlainObject(json)) throw new FormatError('index is not a JSON object', index);
  const metadata = json['metadata'] ?? {};
  if (!isPlainObject(metadata)) throw new FormatError('index "metadata" is not an object', index);
  const map = json['weight_map'];
  if (!isPlainObject(map)) throw new FormatError('index has no "weight_map" object', index);

  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(map)) {
    // Shards must sit beside the index: a path could point anywhere on disk.
    if (typeof shard !== 'string' || shard === '' || basename(shard) !== shard || shard === '.' || shard === '..') {
      throw new FormatError(`weight_map value ${JSON.stringify(shard)} is not a file name beside the index`, index, { tensor });
    }
    weightMap.set(tensor, shard);
  }
  if (weightMap.size === 0) throw new FormatError('index weight_map is empty', index);
  return { metadata, weightMap };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
