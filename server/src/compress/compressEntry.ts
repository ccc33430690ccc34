// One checkpoint into the sections of one archive entry. Lossless: every file's skeleton plus each
// tensor range coded in byte planes (XOR against the reference's same tensor when asked). ExCP: the
// parameters with a reference go through excpTensor.ts; everything else is stored losslessly.
// One parameter (weight + moments) is in memory at a time.
import type { Backend } from '../../../kernels/src/index.ts';
import type { Checkpoint, CheckpointTensor } from '../checkpoint/model.ts';
import { FLOAT_DTYPES, toFloat32 } from '../formats/dtype.ts';
import { readRange } from '../formats/tensorData.ts';
import { encodeBytes, encodeFloatPlanes } from './codec/index.ts';
import { encodeExcpTensor, relFrom, type ExcpParams, type ExcpTensorStats } from './excpTensor.ts';
import type { FileRecord, RangeRecord, SourceLayout } from './layout.ts';
import type { CompressMode, Progress } from './options.ts';
import { frame } from './frame.ts';
import { framePartsOf, sectionName, type SectionWriter } from './sections.ts';

const PLANE_DTYPES = new Set(['F32', 'BF16', 'F16']);

/** Where a parameter's reference weights come from (the restored previous entry, or a checkpoint). */
export interface ReferenceWeights {
  get(param: string): Promise<Float32Array | undefined>;
  /** raw bytes of the same tensor, for lossless XOR coding */
  bytes?(param: string): Promise<Uint8Array | undefined>;
}

export interface EntryStats {
  orig_bytes: number;
  /** per parameter coded in ExCP mode */
  tensors: Record<string, ExcpTensorStats & { numel: number }>;
  /** parameters stored losslessly in an ExCP entry, and why */
  lossless_params: Record<string, string>;
  kept_w: number | null;
  kept_m: number | null;
  /** pooled ||W_hat - W|| / ||W|| over the ExCP parameters */
  rel_err_w: number | null;
  /** pooled update_rel_err of the restored second moments (ALGORITHMS.md §1.6) */
  update_rel_err: number | null;
  /** what rate control chose, when asked (--target-ratio / --max-rel-err) */
  rate_control?: { targetRatio?: number; maxRelErr?: number; alpha: number; met: boolean; trials: number };
}

export interface CompressEntryJob {
  ckpt: Checkpoint;
  layout: SourceLayout;
  mode: CompressMode;
  params: ExcpParams;
  backend: Backend;
  reference?: ReferenceWeights;
  /** lossless: code each tensor as XOR against the reference's bytes */
  xorReference?: boolean;
  out: SectionWriter;
  /** receives each ExCP parameter's restored weights (the next entry's reference) */
  restored?: (param: string, w: Float32Array) => Promise<void>;
  progress: Progress;
  signal?: AbortSignal;
}

/** Bytes of a file outside its tensor ranges, in order. */
async function skeleton(path: string, f: FileRecord): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const r of f.ranges) {
    if (r.offset > at) parts.push(await readRange(path, at, r.offset - at));
    at = r.offset + r.length;
  }
  if (f.size > at) parts.push(await readRange(path, at, f.size - at));
  return Buffer.concat(parts);
}

function losslessTensor(bytes: Uint8Array, r: RangeRecord, ref?: Uint8Array): Uint8Array {
  if (PLANE_DTYPES.has(r.dtype)) return encodeFloatPlanes(bytes, r.dtype as 'F32' | 'BF16' | 'F16', ref && ref.byteLength === bytes.byteLength ? ref : undefined);
  return encodeBytes(bytes);
}

async function values(ref: { file: string; offset: number; byteLength: number; dtype: string; name: string }): Promise<Float32Array> {
  const bytes = await readRange(ref.file, ref.offset, ref.byteLength, ref.name);
  return toFloat32(bytes, ref.dtype as never);
}

export async function compressEntry(job: CompressEntryJob): Promise<EntryStats> {
  const { ckpt, layout, out, signal } = job;
  const dir = layout.root === 'dir' ? ckpt.path : undefined;
  const pathOf = (f: FileRecord) => (dir ? `${dir}/${f.name}` : ckpt.path);
  const stats: EntryStats = { orig_bytes: layout.files.reduce((s, f) => s + f.size, 0), tensors: {}, lossless_params: {}, kept_w: null, kept_m: null, rel_err_w: null, update_rel_err: null };

  // Which parameters go through ExCP: float weights with a reference of the same size.
  const excp = new Map<string, CheckpointTensor>();
  if (job.mode === 'excp') {
    for (const t of ckpt.tensors) {
      if (!FLOAT_DTYPES.has(t.dtype) || !PLANE_DTYPES.has(t.dtype)) stats.lossless_params[t.name] = `dtype ${t.dtype}`;
      else excp.set(t.name, t);
    }
  }
  const total = stats.orig_bytes;
  let done = 0;
  const tick = (bytes: number, what: string) => {
    done += bytes;
    job.progress(Math.min(1, done / Math.max(1, total)), what);
  };

  // ExCP parameters first: their moments may live in optimizer.pt, which the file loop below skips.
  let keptW = 0, keptM = 0, numelW = 0, numelM = 0, updErr = 0, updNorm = 0, haveUpd = false, errW = 0, normW = 0;
  for (const [name, t] of excp) {
    signal?.throwIfAborted();
    const r = await job.reference?.get(name);
    if (!r || r.length !== t.numel) {
      stats.lossless_params[name] = r ? 'the reference tensor has another shape' : 'no reference tensor';
      excp.delete(name);
      continue;
    }
    const w = await values(t);
    const m = t.moments.exp_avg && (await values(t.moments.exp_avg));
    const v = t.moments.exp_avg_sq && (await values(t.moments.exp_avg_sq));
    const enc = await encodeExcpTensor(job.backend, { name, shape: t.shape, w, r, m, v, dtypes: { w: t.dtype, m: t.moments.exp_avg?.dtype, v: t.moments.exp_avg_sq?.dtype } }, job.params);
    await out.put(sectionName.excp(name), frame(framePartsOf(enc)));
    await job.restored?.(name, enc.restored.w);
    stats.tensors[name] = { ...enc.stats, numel: t.numel };
    keptW += enc.stats.kept_w;
    numelW += t.numel;
    errW += enc.stats.sq_err_w;
    normW += enc.stats.sq_norm_w;
    if (enc.stats.kept_m !== null) (keptM += enc.stats.kept_m), (numelM += t.numel);
    if (enc.stats.update_sq_err !== null) (updErr += enc.stats.update_sq_err), (updNorm += enc.stats.update_sq_norm!), (haveUpd = true);
    tick(t.byteLength + (t.moments.exp_avg?.byteLength ?? 0) + (t.moments.exp_avg_sq?.byteLength ?? 0), name);
  }
  if (numelW > 0) (stats.kept_w = keptW / numelW), (stats.rel_err_w = relFrom(errW, normW));
  if (numelM > 0) stats.kept_m = keptM / numelM;
  if (haveUpd) stats.update_rel_err = updNorm > 0 ? Math.sqrt(updErr / updNorm) : 0;

  // Everything else: skeletons and the tensor ranges ExCP did not take.
  const excpOptimizer = job.mode === 'excp';
  for (const f of layout.files) {
    signal?.throwIfAborted();
    const path = pathOf(f);
    if (!(f.kind === 'optimizer' && excpOptimizer)) await out.put(sectionName.skeleton(f.name), encodeBytes(await skeleton(path, f)));
    for (const r of f.ranges) {
      const coveredByExcp = r.param !== undefined && excp.has(r.param) && r.role !== 'other';
      if (coveredByExcp) continue;
      signal?.throwIfAborted();
      const bytes = await readRange(path, r.offset, r.length, r.tensor);
      const ref = job.xorReference && r.role === 'weight' && r.param ? await job.reference?.bytes?.(r.param) : undefined;
      await out.put(sectionName.lossless(r.key), losslessTensor(bytes, r, ref));
      tick(r.length, r.tensor);
    }
    if (f.kind === 'blob') tick(f.size, f.name);
  }
  return stats;
}
