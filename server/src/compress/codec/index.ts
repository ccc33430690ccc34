// The entropy-coding layer of checkpoint compression. Every stream starts with a kind byte and its
// method ids, so a decoder needs only the stream (and, for codes, their count and width).
//
//   encodeCodes / decodeCodes            quantization codes (code 0 = pruned), adaptive range coder
//   encodeFloatPlanes / decodeFloatPlanes lossless F32 / BF16 / F16 by byte planes, optional XOR reference
//   encodeBytes / decodeBytes            anything else (JSON, pickle skeletons, other dtypes)
//
// Choices and measurements: codes.ts, bytePlanes.ts, methodChoice.ts; the comparison against
// 7-Zip and brotli: scripts/bench/entropy.ts.
export { encodeCodes, decodeCodes, type CodesContext, type CodesModel, type EncodeCodesOptions } from './codes.ts';
export { encodeFloatPlanes, decodeFloatPlanes, type PlaneDType, type FloatPlanesOptions, type PlaneReport } from './bytePlanes.ts';
export { encodeBytes, decodeBytes } from './bytes.ts';
export type { ByteMethod } from './byteCoders.ts';
export type { ChoiceOptions } from './methodChoice.ts';
export type { DecodeOptions } from './streamFormat.ts';
