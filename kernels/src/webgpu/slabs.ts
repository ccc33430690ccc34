// Streaming a tensor through the GPU in slabs that fit the binding and buffer limits.
//
// Every kernel's per-slab output is read back and combined on the host (merged moments, added
// counts), so slab boundaries can fall anywhere and the result is exact however the tensor is cut.
// Slabs are uploaded into a ring of two pooled input buffers: uploading slab i+1 overlaps slab i's
// kernel, and waiting for slab i-2's readback before reusing its buffer bounds the data that Dawn
// stages. Multi-pass kernels may upload every slab once and keep them resident instead.
import { bytesPerElement, type TensorData } from '../types.ts';
import { BufferUsage, MapMode } from './constants.ts';
import type { GpuRuntime } from './runtime.ts';

export interface Slab {
  index: number;
  /** element range [start, start + count) of the tensor */
  start: number;
  count: number;
}

/** A slab's input on the GPU: the buffer and the bytes to bind (a multiple of 16). */
export interface SlabInput {
  buffer: GPUBuffer;
  bindBytes: number;
}

export interface SlabJob {
  /** Encodes the slab's kernel; returns the buffer to read back, its byte length, and what to release after. */
  encode(encoder: GPUCommandEncoder, input: SlabInput, slab: Slab): { output: GPUBuffer; bytes: number; release(): void };
  /** Receives the slab's output, in slab order. The buffer is only valid during the call. */
  consume(slab: Slab, data: ArrayBuffer): void;
}

const RING = 2;

/** Cuts `numel` elements into slabs of at most `slabBytes` (whole 32-bit words per slab). */
export function planSlabs(numel: number, bytesPerElem: number, slabBytes: number): Slab[] {
  let per = Math.floor(slabBytes / bytesPerElem);
  if (bytesPerElem === 2) per -= per % 2; // a slab starts on a 32-bit word
  // Keep slabs a multiple of a full workgroup tile when they are large enough to.
  if (per > 1 << 16) per -= per % (1 << 14);
  const out: Slab[] = [];
  for (let start = 0, i = 0; start < numel; start += per, i++) out.push({ index: i, start, count: Math.min(per, numel - start) });
  return out;
}

/** Copies a slab's bytes into `buffer`; returns the bytes to bind. */
export function uploadSlab(rt: GpuRuntime, x: TensorData, slab: Slab, buffer: GPUBuffer): number {
  const bpe = bytesPerElement(x.dtype);
  const bytes = slab.count * bpe;
  const offset = x.data.byteOffset + slab.start * bpe;
  const words = bytes & ~3;
  const view = new Uint8Array(x.data.buffer, offset, words);
  // writeBuffer rejects views of a SharedArrayBuffer: go through a private copy.
  const src: Uint8Array<ArrayBuffer> = view.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : new Uint8Array(view);
  const queue = rt.device.queue;
  if (words > 0) queue.writeBuffer(buffer, 0, src, 0, words);
  if (bytes > words) {
    // An odd count of 16-bit elements: pad the last word (the kernel ignores elements past n).
    const tail = new Uint8Array(4);
    tail.set(new Uint8Array(x.data.buffer, offset + words, bytes - words));
    queue.writeBuffer(buffer, words, tail);
  }
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/** Uploads every slab into its own buffer (for kernels that read the tensor several times). */
export function uploadResident(rt: GpuRuntime, x: TensorData, slabs: Slab[]): SlabInput[] {
  return slabs.map((slab) => {
    const buffer = rt.pool.acquire(rt.slabBytes, BufferUsage.STORAGE | BufferUsage.COPY_DST, 'resident input');
    return { buffer, bindBytes: uploadSlab(rt, x, slab, buffer) };
  });
}

export function releaseInputs(rt: GpuRuntime, inputs: SlabInput[]): void {
  for (const i of inputs) rt.pool.release(i.buffer);
}

/**
 * Runs `job` on every slab of `x`, from `resident` inputs when given (one per slab) or uploading
 * through the ring. Resolves once every slab's output has been consumed.
 */
export async function runSlabs(rt: GpuRuntime, x: TensorData, slabs: Slab[], job: SlabJob, resident?: SlabInput[]): Promise<void> {
  const { device, pool } = rt;
  const ring: GPUBuffer[] = [];
  const done: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();
  try {
    for (const slab of slabs) {
      let input: SlabInput;
      if (resident) input = resident[slab.index]!;
      else {
        if (slab.index >= RING) await done[slab.index - RING];
        const buffer = (ring[slab.index % RING] ??= pool.acquire(rt.slabBytes, BufferUsage.STORAGE | BufferUsage.COPY_DST, 'input'));
        input = { buffer, bindBytes: uploadSlab(rt, x, slab, buffer) };
      }
      const encoder = device.createCommandEncoder({ label: `ckpt-lens slab ${slab.index}` });
      const { output, bytes, release } = job.encode(encoder, input, slab);
      const readback = pool.acquire(bytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'readback');
      encoder.copyBufferToBuffer(output, 0, readback, 0, bytes);
      device.queue.submit([encoder.finish()]);
      const mapped = readback.mapAsync(MapMode.READ, 0, bytes);
      mapped.catch(() => {}); // a failure surfaces through `finished`, unless an earlier slab failed first
      // Consume in slab order so float merges are deterministic.
      const finished = chain
        .then(() => mapped)
        .then(() => {
          try {
            job.consume(slab, readback.getMappedRange(0, bytes));
          } finally {
            readback.unmap();
            pool.release(readback);
            release();
          }
        });
      finished.catch(() => {}); // observed through `chain`; avoids an unhandled rejection if we stop early
      done.push(finished);
      chain = finished;
    }
    await chain;
  } finally {
    for (const b of ring) pool.release(b);
  }
}
