// What torch objects become after safe unpickling, and the typed-storage names <-> our DType.
import type { DType, TensorRef } from '../types.ts';

/** `torch.<Name>Storage` as torch.save names it in a persistent id, mapped to the element type. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** The storage class torch.save names for `dtype`, or undefined when torch has no legacy typed storage for it (FP8). */
export function storageClassFor(dtype: DType): string | undefined {
  return Object.keys(STORAGE_DTYPES).find((name) => STORAGE_DTYPES[name] === dtype);
}

/** A storage record (`<prefix>/data/<key>`) as a persistent id describes it. */
export interface TorchStorage {
  readonly kind: 'storage';
  key: string;
  dtype: DType;
  /** Elements in the storage. */
  numel: number;
  /** Device it was saved from (`cpu`, `cuda:0`, ...); the bytes are the same. */
  location: string;
  /** Absolute offset of the storage's bytes in the file. */
  dataOffset: number;
}

/**
 * A tensor of a torch file. `ref` locates its bytes (row-major, contiguous: other strides are refused);
 * its name is the dotted path of the first place it appears in the object tree (`state.0.exp_avg`).
 */
export interface TorchTensor {
  readonly kind: 'tensor';
  ref: TensorRef;
  storageKey: string;
  /** In elements. */
  storageOffset: number;
  stride: number[];
  requiresGrad?: boolean;
}

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'tensor';
}
