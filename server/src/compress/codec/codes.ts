// Quantization code streams (ExCP: code 0 = pruned, 1 .. 2^bits - 1 = centroid index), coded with the
// adaptive range coder. Per position: a "kept" flag (code != 0) in a context of the previous flag,
// then, when kept, the code through a binary tree of contexts (symbolCoder.ts).
//
// Why a flag first: code 0 is a different kind of event (pruned) from the centroid indices; on the
// fixtures' first-moment codes the flag-then-tree coder is 1.4% smaller than the plain 4-bit tree,
// and it is the same as coding the mask as its own stream (the two models are independent).
//
// Masks known to both ends: with `mask`, only positions where mask != 0 are coded (the others are 0).
// ExCP's momentum mask is a subset of the weight mask, so the moment codes are coded only where the
// weight was kept (2% smaller on the fixtures than coding them everywhere), and the second-moment
// codes only where the first moment was kept.
//
// Tree contexts: order 0, order 1 (the previous symbol), a side symbol known to both ends (e.g. the
// first-moment code when coding the second moment's), or `rows`: the code one row up (same column),
// given the row length. `model: 'auto'` (default) codes the first 2^18 coded positions with each
// that applies and keeps the smallest. On the fixtures' weight codes, order 0 wins on most tensors,
// but lm_head's rows repeat (the rows of tokens that never occur all get the same update): 7.1 KB
// in order 0, 5.2 KB with the row context (7-Zip, whose LZ matches find the repeats: 5.4 KB).
//
// `static`: the coded positions' codes through static order-0 rANS (rans.ts) instead. The adaptive
// coder decodes ~13M weight codes/s, rANS ~20x faster, and on large stationary streams rANS is
// also ~1% smaller (the adaptive estimates' noise); on small tensors its frequency table costs more.
// 'auto' takes it whenever it is within 1% of the smallest adaptive model.
import { RangeDecoder, RangeEncoder, newBitModels } from './rangeCoder.ts';
import { ransDecode, ransEncode } from './rans.ts';
import { ByteReader, ByteWriter, STREAM_KIND } from './streamFormat.ts';
import { decodeSymbol, encodeSymbol, newSymbolModel } from './symbolCoder.ts';

export type CodesModel = 'order0' | 'order1' | 'side' | 'rows' | 'static';

export interface CodesContext {
  /** positions to code (nonzero); the codes elsewhere must be 0. Same length as the codes. */
  mask?: Uint8Array;
  /** a symbol per position known to the decoder too (0..255), usable as the tree's context */
  side?: Uint8Array;
}

export interface EncodeCodesOptions extends CodesContext {
  /** default 'auto': the smallest of the models that apply, judged on a prefix */
  model?: CodesModel | 'auto';
  /** elements per row (the last dimension of the tensor): enables the 'rows' model; the stream records it */
  rowLength?: number;
}

const FLAG_ORDER1 = 1;
const FLAG_SIDE = 2;
const FLAG_MASK = 4;
const FLAG_ROWS = 8;
/** all model bits set: no adaptive model uses more than one */
const MODEL_STATIC = FLAG_ORDER1 | FLAG_SIDE | FLAG_ROWS;
const MODEL_FLAGS = FLAG_ORDER1 | FLAG_SIDE | FLAG_ROWS;
/** 'static' wins a near-tie (it decodes ~20x faster) */
const STATIC_TOLERANCE = 0.01;
const SIDE_CONTEXTS = 256;
/** coded positions tried per model in 'auto' */
const TRIAL_POSITIONS = 1 << 18;

/** Codes `codes` (each < 2^bits, bits 1..8) into a self-describing stream. */
export function encodeCodes(codes: Uint8Array, bits: number, opts: EncodeCodesOptions = {}): Uint8Array {
  checkBits(bits);
  const { mask, side } = opts;
  checkLengths(codes.length, opts, 'codes');
  const limit = 1 << bits;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] >= limit) throw new RangeError(`code ${codes[i]} at index ${i} does not fit in ${bits} bits`);
    if (mask && mask[i] === 0 && codes[i] !== 0) throw new RangeError(`code ${codes[i]} at index ${i} lies outside the mask (it would be lost)`);
  }
  const rowLength = opts.rowLength ?? 0;
  if (!Number.isSafeInteger(rowLength) || rowLength < 0) throw new RangeError(`bad row length ${opts.rowLength}`);
  const requested = opts.model ?? 'auto';
  if (requested === 'side' && !side) throw new RangeError("model 'side' needs the side symbols");
  if (requested === 'rows' && rowLength === 0) throw new RangeError("model 'rows' needs the row length");
  let model: CodesModel = requested === 'auto' ? 'order0' : requested;
  const ctx = { mask, side, rowLength };
  if (requested === 'auto') {
    const candidates: CodesModel[] = ['order0', 'order1'];
    if (side) candidates.push('side');
    if (rowLength > 0 && rowLength < codes.length) candidates.push('rows');
    const end = prefixEnd(codes.length, mask, TRIAL_POSITIONS);
    let best = Infinity;
    let bestPayload: Uint8Array | null = null;
    for (const c of candidates) {
      const payload = codePayload(codes, bits, c, ctx, end);
      if (payload.length < best) {
        best = payload.length;
        model = c;
        bestPayload = payload;
      }
    }
    const fast = staticPayload(codes, mask, end);
    if (fast.length <= best * (1 + STATIC_TOLERANCE)) {
      model = 'static';
      bestPayload = fast;
    }
    // The trial covered everything: it is the result.
    if (end === codes.length && bestPayload) return withHeader(bits, model, ctx, bestPayload);
  }
  return withHeader(bits, model, ctx, codePayload(codes, bits, model, ctx, codes.length));
}

/** Decodes `n` codes of `bits` bits; `opts` must hold the mask / side symbols the encoder had. */
export function decodeCodes(stream: Uint8Array, n: number, bits: number, opts: CodesContext = {}, what = 'codes stream'): Uint8Array {
  checkBits(bits);
  const { mask, side } = opts;
  checkLengths(n, opts, what);
  const r = new ByteReader(stream, what);
  r.kind('codes');
  const head = r.u8('the header');
  const storedBits = head & 0x0f;
  const flags = head >>> 4;
  if (storedBits !== bits) throw r.error(`coded with ${storedBits}-bit codes, asked to decode ${bits}-bit codes`);
  const modelFlag = flags & MODEL_FLAGS;
  if (storedBits < 1 || storedBits > 8 || (modelFlag !== MODEL_STATIC && (modelFlag & (modelFlag - 1)) !== 0)) throw r.error(`corrupt: bad header 0x${head.toString(16)}`);
  if (Boolean(flags & FLAG_MASK) !== Boolean(mask)) throw r.error(flags & FLAG_MASK ? 'coded under a mask: pass the same mask to decode' : 'coded without a mask, but a mask was passed');
  if (modelFlag === MODEL_STATIC) return decodeStatic(r, n, bits, mask, what);
  if (flags & FLAG_SIDE && !side) throw r.error('coded with side symbols as context: pass the same side symbols to decode');
  const model: CodesModel = flags & FLAG_ORDER1 ? 'order1' : flags & FLAG_SIDE ? 'side' : flags & FLAG_ROWS ? 'rows' : 'order0';
  const rowLength = model === 'rows' ? r.varint('the row length') : 0;

  const dec = new RangeDecoder(r.bytes(r.remaining, 'the payload'), what);
  const out = new Uint8Array(n);
  const flagModels = newBitModels(2);
  const tree = newSymbolModel(bits, contextsOf(model, bits));
  let prevFlag = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue;
    const kept = dec.decodeBit(flagModels, prevFlag);
    prevFlag = kept;
    let symbol = 0;
    if (kept) {
      const context = model === 'order1' ? prev : model === 'side' ? side![i] : model === 'rows' && i >= rowLength ? out[i - rowLength] : 0;
      symbol = bits === 1 ? 1 : decodeSymbol(dec, tree, context);
      if (symbol === 0) throw new Error(`${what}: corrupt: a kept position decoded as code 0 (index ${i})`);
    }
    out[i] = symbol;
    prev = symbol;
  }
  dec.finish();
  return out;
}

interface ModelInputs {
  mask: Uint8Array | undefined;
  side: Uint8Array | undefined;
  rowLength: number;
}

function codePayload(codes: Uint8Array, bits: number, model: CodesModel, { mask, side, rowLength }: ModelInputs, end: number): Uint8Array {
  if (model === 'static') return staticPayload(codes, mask, end);
  const enc = new RangeEncoder(Math.max(64, (end * bits) >>> 4));
  const flagModels = newBitModels(2);
  const tree = newSymbolModel(bits, contextsOf(model, bits));
  let prevFlag = 0;
  let prev = 0;
  for (let i = 0; i < end; i++) {
    if (mask && mask[i] === 0) continue;
    const symbol = codes[i];
    const kept = symbol === 0 ? 0 : 1;
    enc.encodeBit(flagModels, prevFlag, kept);
    prevFlag = kept;
    if (kept && bits > 1) {
      const context = model === 'order1' ? prev : model === 'side' ? side![i] : model === 'rows' && i >= rowLength ? codes[i - rowLength] : 0;
      encodeSymbol(enc, tree, context, symbol);
    }
    prev = symbol;
  }
  return enc.finish();
}

/** The codes at the coded positions before `end`, through static rANS. */
function staticPayload(codes: Uint8Array, mask: Uint8Array | undefined, end: number): Uint8Array {
  if (!mask) return ransEncode(codes.subarray(0, end));
  let count = 0;
  for (let i = 0; i < end; i++) count += mask[i] !== 0 ? 1 : 0;
  const kept = new Uint8Array(count);
  for (let i = 0, k = 0; i < end; i++) if (mask[i] !== 0) kept[k++] = codes[i];
  return ransEncode(kept);
}

function decodeStatic(r: ByteReader, n: number, bits: number, mask: Uint8Array | undefined, what: string): Uint8Array {
  const coded = mask ? mask.reduce((s, m) => s + (m !== 0 ? 1 : 0), 0) : n;
  const symbols = ransDecode(r.bytes(r.remaining, 'the payload'), coded, what);
  const limit = 1 << bits;
  for (let k = 0; k < coded; k++) if (symbols[k] >= limit) throw new Error(`${what}: corrupt: code ${symbols[k]} does not fit in ${bits} bits`);
  if (!mask) return symbols;
  const out = new Uint8Array(n);
  for (let i = 0, k = 0; i < n; i++) if (mask[i] !== 0) out[i] = symbols[k++];
  return out;
}

function withHeader(bits: number, model: CodesModel, { mask, rowLength }: ModelInputs, payload: Uint8Array): Uint8Array {
  const flags = { order0: 0, order1: FLAG_ORDER1, side: FLAG_SIDE, rows: FLAG_ROWS, static: MODEL_STATIC }[model] | (mask ? FLAG_MASK : 0);
  const w = new ByteWriter().u8(STREAM_KIND.codes).u8(bits | (flags << 4));
  if (model === 'rows') w.varint(rowLength);
  return w.bytes(payload).finish();
}

function contextsOf(model: CodesModel, bits: number): number {
  return model === 'order1' || model === 'rows' ? 1 << bits : model === 'side' ? SIDE_CONTEXTS : 1;
}

/** The index after which `positions` coded positions have been seen (or the end). */
function prefixEnd(n: number, mask: Uint8Array | undefined, positions: number): number {
  if (!mask) return Math.min(n, positions);
  let seen = 0;
  for (let i = 0; i < n; i++) if (mask[i] !== 0 && ++seen === positions) return i + 1;
  return n;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`codes must be 1..8 bits wide, got ${bits}`);
}

function checkLengths(n: number, ctx: CodesContext, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what}: bad element count ${n}`);
  if (ctx.mask && ctx.mask.length !== n) throw new RangeError(`${what}: the mask has ${ctx.mask.length} elements, the codes ${n}`);
  if (ctx.side && ctx.side.length !== n) throw new RangeError(`${what}: the side symbols have ${ctx.side.length} elements, the codes ${n}`);
}
