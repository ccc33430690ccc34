// Picking a byte coder for one buffer by measurement: every candidate is tried (on the whole buffer
// when it is small, else on a sample) and the fastest-decoding one whose size is within
// `speedTolerance` of the smallest wins.
//
// Why a tolerance: the adaptive range coder decodes ~14 MB/s, rANS ~260 MB/s, brotli ~440 MB/s,
// stored at memory speed; on the fixtures' exponent planes rANS and adaptive order 0 differ by 0.1%.
// Why samples: brotli at quality 11 codes ~1 MB/s and the adaptive coders ~15 MB/s, too slow to try
// them all on every plane of a multi-GB checkpoint; above TRIAL_BYTES they are tried on
// SAMPLE_SLICES slices spread over the buffer (brotli at the quality the whole buffer would get).
import { brotliQualityFor, encodeWith, type ByteMethod } from './byteCoders.ts';

/** Fastest decoding first: the order in which near-ties are broken. */
const BY_DECODE_SPEED: readonly ByteMethod[] = ['stored', 'brotli', 'rans', 'order0', 'order1'];
export const TRIAL_BYTES = 1 << 18;
const SAMPLE_SLICES = 4;
const SLICE_BYTES = 1 << 16;

export interface ChoiceOptions {
  /** methods to consider (default: all of BY_DECODE_SPEED) */
  methods?: readonly ByteMethod[];
  /** accept a faster-decoding method up to this fraction larger than the smallest (default 0.01) */
  speedTolerance?: number;
}

export interface Choice {
  method: ByteMethod;
  payload: Uint8Array;
}

export function chooseAndEncode(data: Uint8Array, opts: ChoiceOptions = {}): Choice {
  const allowed = opts.methods ?? BY_DECODE_SPEED;
  const tolerance = opts.speedTolerance ?? 0.01;
  const candidates = BY_DECODE_SPEED.filter((m) => allowed.includes(m));
  if (candidates.length === 0) throw new RangeError(`no usable coding method among ${allowed.join(', ')}`);
  const whole = data.length <= TRIAL_BYTES;
  const trialData = whole ? data : sample(data);
  const quality = brotliQualityFor(data.length);
  const tried = candidates.map((method) => ({ method, payload: encodeWith(method, trialData, quality) }));
  const smallest = Math.min(...tried.map((t) => t.payload.length));
  const pick = tried.find((t) => t.payload.length <= smallest * (1 + tolerance))!;
  return whole ? pick : { method: pick.method, payload: encodeWith(pick.method, data, quality) };
}

/** Evenly spaced slices of a large buffer, concatenated. */
function sample(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(SAMPLE_SLICES * SLICE_BYTES);
  const stride = Math.floor((data.length - SLICE_BYTES) / (SAMPLE_SLICES - 1));
  for (let k = 0; k < SAMPLE_SLICES; k++) out.set(data.subarray(k * stride, k * stride + SLICE_BYTES), k * SLICE_BYTES);
  return out;
}
