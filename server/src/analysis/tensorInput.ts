// Reading a tensor into the form the kernels take. F32 stays F32; BF16/F16 stay raw 16-bit patterns
// (the GPU unpacks them, half the upload); every other dtype is converted to F32 on the way in.
import type { TensorData } from '../../../kernels/src/index.ts';
import { DTYPE_SIZE, toFloat32 } from '../formats/dtype.ts';
import { readRange } from '../formats/tensorData.ts';
import type { TensorRef } from '../formats/types.ts';

/** A whole tensor in memory, as kernel input. Analyses hold one tensor (and its moments) at a time. */
export async function loadTensorData(ref: TensorRef): Promise<TensorData> {
  const bytes = await readRange(ref.file, ref.offset, ref.byteLength, ref.name);
  const n = ref.byteLength / DTYPE_SIZE[ref.dtype];
  // readRange returns a fresh, aligned buffer: view it without copying.
  if (ref.dtype === 'F32') return { dtype: 'F32', data: new Float32Array(bytes.buffer, bytes.byteOffset, n) };
  if (ref.dtype === 'BF16' || ref.dtype === 'F16') return { dtype: ref.dtype, data: new Uint16Array(bytes.buffer, bytes.byteOffset, n) };
  return { dtype: 'F32', data: toFloat32(bytes, ref.dtype) };
}

/** The values as float32 (a view for F32, a conversion for the 16-bit formats), for element-wise host work. */
export function asFloat32(x: TensorData): Float32Array {
  if (x.dtype === 'F32') return x.data;
  return toFloat32(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength), x.dtype);
}
