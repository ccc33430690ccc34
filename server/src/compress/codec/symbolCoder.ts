// Symbols of a small alphabet (0 .. 2^bits - 1, bits <= 8) coded bit by bit, high bit first, through a
// binary tree of adaptive contexts: node 1 is the root, node 2k + b the child of node k after bit b,
// so a symbol costs `bits` binary decisions and each tree node learns its own split.
//
// A tree is chosen per symbol by a context number (0 for order 0; the previous symbol for order 1;
// a side symbol known to both ends, e.g. the first-moment code when coding the second moment's).
import { newBitModels, type BitModels, type RangeDecoder, type RangeEncoder } from './rangeCoder.ts';

export interface SymbolModel {
  readonly bits: number;
  /** 2^bits contexts (tree nodes; node 0 unused) per context number */
  readonly models: BitModels;
}

export function newSymbolModel(bits: number, contexts: number): SymbolModel {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`symbol width must be 1..8 bits, got ${bits}`);
  return { bits, models: newBitModels(contexts << bits) };
}

export function encodeSymbol(enc: RangeEncoder, model: SymbolModel, context: number, symbol: number): void {
  const base = context << model.bits;
  let node = 1;
  for (let k = model.bits - 1; k >= 0; k--) {
    const bit = (symbol >>> k) & 1;
    enc.encodeBit(model.models, base + node, bit);
    node = (node << 1) | bit;
  }
}

export function decodeSymbol(dec: RangeDecoder, model: SymbolModel, context: number): number {
  const base = context << model.bits;
  let node = 1;
  for (let k = 0; k < model.bits; k++) node = (node << 1) | dec.decodeBit(model.models, base + node);
  return node - (1 << model.bits);
}
