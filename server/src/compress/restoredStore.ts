// Restored weights of one checkpoint, kept on disk (float32, one range per parameter) so that a
// series can be compressed against the RESTORED previous checkpoint with memory bounded by one tensor.
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class RestoredStore {
  private readonly index = new Map<string, { offset: number; length: number }>();
  private size = 0;

  private constructor(private readonly dir: string, private readonly fh: FileHandle) {}

  static async create(): Promise<RestoredStore> {
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-lens-restored-'));
    return new RestoredStore(dir, await open(join(dir, 'weights.f32'), 'w+'));
  }

  has(param: string): boolean {
    return this.index.has(param);
  }

  async put(param: string, values: Float32Array): Promise<void> {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    await this.fh.write(bytes, 0, bytes.length, this.size);
    this.index.set(param, { offset: this.size, length: values.length });
    this.size += bytes.length;
  }

  async get(param: string): Promise<Float32Array | undefined> {
    const at = this.index.get(param);
    if (!at) return undefined;
    const out = new Float32Array(at.length);
    await this.fh.read(new Uint8Array(out.buffer), 0, out.byteLength, at.offset);
    return out;
  }

  async dispose(): Promise<void> {
    await this.fh.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
