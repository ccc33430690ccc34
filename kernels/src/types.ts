// The data types every backend speaks. Kernels know numbers, not files: a tensor (or one chunk of
// it) arrives as values in memory, F32 as floats and the 16-bit formats as their raw bits.

/** Element types the kernels read. BF16/F16 stay 16-bit all the way to the GPU (half the upload). */
export type KernelDType = 'F32' | 'BF16' | 'F16';

/**
 * One tensor, or one chunk of a tensor, in memory. `data` may live on an ArrayBuffer or a
 * SharedArrayBuffer. BF16/F16 elements are the little-endian bit patterns as read from disk.
 */
export type TensorData =
  | { dtype: 'F32'; data: Float32Array }
  | { dtype: 'BF16' | 'F16'; data: Uint16Array };

/** Bytes per element of a kernel dtype. */
export function bytesPerElement(dtype: KernelDType): 2 | 4 {
  return dtype === 'F32' ? 4 : 2;
}

/** Where a backend writes what it decides (which adapter, fallbacks, GPU errors). */
export interface KernelLog {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLog: KernelLog = { info() {}, warn() {} };
