// Reused GPU buffers. Creating a buffer zero-fills it (about 1 GB/s on llvmpipe) and a kernel call
// needs a few per slab, so buffers go back to a pool keyed by usage and size class instead of being
// destroyed. Idle buffers beyond a byte budget are destroyed, oldest first.

interface Idle {
  buffer: GPUBuffer;
  key: string;
}

export class BufferPool {
  private readonly idle: Idle[] = [];
  private readonly sizes = new WeakMap<GPUBuffer, string>();
  private idleBytes = 0;
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxIdleBytes: number,
  ) {}

  /** A buffer of at least `size` bytes with exactly `usage`; give it back with release(). */
  acquire(size: number, usage: number, purpose: string): GPUBuffer {
    const bytes = sizeClass(size);
    const key = `${usage}:${bytes}`;
    const i = this.idle.findIndex((e) => e.key === key);
    if (i >= 0) {
      const [e] = this.idle.splice(i, 1);
      this.idleBytes -= bytes;
      return e!.buffer;
    }
    const buffer = this.device.createBuffer({ size: bytes, usage, label: `ckpt-lens ${purpose} #${++this.created} (${bytes} B)` });
    this.sizes.set(buffer, key);
    return buffer;
  }

  /** Gives buffers back for reuse (buffers the pool did not make are ignored). */
  release(...buffers: GPUBuffer[]): void {
    for (const buffer of buffers) {
      const key = this.sizes.get(buffer);
      if (!key) continue;
      this.idle.push({ buffer, key });
      this.idleBytes += buffer.size;
    }
    while (this.idleBytes > this.maxIdleBytes && this.idle.length > 0) {
      const old = this.idle.shift()!;
      this.idleBytes -= old.buffer.size;
      old.buffer.destroy();
    }
  }

  /** Destroys every idle buffer. */
  clear(): void {
    for (const e of this.idle) e.buffer.destroy();
    this.idle.length = 0;
    this.idleBytes = 0;
  }
}

/** Sizes rounded up to 256 B, then to a power of two or a multiple of 16 MiB above that. */
export function sizeClass(size: number): number {
  const MiB16 = 16 << 20;
  if (size <= 256) return 256;
  if (size <= MiB16) return 2 ** Math.ceil(Math.log2(size));
  return Math.ceil(size / MiB16) * MiB16;
}
