// Streaming several tensors of one length through the GPU slab by slab (kernels 6-8 read two to
// four tensors at once: weights, reference, moments, importance), with several outputs per slab.
//
// Same scheme as slabs.ts: every source is cut at the same element ranges, uploaded through its own
// ring of two buffers (or already resident, one buffer per slab), and each slab's outputs are read
// back and handed over in slab order, so host-side merges are deterministic.
import type { TensorData } from '../types.ts';
import { BufferUsage, MapMode } from './constants.ts';
import type { GpuRuntime } from './runtime.ts';
import { uploadSlab, type Slab, type SlabInput } from './slabs.ts';

/** A tensor uploaded slab by slab, or buffers that already hold each slab (index = slab.index). */
export type SlabSource = TensorData | SlabInput[];

export interface SlabOutput {
  buffer: GPUBuffer;
  bytes: number;
}

export interface MultiSlabJob {
  /** Encodes the slab's kernels; returns the buffers to read back and what to release after. */
  encode(encoder: GPUCommandEncoder, inputs: SlabInput[], slab: Slab): { outputs: SlabOutput[]; release(): void };
  /** Receives the slab's outputs (in the order encode gave them); valid only during the call. */
  consume(slab: Slab, data: ArrayBuffer[]): void;
}

/** Ring input buffers may also be bound read-write and copied out (an uploaded residual is masked in place). */
export const MULTI_INPUT_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC;

const RING = 2;

export async function runMultiSlabs(rt: GpuRuntime, sources: SlabSource[], slabs: Slab[], job: MultiSlabJob): Promise<void> {
  const { device, pool } = rt;
  const rings: GPUBuffer[][] = sources.map(() => []);
  const done: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();
  try {
    for (const slab of slabs) {
      if (slab.index >= RING) await done[slab.index - RING];
      const inputs = sources.map((src, i): SlabInput => {
        if (Array.isArray(src)) return src[slab.index]!;
        const buffer = (rings[i]![slab.index % RING] ??= pool.acquire(rt.slabBytes, MULTI_INPUT_USAGE, 'multi input'));
        return { buffer, bindBytes: uploadSlab(rt, src, slab, buffer) };
      });
      const encoder = device.createCommandEncoder({ label: `ckpt-lens multi slab ${slab.index}` });
      const { outputs, release } = job.encode(encoder, inputs, slab);
      const readbacks = outputs.map((o) => {
        const rb = pool.acquire(o.bytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'readback');
        encoder.copyBufferToBuffer(o.buffer, 0, rb, 0, o.bytes);
        return rb;
      });
      device.queue.submit([encoder.finish()]);
      const mapped = Promise.all(readbacks.map((rb, i) => rb.mapAsync(MapMode.READ, 0, outputs[i]!.bytes)));
      mapped.catch(() => {}); // surfaces through `finished`
      const finished = chain
        .then(() => mapped)
        .then(() => {
          try {
            job.consume(slab, readbacks.map((rb, i) => rb.getMappedRange(0, outputs[i]!.bytes)));
          } finally {
            for (const rb of readbacks) {
              rb.unmap();
              pool.release(rb);
            }
            release();
          }
        });
      finished.catch(() => {});
      done.push(finished);
      chain = finished;
    }
    await chain;
  } finally {
    for (const ring of rings) for (const b of ring) pool.release(b);
  }
}

/** Output bytes rounded up to the 16-byte multiple that bindings and copies want. */
export function roundBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}
