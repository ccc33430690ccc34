// Optimizer hyper-parameters (a pickled value tree) as JSON and back, for the archive header.
// Tuples become {"$tuple": [...]}, dicts {"$dict": [[key, value], ...]}; anything else (globals,
// tensors, bytes) cannot be stored and is refused with its path.
import { isTuple, tuple, type PyValue, type WritableValue } from '../formats/torch/pyValue.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export function pyToJson(v: PyValue, path: string): JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { $float: String(v) };
    return v;
  }
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (Array.isArray(v)) {
    const items = (v as readonly PyValue[]).map((x, i) => pyToJson(x, `${path}[${i}]`));
    return isTuple(v) ? { $tuple: items } : items;
  }
  if (v instanceof Map) return { $dict: [...v.entries()].map(([k, x]) => [pyToJson(k, `${path} key`), pyToJson(x, `${path}[${String(k)}]`)]) };
  throw new Error(`${path}: a ${(v as { kind?: string }).kind ?? typeof v} value cannot be stored in the archive header`);
}

export function jsonToPy(v: JsonValue): WritableValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(jsonToPy);
  if ('$tuple' in v) return tuple(...(v.$tuple as JsonValue[]).map(jsonToPy));
  if ('$dict' in v) return new Map((v.$dict as JsonValue[][]).map(([k, x]) => [jsonToPy(k!), jsonToPy(x!)]));
  if ('$float' in v) return Number(v.$float);
  if ('$int' in v) return BigInt(v.$int as string);
  throw new Error(`unknown value in the archive header: ${JSON.stringify(v).slice(0, 80)}`);
}
