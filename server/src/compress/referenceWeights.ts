// A checkpoint's weights as a compression reference: float32 values, raw bytes, and CRC32s that let
// restore check it was given the same reference again.
import { crc32 } from 'node:zlib';
import type { Checkpoint } from '../checkpoint/model.ts';
import { toFloat32 } from '../formats/dtype.ts';
import { readRange } from '../formats/tensorData.ts';
import type { ReferenceWeights } from './compressEntry.ts';

/** Weights of a checkpoint on disk, as a reference. */
export function checkpointWeights(ckpt: Checkpoint): ReferenceWeights & { crc32(): Promise<Record<string, number>> } {
  const byName = new Map(ckpt.tensors.map((t) => [t.name, t]));
  return {
    async get(param) {
      const t = byName.get(param);
      return t ? toFloat32(await readRange(t.file, t.offset, t.byteLength, t.name), t.dtype) : undefined;
    },
    async bytes(param) {
      const t = byName.get(param);
      return t ? readRange(t.file, t.offset, t.byteLength, t.name) : undefined;
    },
    async crc32() {
      const out: Record<string, number> = {};
      for (const t of ckpt.tensors) out[t.name] = crc32(await readRange(t.file, t.offset, t.byteLength, t.name));
      return out;
    },
  };
}

