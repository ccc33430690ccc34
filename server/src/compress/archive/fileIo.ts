// Reading archive bytes: exact positional reads that fail clearly when the file is shorter than
// the index says, and a sequential reader for verification that keeps one block in memory and
// a running CRC32 of everything it handed out (the whole-file checksum).
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ArchiveError } from './errors.ts';
import type { SectionInfo } from './types.ts';

export const BLOCK_BYTES = 4 << 20;

export async function readExact(fh: FileHandle, file: string, offset: number, length: number, section?: SectionInfo, into?: Uint8Array): Promise<Uint8Array> {
  const buf = into ?? new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) throw new ArchiveError(`unexpected end of file (wanted ${length} bytes at ${offset})`, file, { offset: offset + done, section });
    done += bytesRead;
  }
  return buf;
}

export class SequentialReader {
  private readonly buf: Uint8Array;
  /** file offsets of the bytes now in `buf` */
  private bufStart = 0;
  private bufEnd = 0;
  /** CRC32 of bytes [start, position) */
  crc = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
    public position: number,
    private readonly end: number,
    blockBytes = BLOCK_BYTES,
  ) {
    this.buf = new Uint8Array(Math.max(1, Math.min(blockBytes, end - position)));
  }

  /** The next `n` bytes, copied. For small pieces (heads, tails, JSON). */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    for (let done = 0; done < n; ) {
      const part = await this.take(n - done);
      out.set(part, done);
      done += part.byteLength;
    }
    return out;
  }

  /** The next `n` bytes as views of the reader's block; each is valid until the next pull. */
  async *chunks(n: number): AsyncGenerator<Uint8Array> {
    for (let done = 0; done < n; ) {
      const part = await this.take(n - done);
      done += part.byteLength;
      yield part;
    }
  }

  private async take(max: number): Promise<Uint8Array> {
    if (this.position >= this.bufEnd) await this.fill();
    const from = this.position - this.bufStart;
    const to = Math.min(this.bufEnd, this.position + max) - this.bufStart;
    const part = this.buf.subarray(from, to);
    this.position += part.byteLength;
    this.crc = crc32(part, this.crc);
    return part;
  }

  private async fill(): Promise<void> {
    const want = Math.min(this.buf.byteLength, this.end - this.position);
    const { bytesRead } = want > 0 ? await this.fh.read(this.buf, 0, want, this.position) : { bytesRead: 0 };
    if (bytesRead === 0) throw new ArchiveError('unexpected end of file', this.file, { offset: this.position });
    this.bufStart = this.position;
    this.bufEnd = this.position + bytesRead;
  }
}
