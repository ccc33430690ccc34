// A pickle interpreter that never executes anything. It runs the opcodes of protocols 2 to 5 (the
// binary ones; protocol-0 text opcodes are refused) into a plain value tree (see pyValue.ts).
// Every global is checked against the caller's allow-list the moment it is named, and calling
// one (REDUCE/NEWOBJ/...) goes to the caller's hooks, which build plain tagged objects.
// Limits bound memory on hostile input; the interpreter consumes at least one byte per opcode, so
// it always terminates.
import { FormatError } from '../types.ts';
import { PyGlobal, describePy, isTuple, setAttribute, tuple, tupleItems, type PyValue } from './pyValue.ts';

/** Thrown by the interpreter and by hooks for bad or refused input; becomes a FormatError with the opcode's offset. */
export class PickleError extends Error {}

export interface PickleHooks {
  /** The allow-list: return the global for `module.name`, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): PyGlobal | undefined;
  /** Calls an allow-listed global with positional arguments (REDUCE, NEWOBJ, OBJ, INST). */
  call(callee: PyGlobal, args: PyValue[]): PyValue;
  /** Resolves a persistent id (BINPERSID). Absent: persistent ids are refused. */
  persistentLoad?(pid: PyValue): PyValue;
}

export interface PickleLimits {
  /** Most items on one stack level. */
  maxStack: number;
  /** Most nested MARKs. */
  maxMarkDepth: number;
  /** Most memo entries. */
  maxMemo: number;
  /** Most containers/strings created (bounds memory on a stream of one-byte EMPTY_LIST opcodes). */
  maxObjects: number;
  /** Longest LONG1/LONG4 integer in bytes. */
  maxLongBytes: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxStack: 1 << 22,
  maxMarkDepth: 10_000,
  maxMemo: 1 << 22,
  maxObjects: 1 << 23,
  maxLongBytes: 1024,
};

export interface UnpickleOptions {
  /** The file named in errors. */
  file: string;
  /** Name of the pickle inside the file (e.g. `optimizer/data.pkl`), for messages. */
  entryName?: string;
  /** Absolute offset of the pickle's first byte in `file`, when it is stored uncompressed. */
  baseOffset?: number;
  hooks: PickleHooks;
  limits?: Partial<PickleLimits>;
}

// Opcode bytes (names as in Python's pickletools).
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32,
  BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, LONG4: 0x8b,
  NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89, BINFLOAT: 0x47,
  BINSTRING: 0x54, SHORT_BINSTRING: 0x55, BINBYTES: 0x42, SHORT_BINBYTES: 0x43, BINBYTES8: 0x8e, BYTEARRAY8: 0x96,
  BINUNICODE: 0x58, SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d,
  EMPTY_LIST: 0x5d, APPEND: 0x61, APPENDS: 0x65, LIST: 0x6c,
  EMPTY_TUPLE: 0x29, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  EMPTY_DICT: 0x7d, DICT: 0x64, SETITEM: 0x73, SETITEMS: 0x75,
  EMPTY_SET: 0x8f, ADDITEMS: 0x90, FROZENSET: 0x91,
  BINGET: 0x68, LONG_BINGET: 0x6a, BINPUT: 0x71, LONG_BINPUT: 0x72, MEMOIZE: 0x94,
  GLOBAL: 0x63, STACK_GLOBAL: 0x93, REDUCE: 0x52, BUILD: 0x62, INST: 0x69, OBJ: 0x6f, NEWOBJ: 0x81, NEWOBJ_EX: 0x92,
  PROTO: 0x80, FRAME: 0x95, BINPERSID: 0x51,
  EXT1: 0x82, EXT2: 0x83, EXT4: 0x84, NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]));
// Protocol-0 text opcodes: never emitted at protocol 2+, refused rather than parsed.
const TEXT_OPCODES = new Map<number, string>([
  [0x49, 'INT'], [0x4c, 'LONG'], [0x53, 'STRING'], [0x56, 'UNICODE'], [0x46, 'FLOAT'],
  [0x67, 'GET'], [0x70, 'PUT'], [0x50, 'PERSID'],
]);

const MAX_GLOBAL_NAME = 1024;
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Interprets `data` (a whole pickle) and returns the value left by STOP. */
export function unpickle(data: Uint8Array, options: UnpickleOptions): PyValue {
  return new Unpickler(data, options).run();
}

class Unpickler {
  private readonly view: DataView;
  private readonly limits: PickleLimits;
  private readonly hooks: PickleHooks;
  private pos = 0;
  private opPos = 0;
  private opName = '';
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private objects = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
    this.hooks = options.hooks;
  }

  run(): PyValue {
    try {
      for (;;) {
        this.opPos = this.pos;
        const op = this.u8();
        this.opName = OP_NAMES.get(op) ?? TEXT_OPCODES.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`;
        if (op === OP.STOP) return this.pop();
        this.step(op);
      }
    } catch (e) {
      if (e instanceof PickleError) throw this.formatError(e.message);
      throw e;
    }
  }

  private formatError(message: string): FormatError {
    const where = `${this.options.entryName ?? 'pickle'} byte ${this.opPos} (${this.opName})`;
    const offset = this.options.baseOffset !== undefined ? this.options.baseOffset + this.opPos : undefined;
    return new FormatError(`${where}: ${message}`, this.options.file, { offset });
  }

  private step(op: number): void {
    switch (op) {
      case OP.PROTO: {
        const v = this.u8();
        if (v > 5) throw new PickleError(`unsupported pickle protocol ${v}`);
        return;
      }
      case OP.FRAME: {
        // Frames only group opcodes for buffered reading; their contents follow inline.
        const len = this.u64();
        if (len > this.data.length - this.pos) throw new PickleError(`truncated: frame of ${len} bytes but ${this.data.length - this.pos} left`);
        return;
      }
      case OP.MARK:
        if (this.metastack.length >= this.limits.maxMarkDepth) throw new PickleError(`more than ${this.limits.maxMarkDepth} nested marks`);
        this.metastack.push(this.stack);
        this.stack = [];
        return;
      case OP.POP:
        this.pop();
        return;
      case OP.POP_MARK:
        this.popMark();
        return;
      case OP.DUP:
        this.push(this.top());
        return;

      case OP.NONE: return this.push(null);
      case OP.NEWTRUE: return this.push(true);
      case OP.NEWFALSE: return this.push(false);
      case OP.BININT: return this.push(this.i32());
      case OP.BININT1: return this.push(this.u8());
      case OP.BININT2: return this.push(this.u16());
      case OP.LONG1: return this.push(this.long(this.u8()));
      case OP.LONG4: {
        const n = this.i32();
        if (n < 0) throw new PickleError(`negative LONG4 length ${n}`);
        return this.push(this.long(n));
      }
      case OP.BINFLOAT: {
        const v = this.view.getFloat64(this.take(8), false); // big-endian, unlike everything else
        return this.push(v);
      }

      case OP.BINUNICODE: return this.pushObject(utf8.decode(this.bytes(this.u32())));
      case OP.SHORT_BINUNICODE: return this.pushObject(utf8.decode(this.bytes(this.u8())));
      case OP.BINUNICODE8: return this.pushObject(utf8.decode(this.bytes(this.u64())));
      case OP.BINSTRING: {
        const n = this.i32();
        if (n < 0) throw new PickleError(`negative BINSTRING length ${n}`);
        return this.pushObject(latin1.decode(this.bytes(n)));
      }
      case OP.SHORT_BINSTRING: return this.pushObject(latin1.decode(this.bytes(this.u8())));
      case OP.BINBYTES: return this.pushObject(this.bytes(this.u32()).slice());
      case OP.SHORT_BINBYTES: return this.pushObject(this.bytes(this.u8()).slice());
      case OP.BINBYTES8:
      case OP.BYTEARRAY8: return this.pushObject(this.bytes(this.u64()).slice());

      case OP.EMPTY_LIST: return this.pushObject([]);
      case OP.LIST: return this.pushObject(this.popMark());
      case OP.APPEND: {
        const item = this.pop();
        this.list(this.top()).push(item);
        return;
      }
      case OP.APPENDS: {
        const items = this.popMark();
        const list = this.list(this.top());
        for (const item of items) list.push(item);
        return;
      }
      case OP.EMPTY_TUPLE: return this.pushObject(tuple());
      case OP.TUPLE: return this.pushObject(tuple(...this.popMark()));
      case OP.TUPLE1: return this.pushObject(tuple(this.pop()));
      case OP.TUPLE2: {
        const b = this.pop();
        return this.pushObject(tuple(this.pop(), b));
      }
      case OP.TUPLE3: {
        const c = this.pop();
        const b = this.pop();
        return this.pushObject(tuple(this.pop(), b, c));
      }
      case OP.EMPTY_DICT: return this.pushObject(new Map());
      case OP.DICT: {
        const dict = new Map<PyValue, PyValue>();
        this.setItems(dict, this.popMark());
        return this.pushObject(dict);
      }
      case OP.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.dict(this.top()).set(key, value);
        return;
      }
      case OP.SETITEMS: {
        const items = this.popMark();
        this.setItems(this.dict(this.top()), items);
        return;
      }
      case OP.EMPTY_SET: return this.pushObject(new Set());
      case OP.FROZENSET: return this.pushObject(new Set(this.popMark()));
      case OP.ADDITEMS: {
        const items = this.popMark();
        const target = this.top();
        if (!(target instanceof Set)) throw new PickleError(`ADDITEMS on ${describePy(target)}, expected a set`);
        for (const item of items) target.add(item);
        return;
      }

      case OP.BINGET: return this.push(this.memoGet(this.u8()));
      case OP.LONG_BINGET: return this.push(this.memoGet(this.u32()));
      case OP.BINPUT: return this.memoPut(this.u8());
      case OP.LONG_BINPUT: return this.memoPut(this.u32());
      case OP.MEMOIZE: return this.memoPut(this.memo.size);

      case OP.GLOBAL: {
        const module = this.line();
        const name = this.line();
        return this.push(this.resolveGlobal(module, name));
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw new PickleError(`STACK_GLOBAL needs two strings, got ${describePy(module)} and ${describePy(name)}`);
        }
        return this.push(this.resolveGlobal(module, name));
      }
      case OP.INST: {
        const callee = this.resolveGlobal(this.line(), this.line());
        return this.pushObject(this.callGlobal(callee, this.popMark()));
      }
      case OP.OBJ: {
        const [callee, ...args] = this.popMark();
        return this.pushObject(this.callGlobal(callee, args));
      }
      case OP.REDUCE: {
        const args = this.pop();
        const callee = this.pop();
        return this.pushObject(this.callGlobal(callee, this.tupleItems(args)));
      }
      case OP.NEWOBJ: {
        const args = this.pop();
        const callee = this.pop();
        return this.pushObject(this.callGlobal(callee, this.tupleItems(args)));
      }
      case OP.NEWOBJ_EX: {
        const kwargs = this.pop();
        const args = this.pop();
        const callee = this.pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) throw new PickleError('keyword arguments (NEWOBJ_EX) are not supported');
        return this.pushObject(this.callGlobal(callee, this.tupleItems(args)));
      }
      case OP.BUILD: {
        const state = this.pop();
        this.build(this.top(), state);
        return;
      }
      case OP.BINPERSID: {
        const pid = this.pop();
        if (!this.hooks.persistentLoad) throw new PickleError('persistent ids are not allowed here');
        return this.push(this.hooks.persistentLoad(pid));
      }

      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4:
        throw new PickleError('the copyreg extension registry (EXT opcodes) is not supported');
      case OP.NEXT_BUFFER:
      case OP.READONLY_BUFFER:
        throw new PickleError('out-of-band buffers are not supported');
      default:
        if (TEXT_OPCODES.has(op)) throw new PickleError('protocol-0 text opcodes are not supported');
        throw new PickleError(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  // ---- globals and calls: the only places where the pickle could ask for code; all go through the hooks.

  private resolveGlobal(module: string, name: string): PyGlobal {
    const found = this.hooks.resolveGlobal(module, name);
    if (!found) throw new PickleError(`refused global '${module}.${name}': not in the allow-list of plain state-dict types`);
    return found;
  }

  private callGlobal(callee: PyValue | undefined, args: PyValue[]): PyValue {
    if (!(callee instanceof PyGlobal)) throw new PickleError(`cannot call ${describePy(callee)}`);
    return this.hooks.call(callee, args);
  }

  private build(target: PyValue, state: PyValue): void {
    // BUILD sets instance state. Only plain dict-like objects (OrderedDict with `_metadata`) take it;
    // their attributes are kept aside (attributesOf) and never interpreted.
    if (!(target instanceof Map)) throw new PickleError(`BUILD (set state) on ${describePy(target)} is not supported`);
    const pair = tupleItems(state);
    const dicts = pair && pair.length === 2 ? pair : [state];
    for (const d of dicts) {
      if (d === null) continue;
      if (!(d instanceof Map)) throw new PickleError(`BUILD state must be a dict, got ${describePy(d)}`);
      for (const [k, v] of d) {
        if (typeof k !== 'string') throw new PickleError(`BUILD attribute name must be a str, got ${describePy(k)}`);
        setAttribute(target, k, v);
      }
    }
  }

  // ---- stack and memo

  private push(v: PyValue): void {
    if (this.stack.length >= this.limits.maxStack) throw new PickleError(`stack deeper than ${this.limits.maxStack} items`);
    this.stack.push(v);
  }

  private pushObject(v: PyValue): void {
    if (++this.objects > this.limits.maxObjects) throw new PickleError(`more than ${this.limits.maxObjects} objects`);
    this.push(v);
  }

  private pop(): PyValue {
    if (this.stack.length === 0) throw new PickleError('stack underflow');
    return this.stack.pop()!;
  }

  private top(): PyValue {
    if (this.stack.length === 0) throw new PickleError('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const below = this.metastack.pop();
    if (!below) throw new PickleError('no MARK to pop to');
    this.stack = below;
    return items;
  }

  private memoGet(index: number): PyValue {
    if (!this.memo.has(index)) throw new PickleError(`memo entry ${index} was never set`);
    return this.memo.get(index)!;
  }

  private memoPut(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= this.limits.maxMemo) throw new PickleError(`more than ${this.limits.maxMemo} memo entries`);
    this.memo.set(index, this.top());
  }

  private list(v: PyValue): PyValue[] {
    if (!Array.isArray(v) || isTuple(v)) throw new PickleError(`APPEND to ${describePy(v)}, expected a list`);
    return v;
  }

  private dict(v: PyValue): Map<PyValue, PyValue> {
    if (!(v instanceof Map)) throw new PickleError(`SETITEM on ${describePy(v)}, expected a dict`);
    return v;
  }

  private setItems(dict: Map<PyValue, PyValue>, items: PyValue[]): void {
    if (items.length % 2 !== 0) throw new PickleError(`odd number of items (${items.length}) for a dict`);
    for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
  }

  private tupleItems(v: PyValue): PyValue[] {
    const items = tupleItems(v);
    if (!items) throw new PickleError(`call arguments must be a tuple, got ${describePy(v)}`);
    return [...items];
  }

  // ---- raw reads, each checked against the end of the data

  private take(n: number): number {
    if (n > this.data.length - this.pos) throw new PickleError(`truncated: needs ${n} more bytes but ${this.data.length - this.pos} are left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    if (this.pos >= this.data.length) throw new PickleError('truncated: the pickle ends before STOP');
    return this.data[this.pos++]!;
  }

  private u16(): number {
    return this.view.getUint16(this.take(2), true);
  }

  private u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  private i32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  private u64(): number {
    const v = this.view.getBigUint64(this.take(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`length ${v} is too large`);
    return Number(v);
  }

  private bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.data.subarray(at, at + n);
  }

  /** A newline-terminated name (GLOBAL/INST operands). */
  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleError('truncated: missing newline after a global name');
    if (end - this.pos > MAX_GLOBAL_NAME) throw new PickleError(`global name longer than ${MAX_GLOBAL_NAME} bytes`);
    const s = utf8.decode(this.data.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  /** A little-endian two's-complement integer of `n` bytes: a number when safe, else a bigint. */
  private long(n: number): number | bigint {
    if (n > this.limits.maxLongBytes) throw new PickleError(`integer of ${n} bytes exceeds the limit of ${this.limits.maxLongBytes}`);
    const b = this.bytes(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}
