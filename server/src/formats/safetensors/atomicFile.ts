// Writing a file atomically: bytes go to `<path>.tmp-<random>`, which is synced and renamed onto
// `path` only when everything succeeded; on any error the temporary file is removed.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/** Sequential byte output. Small writes are gathered into one buffer to keep system calls few. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Bytes accepted so far. */
  readonly position: number;
}

const GATHER_BYTES = 1 << 20;

export async function writeFileAtomically<T>(path: string, produce: (sink: ByteSink) => Promise<T>): Promise<T> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  let closed = false;
  try {
    const sink = new GatheringSink(fh);
    const result = await produce(sink);
    await sink.flush();
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, path);
    return result;
  } catch (e) {
    if (!closed) await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

class GatheringSink implements ByteSink {
  private readonly buf = new Uint8Array(GATHER_BYTES);
  private used = 0;
  position = 0;

  constructor(private readonly fh: FileHandle) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.position += bytes.byteLength;
    if (this.used + bytes.byteLength <= this.buf.byteLength) {
      this.buf.set(bytes, this.used);
      this.used += bytes.byteLength;
      return;
    }
    await this.flush();
    if (bytes.byteLength < this.buf.byteLength) {
      this.buf.set(bytes);
      this.used = bytes.byteLength;
    } else await writeAll(this.fh, bytes);
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await writeAll(this.fh, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}
