// Reading tensor values lazily by byte range. Memory stays bounded by the chunk size,
// whatever the size of the file.
import { open, type FileHandle } from 'node:fs/promises';
import { DTYPE_SIZE, toFloat32 } from './dtype.ts';
import { FormatError, type TensorRef } from './types.ts';

/** Default chunk: 4 Mi elements (16 MiB of float32). */
export const DEFAULT_CHUNK_ELEMENTS = 4 << 20;

/** Reads `length` bytes at absolute `offset` of `file`, failing clearly on a short read. */
export async function readRange(file: string, offset: number, length: number, tensor?: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    return await readFull(fh, file, offset, length, tensor);
  } finally {
    await fh.close();
  }
}

async function readFull(fh: FileHandle, file: string, offset: number, length: number, tensor?: string, into?: Uint8Array): Promise<Uint8Array> {
  const buf = into ?? new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) throw new FormatError(`unexpected end of file (wanted ${length} bytes)`, file, { tensor, offset: offset + done });
    done += bytesRead;
  }
  return buf;
}

/**
 * The raw bytes of a tensor, in chunks of whole elements. With `reuse`, one buffer is read into again
 * for every chunk (bounded memory, no garbage): the consumer must be done with a chunk before asking for the next.
 */
export async function* tensorByteChunks(ref: TensorRef, chunkElements = DEFAULT_CHUNK_ELEMENTS, reuse = false): AsyncGenerator<Uint8Array> {
  const size = DTYPE_SIZE[ref.dtype];
  const chunkBytes = Math.max(1, chunkElements) * size;
  const shared = reuse ? new Uint8Array(Math.min(chunkBytes, ref.byteLength)) : undefined;
  const fh = await open(ref.file, 'r');
  try {
    for (let pos = 0; pos < ref.byteLength; pos += chunkBytes) {
      const length = Math.min(chunkBytes, ref.byteLength - pos);
      yield await readFull(fh, ref.file, ref.offset + pos, length, ref.name, shared?.subarray(0, length));
    }
  } finally {
    await fh.close();
  }
}

/** A tensor's values as float32, in chunks. The yielded array is reused between chunks: copy what you keep. */
export async function* tensorFloat32Chunks(ref: TensorRef, chunkElements = DEFAULT_CHUNK_ELEMENTS): AsyncGenerator<Float32Array> {
  let out: Float32Array | undefined;
  for await (const bytes of tensorByteChunks(ref, chunkElements, true)) {
    const n = bytes.byteLength / DTYPE_SIZE[ref.dtype];
    // F32 needs no conversion: view the (aligned, freshly allocated) read buffer directly.
    if (ref.dtype === 'F32') yield new Float32Array(bytes.buffer, bytes.byteOffset, n);
    else {
      out = toFloat32(bytes, ref.dtype, out);
      yield out.subarray(0, n);
    }
  }
}

/** A whole tensor as float32. For analysis of one tensor at a time; callers bound memory by tensor. */
export async function readTensorFloat32(ref: TensorRef): Promise<Float32Array> {
  const out = new Float32Array(ref.numel);
  let at = 0;
  for await (const chunk of tensorFloat32Chunks(ref)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
