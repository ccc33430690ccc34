// Static order-0 rANS for byte streams: the fast option for large float planes.
//
// The adaptive range coder spends 8 binary decisions per byte (about 15-20 MB/s in V8); a static
// model decodes a byte with one table lookup and a multiply-add, an order of magnitude faster, and
// on a large stationary plane it is as small as the adaptive order-0 coder (the model is the exact
// histogram; its header costs ~2 bytes per distinct byte value). Byte-wise renormalisation (32-bit
// state in [2^23, 2^31)), two interleaved states (even / odd positions) so that the decoder's two
// dependency chains overlap.
//
// Layout: varint count of distinct symbols, then per symbol (ascending) varint (gap to the previous
// symbol) and varint frequency (the frequencies sum to 2^14); then the two final states (4 bytes
// each, big-endian, state 0 first) and the renormalisation bytes in decoding order.
// The decoder must end having read every byte with both states back at their start value.
import { ByteReader, ByteWriter } from './streamFormat.ts';

const SCALE_BITS = 14;
const SCALE = 1 << SCALE_BITS;
const SLOT_MASK = SCALE - 1;
/** lower bound of the normalised state */
const STATE_LOW = 1 << 23;

/** The histogram scaled to frequencies summing to 2^14, every present byte at least 1. */
function normalizedFrequencies(data: Uint8Array): Uint32Array {
  const counts = new Float64Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  const freq = new Uint32Array(256);
  let sum = 0;
  let largest = 0;
  for (let s = 0; s < 256; s++) {
    if (counts[s] === 0) continue;
    freq[s] = Math.max(1, Math.round((counts[s] * SCALE) / data.length));
    sum += freq[s];
    if (counts[s] > counts[largest]) largest = s;
  }
  // Rounding leaves the sum a little off: take the difference from the others, largest first.
  let excess = sum - SCALE;
  freq[largest] -= Math.min(excess, freq[largest] - 1);
  excess = freq.reduce((a, b) => a + b, 0) - SCALE;
  for (let s = 0; excess !== 0; s = (s + 1) % 256) {
    if (excess > 0 && freq[s] > 1) {
      freq[s]--;
      excess--;
    } else if (excess < 0 && freq[s] > 0) {
      freq[s]++;
      excess++;
    }
  }
  return freq;
}

export function ransEncode(data: Uint8Array): Uint8Array {
  const header = new ByteWriter();
  if (data.length === 0) return header.varint(0).finish();
  const freq = normalizedFrequencies(data);
  const cum = new Uint32Array(257);
  for (let s = 0; s < 256; s++) cum[s + 1] = cum[s] + freq[s];
  const distinct = freq.reduce((a, f) => a + (f > 0 ? 1 : 0), 0);
  header.varint(distinct);
  let last = 0;
  for (let s = 0; s < 256; s++) {
    if (freq[s] === 0) continue;
    header.varint(s - last).varint(freq[s]);
    last = s;
  }

  // Encoding runs backwards and writes bytes backwards, so that decoding runs forwards.
  let out = new Uint8Array(Math.max(64, data.length + 16));
  let pos = out.length;
  const states = [STATE_LOW, STATE_LOW];
  const renormLimit = new Float64Array(256);
  for (let s = 0; s < 256; s++) renormLimit[s] = ((STATE_LOW >>> SCALE_BITS) << 8) * freq[s];
  for (let i = data.length - 1; i >= 0; i--) {
    const s = data[i];
    const lane = i & 1;
    let x = states[lane];
    const f = freq[s];
    while (x >= renormLimit[s]) {
      if (pos === 0) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out, out.length);
        pos += out.length;
        out = grown;
      }
      out[--pos] = x & 0xff;
      x >>>= 8;
    }
    states[lane] = Math.floor(x / f) * SCALE + (x % f) + cum[s];
  }
  const body = out.subarray(pos);
  const w = header;
  for (const x of states) w.u8(x >>> 24).u8((x >>> 16) & 0xff).u8((x >>> 8) & 0xff).u8(x & 0xff);
  return w.bytes(body).finish();
}

export function ransDecode(stream: Uint8Array, n: number, what = 'rANS stream'): Uint8Array {
  const r = new ByteReader(stream, what);
  const distinct = r.varint('the symbol count');
  const out = new Uint8Array(n);
  if (distinct === 0) {
    if (n !== 0) throw r.error(`holds no symbols, ${n} expected`);
    r.end();
    return out;
  }
  if (distinct > 256) throw r.error(`corrupt: ${distinct} distinct byte values`);
  // Per slot: the symbol, and its frequency and offset within the symbol's range packed into one
  // word (freq <= 2^14 takes 15 bits, the offset 14), so a step needs two loads that depend only
  // on the slot.
  const freq = new Uint32Array(256);
  const slotSymbol = new Uint8Array(SCALE);
  const slotStep = new Uint32Array(SCALE);
  let symbol = 0;
  let total = 0;
  for (let k = 0; k < distinct; k++) {
    symbol += r.varint('a symbol');
    const f = r.varint('a frequency');
    if (symbol > 255 || (k > 0 && freq[symbol] !== 0) || f === 0 || total + f > SCALE) throw r.error('corrupt: bad frequency table');
    freq[symbol] = f;
    slotSymbol.fill(symbol, total, total + f);
    for (let j = 0; j < f; j++) slotStep[total + j] = (f << SCALE_BITS) | j;
    total += f;
  }
  if (total !== SCALE) throw r.error(`corrupt: frequencies add up to ${total}, not ${SCALE}`);
  const head = r.bytes(8, 'the final states');
  let x0 = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
  let x1 = (head[4] << 24) | (head[5] << 16) | (head[6] << 8) | head[7];
  if (x0 < 0 || x1 < 0) throw r.error('corrupt: bad final state');
  const buf = stream;
  const len = stream.length;
  let pos = r.pos;
  let i = 0;
  // A pair of steps reads at most 4 bytes: while 4 are left, no per-byte bounds checks. The
  // renormalisation is branch-free (`below` is -1 while the state is under its range, else 0): a
  // state needs 0, 1 or 2 bytes after each step, unpredictably.
  let below = 0;
  for (; i + 1 < n && pos + 4 <= len; i += 2) {
    let slot = x0 & SLOT_MASK;
    let step = slotStep[slot];
    out[i] = slotSymbol[slot];
    x0 = (Math.imul(step >>> SCALE_BITS, x0 >>> SCALE_BITS) + (step & SLOT_MASK)) | 0;
    below = (x0 - STATE_LOW) >> 31;
    x0 = (x0 << (8 & below)) | (buf[pos] & below);
    pos -= below;
    below = (x0 - STATE_LOW) >> 31;
    x0 = (x0 << (8 & below)) | (buf[pos] & below);
    pos -= below;
    slot = x1 & SLOT_MASK;
    step = slotStep[slot];
    out[i + 1] = slotSymbol[slot];
    x1 = (Math.imul(step >>> SCALE_BITS, x1 >>> SCALE_BITS) + (step & SLOT_MASK)) | 0;
    below = (x1 - STATE_LOW) >> 31;
    x1 = (x1 << (8 & below)) | (buf[pos] & below);
    pos -= below;
    below = (x1 - STATE_LOW) >> 31;
    x1 = (x1 << (8 & below)) | (buf[pos] & below);
    pos -= below;
  }
  const next = (): number => {
    if (pos >= len) throw new Error(`${what}: truncated: needed byte offset ${pos} of a ${len}-byte stream`);
    return buf[pos++];
  };
  for (; i < n; i++) {
    let x = i & 1 ? x1 : x0;
    const slot = x & SLOT_MASK;
    const step = slotStep[slot];
    out[i] = slotSymbol[slot];
    x = (step >>> SCALE_BITS) * (x >>> SCALE_BITS) + (step & SLOT_MASK);
    while (x < STATE_LOW) x = (x << 8) | next();
    if (i & 1) x1 = x;
    else x0 = x;
  }
  if (pos !== len) throw new Error(`${what}: corrupt: ${len - pos} byte(s) left over after the last symbol (byte offset ${pos})`);
  if (x0 !== STATE_LOW || x1 !== STATE_LOW) throw new Error(`${what}: corrupt: the decoder did not end in the encoder's start state (byte offset ${pos})`);
  return out;
}
