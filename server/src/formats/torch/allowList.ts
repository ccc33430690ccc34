// The only Python names a torch checkpoint's pickle may use, and what "calling" them builds:
// plain dicts, tensor descriptions pointing into the zip, and tuples. Anything else is refused
// by the pickle reader with the global's name.
import { DTYPE_SIZE, numelOf } from '../dtype.ts';
import type { ZipArchive } from '../zip/zipReader.ts';
import { PickleError, type PickleHooks } from './pickleReader.ts';
import { PyGlobal, describePy, tuple, tupleItems, type PyValue } from './pyValue.ts';
import { STORAGE_DTYPES, isTorchTensor, type TorchStorage, type TorchTensor } from './torchValues.ts';

type Builder = (args: PyValue[], ctx: TorchHooksContext) => PyValue;

interface TorchHooksContext {
  archive: ZipArchive;
  prefix: string;
  storages: Map<string, TorchStorage>;
  tensors: TorchTensor[];
}

const CALLABLE: Readonly<Record<string, Builder>> = {
  'collections.OrderedDict': orderedDict,
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_parameter': rebuildParameter,
  'torch._utils._rebuild_parameter_with_state': rebuildParameter,
  'torch.Size': torchSize,
};

function isAllowed(module: string, name: string): boolean {
  const qualified = `${module}.${name}`;
  if (Object.prototype.hasOwnProperty.call(CALLABLE, qualified)) return true;
  // Typed storage classes only appear as the type inside a storage's persistent id.
  return module === 'torch' && Object.prototype.hasOwnProperty.call(STORAGE_DTYPES, name);
}

/** Hooks for reading a torch.save pickle whose storages live in `archive` under `<prefix>/data/`. Tensors are collected in pickle order. */
export function torchPickleHooks(archive: ZipArchive, prefix: string): { hooks: PickleHooks; tensors: TorchTensor[] } {
  const ctx: TorchHooksContext = { archive, prefix, storages: new Map(), tensors: [] };
  const hooks: PickleHooks = {
    resolveGlobal: (module, name) => (isAllowed(module, name) ? new PyGlobal(module, name) : undefined),
    call: (callee, args) => {
      const build = CALLABLE[callee.qualifiedName];
      if (!build) throw new PickleError(`${callee.qualifiedName} cannot be called`);
      return build(args, ctx);
    },
    persistentLoad: (pid) => loadStorage(pid, ctx),
  };
  return { hooks, tensors: ctx.tensors };
}

/** `('storage', torch.FloatStorage, key, location, numel)`: a storage record of the zip. */
function loadStorage(pid: PyValue, ctx: TorchHooksContext): TorchStorage {
  const items = tupleItems(pid);
  if (!items || items.length !== 5 || items[0] !== 'storage') {
    throw new PickleError(`unsupported persistent id ${describePy(pid)} (expected ('storage', type, key, location, numel))`);
  }
  const [, type, key, location, numel] = items;
  if (!(type instanceof PyGlobal) || type.module !== 'torch' || !STORAGE_DTYPES[type.name]) {
    throw new PickleError(`persistent id names ${describePy(type)}, not a typed storage`);
  }
  if (typeof key !== 'string' || typeof location !== 'string' || !isCount(numel)) {
    throw new PickleError('persistent id must hold a str key, a str location and an element count');
  }
  const dtype = STORAGE_DTYPES[type.name]!;
  const known = ctx.storages.get(key);
  if (known) {
    if (known.dtype !== dtype || known.numel !== numel) throw new PickleError(`storage '${key}' is described twice with different types or sizes`);
    return known;
  }
  const entryName = `${ctx.prefix}/data/${key}`;
  const entry = ctx.archive.get(entryName);
  if (!entry) throw new PickleError(`storage '${key}' has no record '${entryName}' in the zip`);
  if (entry.method !== 0) throw new PickleError(`storage record '${entryName}' is compressed; torch writes storages uncompressed`);
  const bytes = numel * DTYPE_SIZE[dtype];
  if (entry.size !== bytes) throw new PickleError(`storage record '${entryName}' holds ${entry.size} bytes, but ${numel} x ${dtype} needs ${bytes}`);
  const storage: TorchStorage = { kind: 'storage', key, dtype, numel, location, dataOffset: entry.dataOffset };
  ctx.storages.set(key, storage);
  return storage;
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: PyValue[], ctx: TorchHooksContext): TorchTensor {
  if (args.length < 6 || args.length > 7) throw new PickleError(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
  const [storage, storageOffset, size, stride, requiresGrad] = args;
  if (!isStorage(storage)) throw new PickleError(`_rebuild_tensor_v2 needs a storage, got ${describePy(storage)}`);
  if (!isCount(storageOffset)) throw new PickleError(`bad storage offset ${describePy(storageOffset)}`);
  const shape = intTuple(size, 'size');
  const strides = intTuple(stride, 'stride');
  if (strides.length !== shape.length) throw new PickleError(`stride has ${strides.length} dimensions but size has ${shape.length}`);
  const numel = numelOf(shape);
  if (numel > 0) {
    // Row-major contiguous strides (dimensions of size 1 may carry any stride, as in torch).
    let expected = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (shape[d]! > 1 && strides[d] !== expected) {
        throw new PickleError(`tensor of shape [${shape}] with stride [${strides}] in storage '${storage.key}' is not contiguous row-major; save it with .contiguous()`);
      }
      expected *= shape[d]!;
    }
  }
  if (storageOffset + numel > storage.numel) {
    throw new PickleError(`tensor of ${numel} elements at offset ${storageOffset} runs past storage '${storage.key}' of ${storage.numel}`);
  }
  const elem = DTYPE_SIZE[storage.dtype];
  const tensor: TorchTensor = {
    kind: 'tensor',
    ref: {
      name: `storage ${storage.key}`, // replaced by the tensor's path once the tree is built
      dtype: storage.dtype,
      shape,
      numel,
      file: ctx.archive.file,
      offset: storage.dataOffset + storageOffset * elem,
      byteLength: numel * elem,
    },
    storageKey: storage.key,
    storageOffset,
    stride: strides,
  };
  if (requiresGrad === true) tensor.requiresGrad = true;
  ctx.tensors.push(tensor);
  return tensor;
}

/** `_rebuild_parameter(tensor, requires_grad, backward_hooks[, state])`: a Parameter is its tensor plus the flag. */
function rebuildParameter(args: PyValue[]): TorchTensor {
  const [data, requiresGrad] = args;
  if (!isTorchTensor(data)) throw new PickleError(`_rebuild_parameter needs a tensor, got ${describePy(data)}`);
  data.requiresGrad = requiresGrad === true;
  return data;
}

function orderedDict(args: PyValue[]): Map<PyValue, PyValue> {
  const dict = new Map<PyValue, PyValue>();
  if (args.length === 0) return dict;
  const [items] = args;
  if (args.length > 1 || !Array.isArray(items)) throw new PickleError('OrderedDict takes at most one list of pairs');
  for (const pair of items) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new PickleError('OrderedDict items must be pairs');
    dict.set(pair[0]!, pair[1]!);
  }
  return dict;
}

function torchSize(args: PyValue[]): PyValue {
  return tuple(...intTuple(args[0] ?? null, 'torch.Size'));
}

function isStorage(v: PyValue | undefined): v is TorchStorage & PyValue {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'storage';
}

function isCount(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function intTuple(v: PyValue, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isCount)) throw new PickleError(`${what} must be a tuple of non-negative ints, got ${describePy(v)}`);
  return [...(v as number[])];
}
