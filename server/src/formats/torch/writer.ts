// Writing torch.save-compatible zip checkpoints: a protocol-2 pickle that mirrors what torch.save
// emits (tensors via torch._utils._rebuild_tensor_v2 over typed storages named by persistent ids),
// one stored, 64-byte-aligned record per storage, streamed from its source, and the `version` and
// `byteorder` records. Written to a temporary file and renamed into place.
import { basename, extname } from 'node:path';
import { DTYPE_SIZE, numelOf } from '../dtype.ts';
import { tensorByteChunks } from '../tensorData.ts';
import type { DType, TensorRef } from '../types.ts';
import { writeZip, type ZipEntrySource, type ZipWriterOptions } from '../zip/zipWriter.ts';
import { pickle } from './pickleWriter.ts';
import { PyCall, PyGlobal, PyPersistentId, tuple, type WritableValue } from './pyValue.ts';
import { storageClassFor } from './torchValues.ts';

/** A tensor to write: little-endian row-major bytes in memory, or a function giving them as a stream of chunks. */
export interface TensorSource {
  dtype: DType;
  shape: number[];
  data: Uint8Array | (() => AsyncIterable<Uint8Array>);
}

/** A tensor already on disk (any reader's TensorRef), streamed from its file when written. */
export function tensorSourceFromRef(ref: TensorRef): TensorSource {
  return { dtype: ref.dtype, shape: [...ref.shape], data: () => tensorByteChunks(ref) };
}

/** Adam/AdamW state of one parameter. `extra` holds other tensors such as `max_exp_avg_sq` (amsgrad). */
export interface AdamParamStateInput {
  step: number;
  exp_avg: TensorSource;
  exp_avg_sq: TensorSource;
  extra?: Record<string, TensorSource>;
}

export interface OptimizerStateInput {
  state: Map<number, AdamParamStateInput>;
  /**
   * Hyperparameter groups as torch keeps them (`lr`, `betas`, `eps`, `weight_decay`, ..., `params`).
   * Values: numbers (integral ones are written as ints, wrap in PyFloat to force a float), booleans,
   * null, strings, lists (arrays), tuples (frozen arrays, see `tuple`) and dicts.
   */
  paramGroups: ReadonlyArray<Record<string, unknown>>;
}

const REBUILD_TENSOR = new PyGlobal('torch._utils', '_rebuild_tensor_v2');
const ORDERED_DICT = new PyGlobal('collections', 'OrderedDict');
/** The `version` record torch 1.13+ writes and accepts. */
const FORMAT_VERSION = '3\n';

/**
 * Writes `torch.save(optimizer.state_dict())` for Adam/AdamW: `{'state': {i: {'step', 'exp_avg',
 * 'exp_avg_sq'}}, 'param_groups': [...]}`, with `step` as a float32 scalar tensor as in PyTorch >= 1.12.
 */
export async function writeOptimizerState(path: string, input: OptimizerStateInput, options: ZipWriterOptions = {}): Promise<void> {
  const storages = new StorageTable();
  const state = new Map<WritableValue, WritableValue>();
  for (const [index, param] of input.state) {
    const entry = new Map<WritableValue, WritableValue>();
    entry.set('step', storages.tensor(scalarF32(param.step), `state[${index}].step`));
    entry.set('exp_avg', storages.tensor(param.exp_avg, `state[${index}].exp_avg`));
    entry.set('exp_avg_sq', storages.tensor(param.exp_avg_sq, `state[${index}].exp_avg_sq`));
    for (const [key, source] of Object.entries(param.extra ?? {})) entry.set(key, storages.tensor(source, `state[${index}].${key}`));
    state.set(index, entry);
  }
  const root = new Map<WritableValue, WritableValue>([
    ['state', state],
    ['param_groups', input.paramGroups.map((g) => new Map(Object.entries(g)) as Map<WritableValue, WritableValue>)],
  ]);
  await writeTorchArchive(path, root, storages, options);
}

/** Writes a module state dict (`pytorch_model.bin`): an OrderedDict of name -> tensor, in the given order. */
export async function writeTorchStateDict(
  path: string,
  tensors: Iterable<readonly [string, TensorSource]>,
  options: ZipWriterOptions = {},
): Promise<void> {
  const storages = new StorageTable();
  const items: WritableValue[] = [];
  for (const [name, source] of tensors) items.push(tuple(name, storages.tensor(source, name)));
  // OrderedDict([(name, tensor), ...]): one REDUCE, which our reader and Python's both take.
  await writeTorchArchive(path, new PyCall(ORDERED_DICT, [items]), storages, options);
}

/** The storages a pickle refers to, keyed '0', '1', ... in order of first use. */
class StorageTable {
  readonly records: Array<{ key: string; source: TensorSource; bytes: number }> = [];

  /** Registers `source` as a new storage and returns the pickle value that rebuilds it as a contiguous tensor. */
  tensor(source: TensorSource, what: string): PyCall {
    const storageClass = storageClassFor(source.dtype);
    if (!storageClass) throw new TypeError(`${what}: torch.save has no typed storage for dtype ${source.dtype}`);
    const numel = numelOf(source.shape);
    const bytes = numel * DTYPE_SIZE[source.dtype];
    if (source.data instanceof Uint8Array && source.data.length !== bytes) {
      throw new RangeError(`${what}: ${source.data.length} bytes given, shape [${source.shape}] of ${source.dtype} needs ${bytes}`);
    }
    const key = String(this.records.length);
    this.records.push({ key, source, bytes });
    const pid = new PyPersistentId(tuple('storage', new PyGlobal('torch', storageClass), key, 'cpu', numel));
    return new PyCall(REBUILD_TENSOR, [pid, 0, tuple(...source.shape), tuple(...rowMajorStrides(source.shape)), false, new PyCall(ORDERED_DICT, [])]);
  }
}

async function writeTorchArchive(path: string, root: WritableValue, storages: StorageTable, options: ZipWriterOptions): Promise<void> {
  const prefix = archivePrefix(path);
  const text = (s: string) => new TextEncoder().encode(s);
  const data = pickle(root);
  function* entries(): Generator<ZipEntrySource> {
    yield { name: `${prefix}/data.pkl`, size: data.length, data };
    const order = text('little');
    yield { name: `${prefix}/byteorder`, size: order.length, data: order };
    for (const r of storages.records) {
      const source = r.source.data;
      yield { name: `${prefix}/data/${r.key}`, size: r.bytes, data: source instanceof Uint8Array ? source : source() };
    }
    const version = text(FORMAT_VERSION);
    yield { name: `${prefix}/version`, size: version.length, data: version };
  }
  await writeZip(path, entries(), options);
}

/** torch.save names the zip's top folder after the file's stem (`optimizer.pt` -> `optimizer`). */
function archivePrefix(path: string): string {
  const name = basename(path);
  const stem = name.slice(0, name.length - extname(name).length);
  return stem.length > 0 && !stem.includes('/') ? stem : 'archive';
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

function scalarF32(value: number): TensorSource {
  return { dtype: 'F32', shape: [], data: new Uint8Array(new Float32Array([value]).buffer) };
}
