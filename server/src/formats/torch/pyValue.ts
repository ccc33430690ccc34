// The plain value tree a pickle becomes, and the few markers the pickle writer understands.
// Python -> JS: None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number,
// str -> string, bytes/bytearray -> Uint8Array, list -> array, tuple -> FROZEN array (see `tuple`),
// dict/OrderedDict -> Map, set/frozenset -> Set, an allow-listed global -> PyGlobal, and whatever an
// allow-listed callable returns (tagged objects such as torch tensors, each with a `kind`).

/** A Python value after safe unpickling. Objects made by allow-listed callables carry a `kind` tag. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | readonly PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | PyGlobal
  | PyTagged;

/** An object produced by an allow-listed callable (tensor, storage, ...). */
export interface PyTagged {
  readonly kind: string;
}

/** A reference to a module-level Python name (`module.name`), e.g. `torch.FloatStorage`. */
export class PyGlobal implements PyTagged {
  readonly kind = 'global';
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * Tuples are frozen arrays: they read like arrays (`const [b1, b2] = group.betas`) and the writer
 * emits them as tuples, while plain (unfrozen) arrays are lists.
 */
export function tuple<const T extends readonly unknown[]>(...items: T): Readonly<T> {
  return Object.freeze(items);
}

/** True for a tuple (a frozen array); not a type guard, since lists and tuples share the array type. */
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && Object.isFrozen(v);
}

/** The items of a tuple, or undefined when `v` is not one. */
export function tupleItems(v: unknown): readonly PyValue[] | undefined {
  return isTuple(v) ? (v as readonly PyValue[]) : undefined;
}

/** Writer marker: a number that must be written as a Python float even when it is integral (0.0, 1.0). */
export class PyFloat implements PyTagged {
  readonly kind = 'float';
  constructor(readonly value: number) {}
}

/** Writer marker: `callee(*args)` (REDUCE), e.g. `torch._utils._rebuild_tensor_v2(...)`. */
export class PyCall implements PyTagged {
  readonly kind = 'call';
  constructor(
    readonly callee: PyGlobal,
    readonly args: readonly WritableValue[],
  ) {}
}

/** Writer marker: a persistent id (BINPERSID); torch uses it to point at a storage record. */
export class PyPersistentId implements PyTagged {
  readonly kind = 'persistent-id';
  constructor(readonly id: WritableValue) {}
}

/** What the pickle writer accepts: plain values, plain objects as str-keyed dicts, and the markers above. */
export type WritableValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly WritableValue[]
  | Map<WritableValue, WritableValue>
  | { readonly [key: string]: WritableValue }
  | PyGlobal
  | PyFloat
  | PyCall
  | PyPersistentId;

/** Instance attributes set by BUILD (e.g. the `_metadata` of a module state dict), kept beside the object. */
const attributes = new WeakMap<object, Map<string, PyValue>>();

export function attributesOf(obj: object): ReadonlyMap<string, PyValue> | undefined {
  return attributes.get(obj);
}

export function setAttribute(obj: object, name: string, value: PyValue): void {
  let attrs = attributes.get(obj);
  if (!attrs) attributes.set(obj, (attrs = new Map()));
  attrs.set(name, value);
}

/** A short description of a value's type for error messages. */
export function describePy(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (v instanceof PyGlobal) return `global ${v.qualifiedName}`;
  if (typeof v === 'object' && v !== null && 'kind' in v) return String((v as PyTagged).kind);
  return typeof v;
}
