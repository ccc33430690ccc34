// Parsing a safetensors header (the JSON after the 8-byte length) into TensorRefs.
import { FormatError, type TensorRef } from '../types.ts';
import { parseEntry, parseMetadata, type HeaderContext, type HeaderEntry } from './headerEntries.ts';
import { checkCoverage } from './layout.ts';

/** Python's safetensors refuses headers above 100 MB; so do we, before allocating anything. */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';
/** The header JSON starts after the 8-byte little-endian length. */
export const HEADER_START = 8;

export interface ParsedHeader {
  metadata: Record<string, string>;
  /** In header (JSON key) order. */
  tensors: TensorRef[];
}

export function parseHeader(bytes: Uint8Array, file: string, fileSize: number): ParsedHeader {
  const dataOffset = HEADER_START + bytes.byteLength;
  const text = decodeUtf8(bytes, file);
  const json = parseJson(text, file);
  const ctx: HeaderContext = { file, dataOffset, dataSize: fileSize - dataOffset, keyOffset: (name) => keyOffset(text, name) };

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, ctx, METADATA_KEY);
    else entries.push(parseEntry(name, value, ctx));
  }
  checkCoverage(entries, file, dataOffset, ctx.dataSize);
  const tensors = entries.map(({ name, dtype, shape, numel, begin, end }) => ({
    name, dtype, shape, numel, file, offset: dataOffset + begin, byteLength: end - begin,
  }));
  return { metadata, tensors };
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FormatError('header is not valid UTF-8', file, { offset: HEADER_START });
  }
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // V8 reports a character position for most syntax errors; turn it into a file offset.
    const message = (e as Error).message;
    const pos = / at position (\d+)/.exec(message);
    const offset = HEADER_START + (pos ? Buffer.byteLength(text.slice(0, Number(pos[1]))) : 0);
    // The position is reported as a file offset instead; V8's character index would only confuse.
    throw new FormatError(`header is not valid JSON (${truncate(pos ? message.slice(0, pos.index) : message)})`, file, { offset });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError(`header is JSON ${Array.isArray(json) ? 'array' : String(json === null ? 'null' : typeof json)}, expected an object`, file, {
      offset: HEADER_START,
    });
  }
  return json as Record<string, unknown>;
}

/** Absolute offset of a key in the header text; the header start if it cannot be found verbatim. */
function keyOffset(text: string, name: string): number {
  const at = text.indexOf(JSON.stringify(name));
  return HEADER_START + (at < 0 ? 0 : Buffer.byteLength(text.slice(0, at)));
}

function truncate(s: string, max = 160): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
