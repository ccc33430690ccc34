// A caller's byte mask (one byte per element) on the GPU, cut at a tensor's slabs and bound as u32
// words, 4 mask bytes each (slabs start at multiples of 4 elements, see planSlabs). Resident: every
// slab's bytes uploaded once, for kernels that take several passes; otherwise uploaded per slab and
// pass into a pooled buffer that is given back with the slab. Without a mask, a 16-byte placeholder
// keeps the pipelines' layout the same.
import { BufferUsage } from './constants.ts';
import { roundBytes } from './multiSlabs.ts';
import type { GpuRuntime } from './runtime.ts';
import type { Slab } from './slabs.ts';

const USAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST;

export class MaskSlabs {
  private readonly resident: GPUBuffer[] | null;
  private placeholder: GPUBuffer | null = null;

  constructor(
    private readonly rt: GpuRuntime,
    private readonly mask: Uint8Array | undefined,
    slabs: Slab[],
    keepResident: boolean,
  ) {
    for (const s of slabs) if (s.start % 4 !== 0) throw new RangeError(`internal: slab ${s.index} starts at element ${s.start}, not on a mask word`);
    this.resident = mask && keepResident ? slabs.map((s) => this.upload(s)) : null;
  }

  /** The slab's binding, and the buffers to give back once the slab is done. */
  bind(slab: Slab): { binding: GPUBufferBinding; release: GPUBuffer[] } {
    if (!this.mask) {
      this.placeholder ??= this.rt.pool.acquire(16, USAGE, 'no mask');
      return { binding: { buffer: this.placeholder, size: 16 }, release: [] };
    }
    const size = roundBytes(slab.count);
    if (this.resident) return { binding: { buffer: this.resident[slab.index]!, size }, release: [] };
    const buffer = this.upload(slab);
    return { binding: { buffer, size }, release: [buffer] };
  }

  dispose(): void {
    if (this.resident) this.rt.pool.release(...this.resident);
    if (this.placeholder) this.rt.pool.release(this.placeholder);
  }

  private upload(slab: Slab): GPUBuffer {
    const mask = this.mask!;
    const buffer = this.rt.pool.acquire(roundBytes(slab.count), USAGE, 'mask');
    const words = slab.count & ~3;
    // writeBuffer rejects views of a SharedArrayBuffer: go through a private copy.
    const view = mask.subarray(slab.start, slab.start + words);
    const src: Uint8Array<ArrayBuffer> = view.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : new Uint8Array(view);
    if (words > 0) this.rt.device.queue.writeBuffer(buffer, 0, src);
    if (slab.count > words) {
      const tail = new Uint8Array(4);
      tail.set(mask.subarray(slab.start + words, slab.start + slab.count));
      this.rt.device.queue.writeBuffer(buffer, words, tail);
    }
    return buffer;
  }
}
