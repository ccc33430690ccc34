// Real payloads for the entropy-coding layer, shared by its tests and scripts/bench/entropy.ts:
// ExCP code streams of a fixture checkpoint against its predecessor (CPU references of the ExCP step
// and k-means, default alpha/beta, 4-bit codes), the raw tensor bytes of a checkpoint, and
// 7-Zip's size for the same bytes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { excpStep } from '../../kernels/src/cpu/excp.ts';
import { kmeans1d } from '../../kernels/src/cpu/kmeans.ts';
import type { CheckpointTensor, MomentName } from '../../server/src/checkpoint/model.ts';
import { openCheckpoint } from '../../server/src/checkpoint/open.ts';
import { readRange, readTensorFloat32 } from '../../server/src/formats/tensorData.ts';
import type { TensorRef } from '../../server/src/formats/types.ts';

/** relative to the repository root, where tests and benchmarks run */
export const FIXTURES = 'test/fixtures';

/** One tensor's ExCP code streams, as the archive stores them (masked positions left out). */
export interface TensorCodes {
  name: string;
  /** the tensor's last dimension (the whole length for 1-D tensors) */
  rowLength: number;
  /** weight-residual codes, every position (0 = pruned) */
  w: Uint8Array;
  /** first-moment codes at the positions where the weight residual was kept (0 = pruned) */
  m: Uint8Array;
  /** second-moment codes at the positions where the first moment was kept (never 0) */
  v: Uint8Array;
}

export const EXCP_BITS = 4;

/** ExCP code streams of checkpoint `cur` against `ref` (directories). */
export async function excpCodeStreams(cur: string, ref: string): Promise<TensorCodes[]> {
  const [c, r] = await Promise.all([openCheckpoint(cur), openCheckpoint(ref)]);
  const k = (1 << EXCP_BITS) - 1;
  const out: TensorCodes[] = [];
  for (const t of c.tensors) {
    const rt = r.tensors.find((x) => x.name === t.name);
    if (!rt || !t.moments.exp_avg || !t.moments.exp_avg_sq) throw new Error(`${t.name}: no reference or moments`);
    const [w, rw, m, v] = await Promise.all([t, rt, t.moments.exp_avg, t.moments.exp_avg_sq].map((x) => readTensorFloat32(x)));
    const step = excpStep(w!, rw!, m, v, { alpha: 5e-5, beta: 2 });
    const wCodes = kmeans1d(step.residual, { k, mask: step.weightMask }).codes;
    const mCodes = kmeans1d(m!, { k, mask: step.momentMask! }).codes;
    const vCodes = kmeans1d(v!, { k, mask: step.momentMask! }).codes;
    out.push({ name: t.name, rowLength: t.shape.length > 1 ? t.shape[t.shape.length - 1] : t.numel, w: wCodes, m: select(mCodes, step.weightMask), v: select(vCodes, step.momentMask!) });
  }
  return out;
}

function select(codes: Uint8Array, mask: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < codes.length; i++) if (mask[i]) out.push(codes[i]);
  return Uint8Array.from(out);
}

/** All streams of all tensors, one byte per code, concatenated (what a general-purpose coder sees). */
export function concatCodes(tensors: readonly TensorCodes[]): Uint8Array {
  return concat(tensors.flatMap((t) => [t.w, t.m, t.v]));
}

/** Two 4-bit codes per byte (low nibble first), the packing ExCP's published recipe hands to 7-Zip. */
export function packNibbles(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array((codes.length + 1) >>> 1);
  for (let i = 0; i < codes.length; i++) out[i >>> 1] |= codes[i] << ((i & 1) * 4);
  return out;
}

export type TensorPart = 'weight' | MomentName;

/** The raw bytes of one part of every tensor of a checkpoint, with dtypes. */
export async function tensorBytes(dir: string, part: TensorPart): Promise<Array<{ name: string; dtype: string; bytes: Uint8Array }>> {
  const c = await openCheckpoint(dir);
  const refOf = (t: CheckpointTensor): TensorRef | undefined => (part === 'weight' ? t : t.moments[part]);
  return Promise.all(
    c.tensors.map(async (t) => {
      const ref = refOf(t);
      if (!ref) throw new Error(`${dir}: ${t.name} has no ${part}`);
      return { name: t.name, dtype: ref.dtype, bytes: await readRange(ref.file, ref.offset, ref.byteLength, ref.name) };
    }),
  );
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Why 7-Zip cannot run here, or undefined when `7z` works. */
export function why7zMissing(): string | undefined {
  const probe = spawnSync('7z', ['i'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `7z is not available (${probe.error?.message ?? `exit ${probe.status}`})`;
}

/** Size of the archive `7z a -mx=9` makes of `data` as one file (container header included). */
export function sevenZipSize(data: Uint8Array): number {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-lens-7z-'));
  try {
    writeFileSync(join(dir, 'payload.bin'), data);
    const r = spawnSync('7z', ['a', '-mx=9', join(dir, 'payload.7z'), join(dir, 'payload.bin')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`7z failed: ${r.error?.message ?? r.stderr}`);
    return statSync(join(dir, 'payload.7z')).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
