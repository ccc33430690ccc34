// Writing one archive entry back as the checkpoint it was: every file, byte for byte where it was
// stored losslessly, with ExCP parameters reconstructed (replaying the chain of references).
// optimizer.pt of an ExCP entry is written anew (torch.save layout) from the restored moments.
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { toFloat32 } from '../formats/dtype.ts';
import { writeFileAtomically } from '../formats/atomicFile.ts';
import { fromFloat32, roundToDtype } from '../formats/fromFloat32.ts';
import { writeOptimizerState, type AdamParamStateInput, type TensorSource } from '../formats/torch/writer.ts';
import type { DType } from '../formats/types.ts';
import { FormatError } from '../formats/types.ts';
import { decodeBytes, decodeFloatPlanes } from './codec/index.ts';
import type { EntryInfo } from './entryInfo.ts';
import { decodeExcpTensor } from './excpTensor.ts';
import { unframe } from './frame.ts';
import type { FileRecord, RangeRecord } from './layout.ts';
import { jsonToPy, type JsonValue } from './pyJson.ts';
import type { Progress } from './options.ts';
import { sectionName, type SectionReader } from './sections.ts';

/** Weights of a checkpoint outside the archive (`--ref`), by parameter name. */
export interface ExternalWeights {
  get(param: string): Promise<Float32Array | undefined>;
}

interface Decoded {
  w: Float32Array;
  m?: Float32Array;
  v?: Float32Array;
}

/** Decodes the entries of one archive, replaying references; caches the last parameter decoded. */
export class EntryDecoder {
  private last: { k: number; param: string; value: Decoded } | null = null;

  constructor(
    private readonly entries: readonly EntryInfo[],
    private readonly readers: readonly SectionReader[],
    private readonly archive: string,
    private readonly external?: ExternalWeights,
  ) {}

  /** Restored float32 weights of `param` in entry k (rounded to its dtype, as written). */
  async weight(k: number, param: string): Promise<Float32Array> {
    return (await this.param(k, param, true)).w;
  }

  async param(k: number, param: string, needWeights: boolean): Promise<Decoded> {
    if (this.last && this.last.k === k && this.last.param === param) return this.last.value;
    const e = this.entries[k]!;
    const rd = this.readers[k]!;
    const range = (role: string) => e.layout.files.flatMap((f) => f.ranges).find((r) => r.param === param && r.role === role);
    if (!rd.has(sectionName.excp(param))) {
      const r = range('weight');
      if (!r) throw new FormatError(`entry ${e.name} has no parameter '${param}'`, this.archive);
      return { w: toFloat32(await this.lossless(k, r), r.dtype) };
    }
    const info = e.layout.params.find((p) => p.name === param)!;
    const n = info.shape.reduce((a, b) => a * b, 1);
    let ref: Float32Array;
    if (!needWeights) ref = new Float32Array(n);
    else if (e.reference.kind === 'chain') ref = await this.weight(k - 1, param);
    else if (e.reference.kind === 'external') {
      const x = await this.external?.get(param);
      if (!x) throw new FormatError(`entry ${e.name} was compressed against ${e.reference.path}: pass it with --ref`, this.archive, { tensor: param });
      ref = x;
    } else throw new FormatError(`entry ${e.name} has ExCP sections but no reference`, this.archive, { tensor: param });
    let value: Decoded;
    try {
      const [w, m, v] = unframe(await rd.get(sectionName.excp(param)), 3);
      value = decodeExcpTensor({ w: w!, m: m!.length > 0 ? m : undefined, v: v!.length > 0 ? v : undefined }, ref, info.shape, e.params);
    } catch (err) {
      throw new FormatError(`cannot decode: ${(err as Error).message}`, this.archive, { tensor: param });
    }
    roundToDtype(value.w, info.dtype);
    const mRange = range('exp_avg');
    const vRange = range('exp_avg_sq');
    if (value.m && mRange) roundToDtype(value.m, mRange.dtype);
    if (value.v && vRange) roundToDtype(value.v, vRange.dtype);
    if (needWeights) this.last = { k, param, value };
    return value;
  }

  /** Raw bytes of a range stored losslessly. */
  async lossless(k: number, r: RangeRecord): Promise<Uint8Array> {
    const rd = this.readers[k]!;
    const stream = await rd.get(sectionName.lossless(r.key));
    try {
      const opts = { what: sectionName.lossless(r.key), expectedBytes: r.length };
      const bytes = ['F32', 'BF16', 'F16'].includes(r.dtype) ? decodeFloatPlanes(stream, r.dtype as 'F32' | 'BF16' | 'F16', undefined, opts) : decodeBytes(stream, opts);
      if (bytes.byteLength !== r.length) throw new Error(`decoded ${bytes.byteLength} bytes, expected ${r.length}`);
      return bytes;
    } catch (err) {
      throw new FormatError(`section ${sectionName.lossless(r.key)}: ${(err as Error).message}`, this.archive, { tensor: r.tensor });
    }
  }

  /** The bytes a range holds in the restored checkpoint. */
  async rangeBytes(k: number, r: RangeRecord): Promise<Uint8Array> {
    const rd = this.readers[k]!;
    if (r.param && r.role !== 'other' && rd.has(sectionName.excp(r.param))) {
      const d = await this.param(k, r.param, r.role === 'weight' || this.last?.param === r.param);
      const values = r.role === 'weight' ? d.w : r.role === 'exp_avg' ? d.m : d.v;
      if (!values) throw new FormatError(`entry has no ${r.role} for '${r.param}'`, this.archive, { tensor: r.tensor });
      return fromFloat32(values, r.dtype);
    }
    return this.lossless(k, r);
  }
}

async function skeletonBytes(rd: SectionReader, f: FileRecord, archive: string): Promise<Uint8Array> {
  const expected = f.size - f.ranges.reduce((s, r) => s + r.length, 0);
  const bytes = decodeBytes(await rd.get(sectionName.skeleton(f.name)), { what: sectionName.skeleton(f.name), expectedBytes: expected });
  if (bytes.byteLength !== expected) throw new FormatError(`skeleton of ${f.name} has ${bytes.byteLength} bytes, expected ${expected}`, archive);
  return bytes;
}

/** A file's bytes in order: its skeleton interleaved with its ranges' bytes. */
export async function interleave(f: FileRecord, skel: Uint8Array, range: (r: RangeRecord) => Promise<Uint8Array>, emit: (bytes: Uint8Array) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
  let at = 0;
  let s = 0;
  for (const r of f.ranges) {
    signal?.throwIfAborted();
    const gap = r.offset - at;
    await emit(skel.subarray(s, s + gap));
    s += gap;
    await emit(await range(r));
    at = r.offset + r.length;
  }
  await emit(skel.subarray(s));
}

async function writeInterleaved(path: string, f: FileRecord, skel: Uint8Array, range: (r: RangeRecord) => Promise<Uint8Array>, signal?: AbortSignal): Promise<void> {
  await writeFileAtomically(path, (sink) => interleave(f, skel, range, (b) => sink.write(b), signal));
}

async function writeOptimizer(path: string, e: EntryInfo, k: number, f: FileRecord, dec: EntryDecoder): Promise<void> {
  const opt = e.layout.optimizer!;
  const state = new Map<number, AdamParamStateInput>();
  for (const p of opt.params) {
    const ranges = f.ranges.filter((r) => r.param === p.param);
    const source = (r: RangeRecord): TensorSource => ({ dtype: r.dtype as DType, shape: r.shape, data: async function* () { yield await dec.rangeBytes(k, r); } });
    const get = (role: string) => {
      const r = ranges.find((x) => x.role === role);
      if (!r) throw new FormatError(`optimizer state ${p.index} has no ${role}`, path);
      return source(r);
    };
    const extra: Record<string, TensorSource> = {};
    for (const r of ranges.filter((x) => x.role === 'other')) extra[r.tensor.split('.').slice(2).join('.')] = source(r);
    state.set(p.index, { step: p.step, exp_avg: get('exp_avg'), exp_avg_sq: get('exp_avg_sq'), extra });
  }
  const paramGroups = opt.paramGroups.map((g) => {
    const m = jsonToPy(g as JsonValue) as Map<string, unknown>;
    return Object.fromEntries(m.entries());
  });
  await writeOptimizerState(path, { state, paramGroups });
}

/** Writes entry k to `out` (a directory, or the file for a single-file checkpoint); atomic. */
export async function restoreEntry(dec: EntryDecoder, entries: readonly EntryInfo[], readers: readonly SectionReader[], k: number, out: string, archive: string, progress: Progress, signal?: AbortSignal): Promise<string> {
  const e = entries[k]!;
  const rd = readers[k]!;
  const target = resolve(out);
  if (await stat(target).then(() => true, () => false)) throw new FormatError('the output already exists; choose a new path (nothing is overwritten)', target);
  const staging = e.layout.root === 'dir' ? `${target}.tmp-${process.pid}` : undefined;
  const total = e.layout.files.reduce((s, f) => s + f.size, 0);
  let done = 0;
  try {
    if (staging) await mkdir(staging, { recursive: true });
    else await mkdir(dirname(target), { recursive: true });
    for (const f of e.layout.files) {
      signal?.throwIfAborted();
      const path = staging ? join(staging, f.name) : target;
      if (f.kind === 'blob') await writeFile(path, decodeBytes(await rd.get(sectionName.skeleton(f.name))));
      else if (f.kind === 'optimizer' && !rd.has(sectionName.skeleton(f.name))) await writeOptimizer(path, e, k, f, dec);
      else await writeInterleaved(path, f, await skeletonBytes(rd, f, archive), (r) => dec.rangeBytes(k, r), signal);
      done += f.size;
      progress(done / Math.max(1, total), f.name);
    }
    if (staging) await rename(staging, target);
  } catch (err) {
    if (staging) await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return target;
}
