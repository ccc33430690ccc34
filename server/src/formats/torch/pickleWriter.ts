// Writes a value tree as a protocol-2 pickle, the protocol torch.save uses, with the same opcodes
// Python's pickler picks (BININT1/2, BINUNICODE, EMPTY_DICT + SETITEMS, TUPLE1..3, ...). Globals are
// memoized so each is named once, as Python does. Tuples are frozen arrays, lists plain arrays,
// dicts Maps or plain objects; integral numbers are ints unless wrapped in PyFloat.
import { PyCall, PyFloat, PyGlobal, PyPersistentId, describePy, isTuple, type WritableValue } from './pyValue.ts';

const BATCH = 1000; // Python's pickler also splits APPENDS/SETITEMS into batches of 1000.
const utf8 = new TextEncoder();

/** The protocol-2 pickle of `value`. */
export function pickle(value: WritableValue): Uint8Array {
  const w = new PickleWriter();
  w.byte(0x80, 2); // PROTO 2
  w.value(value);
  w.byte(0x2e); // STOP
  return w.finish();
}

class PickleWriter {
  private buf = new Uint8Array(1024);
  private len = 0;
  private readonly globalMemo = new Map<string, number>();
  private nextMemo = 0;

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  byte(...bytes: number[]): void {
    this.ensure(bytes.length);
    for (const b of bytes) this.buf[this.len++] = b;
  }

  value(v: WritableValue): void {
    if (v === null) return this.byte(0x4e); // NONE
    if (v === true) return this.byte(0x88); // NEWTRUE
    if (v === false) return this.byte(0x89); // NEWFALSE
    if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? this.int(v) : this.float(v);
    if (typeof v === 'bigint') return this.long(v);
    if (typeof v === 'string') return this.str(v);
    if (v instanceof PyFloat) return this.float(v.value);
    if (v instanceof PyGlobal) return this.global(v);
    if (v instanceof PyCall) {
      this.global(v.callee);
      this.tuple(v.args);
      return this.byte(0x52); // REDUCE
    }
    if (v instanceof PyPersistentId) {
      this.value(v.id);
      return this.byte(0x51); // BINPERSID
    }
    if (Array.isArray(v)) return isTuple(v) ? this.tuple(v) : this.list(v);
    if (v instanceof Map) return this.dict([...v]);
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return this.dict(Object.entries(v));
    throw new TypeError(`cannot pickle ${describePy(v)}`);
  }

  private int(v: number): void {
    if (v >= 0 && v < 0x100) return this.byte(0x4b, v); // BININT1
    if (v >= 0 && v < 0x10000) return this.byte(0x4d, v & 0xff, v >>> 8); // BININT2
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.byte(0x4a); // BININT
      return this.bytes(le(BigInt(v), 4));
    }
    this.long(BigInt(v));
  }

  private long(v: bigint): void {
    // LONG1: the shortest little-endian two's-complement encoding.
    let n = 1;
    while (v < -(1n << BigInt(8 * n - 1)) || v >= 1n << BigInt(8 * n - 1)) n++;
    if (n > 255) throw new RangeError('integer too large to pickle with LONG1');
    this.byte(0x8a, n);
    this.bytes(le(v, n));
  }

  private float(v: number): void {
    this.byte(0x47); // BINFLOAT, big-endian
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    this.bytes(b);
  }

  private str(s: string): void {
    const b = utf8.encode(s);
    this.byte(0x58); // BINUNICODE
    this.bytes(le(BigInt(b.length), 4));
    this.bytes(b);
  }

  private global(g: PyGlobal): void {
    const key = g.qualifiedName;
    const memo = this.globalMemo.get(key);
    if (memo !== undefined) return this.get(memo);
    this.byte(0x63); // GLOBAL
    this.bytes(utf8.encode(`${g.module}\n${g.name}\n`));
    this.put(key);
  }

  private tuple(items: readonly WritableValue[]): void {
    if (items.length === 0) return this.byte(0x29); // EMPTY_TUPLE
    if (items.length <= 3) {
      for (const item of items) this.value(item);
      return this.byte(0x84 + items.length); // TUPLE1..3
    }
    this.byte(0x28); // MARK
    for (const item of items) this.value(item);
    this.byte(0x74); // TUPLE
  }

  private list(items: readonly WritableValue[]): void {
    this.byte(0x5d); // EMPTY_LIST
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      if (batch.length === 1) {
        this.value(batch[0]!);
        this.byte(0x61); // APPEND
      } else {
        this.byte(0x28); // MARK
        for (const item of batch) this.value(item);
        this.byte(0x65); // APPENDS
      }
    }
  }

  private dict(entries: Array<[WritableValue, WritableValue]>): void {
    this.byte(0x7d); // EMPTY_DICT
    for (let i = 0; i < entries.length; i += BATCH) {
      const batch = entries.slice(i, i + BATCH);
      if (batch.length === 1) {
        this.value(batch[0]![0]);
        this.value(batch[0]![1]);
        this.byte(0x73); // SETITEM
      } else {
        this.byte(0x28); // MARK
        for (const [k, v] of batch) {
          this.value(k);
          this.value(v);
        }
        this.byte(0x75); // SETITEMS
      }
    }
  }

  private put(key: string): void {
    const index = this.nextMemo++;
    this.globalMemo.set(key, index);
    if (index < 0x100) this.byte(0x71, index); // BINPUT
    else {
      this.byte(0x72); // LONG_BINPUT
      this.bytes(le(BigInt(index), 4));
    }
  }

  private get(index: number): void {
    if (index < 0x100) this.byte(0x68, index); // BINGET
    else {
      this.byte(0x6a); // LONG_BINGET
      this.bytes(le(BigInt(index), 4));
    }
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** `v` as `n` little-endian two's-complement bytes. */
function le(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let i = 0; i < n; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
