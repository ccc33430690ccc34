// Where an archive writer's bytes go. A new archive goes through writeFileAtomically (temporary file,
// renamed when complete, removed on failure). An append writes after the end of the existing file
// and, when discarded, truncates it back to its original length. Writes are append-only (never
// patched), so the writer can keep a running CRC of the whole file.
import { open, type FileHandle } from 'node:fs/promises';
import { GatheringSink, writeFileAtomically, type ByteSink } from '../../formats/atomicFile.ts';

export interface ArchiveOutput {
  /** bytes in the file so far: the offset of the next write */
  readonly position: number;
  write(bytes: Uint8Array): Promise<void>;
  /** makes what was written so far durable before anything written later (orders the trailer after its data) */
  barrier(): Promise<void>;
  /** finishes: the archive is in place */
  commit(): Promise<void>;
  /** gives up: no new archive, or the old one as it was */
  discard(): Promise<void>;
}

const DISCARDED = Symbol('discarded');

/** A new archive, written to a temporary file that `commit` renames onto `path`. */
export async function atomicOutput(path: string): Promise<ArchiveOutput> {
  // writeFileAtomically runs a callback on the sink; the writer's calls come one by one, so the
  // callback hands the sink out and waits for the writer to decide between commit and discard.
  let decide!: (keep: boolean) => void;
  const decision = new Promise<boolean>((resolve) => (decide = resolve));
  let handOver!: (sink: ByteSink) => void;
  let failToOpen!: (e: unknown) => void;
  const opened = new Promise<ByteSink>((resolve, reject) => {
    handOver = resolve;
    failToOpen = reject;
  });
  const done = writeFileAtomically(path, async (sink) => {
    handOver(sink);
    if (!(await decision)) throw DISCARDED;
  });
  done.catch(failToOpen); // settles `opened` if the temporary file cannot be made; a no-op later
  const sink = await opened;
  return {
    get position() {
      return sink.position;
    },
    write: (bytes) => sink.write(bytes),
    barrier: async () => undefined,
    async commit() {
      decide(true);
      await done;
    },
    async discard() {
      decide(false);
      await done.catch((e: unknown) => {
        if (e !== DISCARDED) throw e;
      });
    },
  };
}


/** Appends to the archive at `path`, which must still be `size` bytes long. */
export async function appendOutput(path: string, size: number): Promise<ArchiveOutput> {
  const fh = await open(path, 'r+');
  try {
    const now = (await fh.stat()).size;
    if (now !== size) throw new Error(`${path} changed while being opened for appending (${now} bytes, expected ${size})`);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return new AppendOutput(fh, size);
}

class AppendOutput implements ArchiveOutput {
  private readonly sink: GatheringSink;

  constructor(
    private readonly fh: FileHandle,
    private readonly originalSize: number,
  ) {
    this.sink = new GatheringSink(fh, originalSize);
  }

  get position(): number {
    return this.sink.position;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.sink.write(bytes);
  }

  async barrier(): Promise<void> {
    await this.sink.flush();
    await this.fh.datasync();
  }

  async commit(): Promise<void> {
    await this.barrier();
    await this.fh.close();
  }

  async discard(): Promise<void> {
    try {
      this.sink.drop();
      await this.fh.truncate(this.originalSize);
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }
}
