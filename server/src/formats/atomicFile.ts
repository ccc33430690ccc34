// Writing a file atomically: bytes go to `<path>.tmp-<random>` in the same directory, which is
// synced and renamed onto `path` only when everything succeeded; on any error the temporary file
// is removed, so readers never see a half-written file and failures leave nothing behind.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/** Byte output of an atomic write. Small writes are gathered into one buffer to keep system calls few. */
export interface ByteSink {
  /** Appends `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Overwrites bytes already written at `offset` (a header field known only after its data, like a CRC). */
  patch(offset: number, bytes: Uint8Array): Promise<void>;
  /** Bytes written so far: the file offset of the next `write`. */
  readonly position: number;
}

const GATHER_BYTES = 1 << 20;

/** Runs `produce` on a sink over a temporary file, then moves the file onto `path`; returns what `produce` returned. */
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

/** Writes gathered into 1 MiB positional writes, from `position` on (an append starts at the file's end). */
export class GatheringSink implements ByteSink {
  private readonly buf = new Uint8Array(GATHER_BYTES);
  /** Bytes in `buf`, not yet on disk; they end at `position`. */
  private used = 0;

  constructor(
    private readonly fh: FileHandle,
    public position = 0,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.byteLength > this.buf.byteLength) await this.flush();
    if (bytes.byteLength >= this.buf.byteLength) await this.writeAt(bytes, this.position);
    else {
      this.buf.set(bytes, this.used);
      this.used += bytes.byteLength;
    }
    this.position += bytes.byteLength;
  }

  async patch(offset: number, bytes: Uint8Array): Promise<void> {
    if (!(offset >= 0 && offset + bytes.byteLength <= this.position)) {
      throw new RangeError(`patch of ${bytes.byteLength} bytes at ${offset} is outside the ${this.position} bytes written`);
    }
    // The part before the buffer is on disk already; the rest is still in the buffer.
    const bufferStart = this.position - this.used;
    const onDisk = Math.min(bytes.byteLength, Math.max(0, bufferStart - offset));
    if (onDisk > 0) await this.writeAt(bytes.subarray(0, onDisk), offset);
    if (onDisk < bytes.byteLength) this.buf.set(bytes.subarray(onDisk), offset + onDisk - bufferStart);
  }

  /** Forgets what is still buffered (the caller is discarding the file). */
  drop(): void {
    this.used = 0;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeAt(this.buf.subarray(0, this.used), this.position - this.used);
    this.used = 0;
  }

  private writeAt(bytes: Uint8Array, offset: number): Promise<void> {
    return writeFully(this.fh, bytes, offset);
  }
}

/** Writes all of `bytes` at `offset` (a positional write may write less than asked). */
export async function writeFully(fh: FileHandle, bytes: Uint8Array, offset: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, offset + done);
    done += bytesWritten;
  }
}
