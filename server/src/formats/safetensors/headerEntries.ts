// Validation of one tensor entry of a safetensors header and of the `__metadata__` entry.
// Each check throws a FormatError naming the file, the tensor and a byte offset.
import { DTYPE_SIZE, isDType } from '../dtype.ts';
import { DTYPES, FormatError, type DType } from '../types.ts';

/** A header entry after validation; `begin`/`end` are relative to the start of the data section. */
export interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

/** Where the header sits in the file and how to locate an entry's text in it (for error offsets). */
export interface HeaderContext {
  file: string;
  dataOffset: number;
  dataSize: number;
  /** Absolute byte offset of a tensor's key within the header. */
  keyOffset(name: string): number;
}

const isNonNegativeInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

export function parseEntry(name: string, value: unknown, ctx: HeaderContext): HeaderEntry {
  const fail = (message: string, offset = ctx.keyOffset(name)): never => {
    throw new FormatError(message, ctx.file, { tensor: name, offset });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('header entry is not an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) return fail(`unknown dtype ${JSON.stringify(dtype) ?? 'undefined'} (expected one of ${DTYPES.join(', ')})`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) return fail(`shape ${JSON.stringify(shape) ?? 'undefined'} is not an array of non-negative integers`);
  const numel = shapeNumel(shape);
  if (numel === undefined) return fail(`shape [${shape.join(', ')}] has more elements than can be addressed`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    return fail(`data_offsets ${JSON.stringify(offsets) ?? 'undefined'} is not a pair of non-negative integers [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  const at = ctx.dataOffset + begin;
  if (begin > end) fail(`data_offsets [${begin}, ${end}]: begin is after end`, at);
  if (end > ctx.dataSize) {
    fail(`data_offsets [${begin}, ${end}] reach past the end of the data section (${ctx.dataSize} bytes, ending at file byte ${ctx.dataOffset + ctx.dataSize})`, at);
  }
  const bytes = numel * DTYPE_SIZE[dtype];
  if (bytes !== end - begin) {
    fail(`shape [${shape.join(', ')}] of ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`, at);
  }
  return { name, dtype, shape, numel, begin, end };
}

/** Product of the dimensions, or undefined past 2^53 (no file can hold that many elements). */
function shapeNumel(shape: number[]): number | undefined {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return n;
}

export function parseMetadata(value: unknown, ctx: HeaderContext, key: string): Record<string, string> {
  const offset = ctx.keyOffset(key);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(`${key} is ${describe(value)}, expected an object of strings`, ctx.file, { offset });
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FormatError(`${key} value for key '${k}' is ${describe(v)}, expected a string`, ctx.file, { offset });
  }
  // fromEntries defines own properties, so even a key named "__proto__" is kept as data.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v} (${JSON.stringify(v)})`;
}
