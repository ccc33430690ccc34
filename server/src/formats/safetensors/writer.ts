// Streaming safetensors writer. The header needs every shape before the first data byte, so
// entries carry their shape up front and their bytes lazily: a multi-GB file is written with
// memory bounded by one chunk (plus a 1 MiB write buffer), as long as `data` is a function.
import { FormatError } from '../types.ts';
import { writeFileAtomically, type ByteSink } from '../atomicFile.ts';
import { encodeHeader, type SafetensorsTensorSpec } from './encodeHeader.ts';

export type { SafetensorsTensorSpec } from './encodeHeader.ts';

/** A tensor's bytes (little-endian, row-major): all at once, or a function called when its turn comes. */
export type TensorBytes = Uint8Array | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array>);

export interface SafetensorsEntry extends SafetensorsTensorSpec {
  data: TensorBytes;
}

export interface WriteSafetensorsOptions {
  /** Written as `__metadata__`; omitted when undefined. */
  metadata?: Record<string, string>;
}

export interface WrittenSafetensors {
  path: string;
  headerLength: number;
  fileSize: number;
}

/**
 * Writes `entries` in the order given (header order = data order). An async iterable of entries
 * is accepted and collected first; that is cheap when each entry's data is a function.
 */
export async function writeSafetensors(
  path: string,
  entries: AsyncIterable<SafetensorsEntry> | Iterable<SafetensorsEntry>,
  opts: WriteSafetensorsOptions = {},
): Promise<WrittenSafetensors> {
  const list: SafetensorsEntry[] = [];
  for await (const e of entries) list.push(e);
  const header = encodeHeader(list, opts.metadata, path);
  return writeFileAtomically(path, async (sink) => {
    await sink.write(header.bytes);
    for (const [i, entry] of list.entries()) await writeTensor(sink, entry, header.byteLengths[i]!, path);
    return { path, headerLength: header.bytes.byteLength - 8, fileSize: sink.position };
  });
}

async function writeTensor(sink: ByteSink, entry: SafetensorsEntry, expected: number, path: string): Promise<void> {
  const start = sink.position; // absolute file offset of this tensor's first byte
  const what = `${expected} bytes of ${entry.dtype} [${entry.shape.join(', ')}]`;
  const fail = (message: string, offset: number): never => {
    throw new FormatError(message, path, { tensor: entry.name, offset });
  };
  const chunks = entry.data instanceof Uint8Array ? [entry.data] : entry.data();
  let written = 0;
  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) fail(`data source gave a ${typeof chunk}, expected Uint8Array chunks`, start + written);
    written += chunk.byteLength;
    if (written > expected) fail(`data source gave more than the ${what}`, start + expected);
    await sink.write(chunk);
  }
  if (written !== expected) fail(`data source gave only ${written} of the ${what}`, start + written);
}
