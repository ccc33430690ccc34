// The fixed binary pieces of a .ckpz archive (docs/FORMAT.md has the byte tables): the preamble
// that opens the file, the small head and tail around every section, and the trailer that closes it.
// Pure encode/decode, no I/O. All integers little-endian; u64 values must fit a JS safe integer.
import { crc32 } from 'node:zlib';

export const FORMAT_MAJOR = 1;
export const FORMAT_MINOR = 0;

/** \x89 C K P Z \r \n \x1a: the high byte and line endings catch 7-bit and text-mode transfers, as PNG's do. */
export const FILE_MAGIC = Uint8Array.of(0x89, 0x43, 0x4b, 0x50, 0x5a, 0x0d, 0x0a, 0x1a);
export const SECTION_MAGIC = ascii('SECT');
export const END_MAGIC = ascii('CKPZ-END');

/** magic, major, minor, header length; the header JSON and its CRC follow */
export const PREAMBLE_FIXED = 16;
/** magic, meta length; the meta JSON and the head CRC follow */
export const SECTION_HEAD_FIXED = 8;
export const CRC_BYTES = 4;
/** payload length (u64), payload CRC, tail CRC */
export const SECTION_TAIL_BYTES = 16;
export const TRAILER_BYTES = 48;
/** the smallest archive: an empty header `{}`, no sections, an index, a trailer */
export const MIN_ARCHIVE_BYTES = PREAMBLE_FIXED + 2 + CRC_BYTES + 2 + TRAILER_BYTES;

/** Caps that keep hostile lengths from turning into huge allocations. */
export const LIMITS = {
  headerJson: 16 << 20,
  sectionMeta: 1 << 20,
  indexJson: 256 << 20,
  entryHeaderJson: 256 << 20,
  /** readSection's one-buffer limit; larger sections are read with sectionChunks */
  sectionRead: 1 << 30,
} as const;

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function setU64(view: DataView, at: number, value: number): void {
  view.setBigUint64(at, BigInt(value), true);
}

/** A u64 as a number, or undefined when it does not fit a safe integer (only a hostile file has one). */
function getU64(view: DataView, at: number): number | undefined {
  const v = view.getBigUint64(at, true);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

// ---- preamble ----------------------------------------------------------------------------------

export function encodePreamble(headerJson: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREAMBLE_FIXED + headerJson.byteLength + CRC_BYTES);
  const view = viewOf(out);
  out.set(FILE_MAGIC, 0);
  view.setUint16(8, FORMAT_MAJOR, true);
  view.setUint16(10, FORMAT_MINOR, true);
  view.setUint32(12, headerJson.byteLength, true);
  out.set(headerJson, PREAMBLE_FIXED);
  const body = PREAMBLE_FIXED + headerJson.byteLength;
  view.setUint32(body, crc32(out.subarray(0, body)), true);
  return out;
}

export interface PreambleFixed {
  magicOk: boolean;
  major: number;
  minor: number;
  headerLength: number;
}

export function decodePreambleFixed(bytes: Uint8Array): PreambleFixed {
  const view = viewOf(bytes);
  return {
    magicOk: sameBytes(bytes.subarray(0, 8), FILE_MAGIC),
    major: view.getUint16(8, true),
    minor: view.getUint16(10, true),
    headerLength: view.getUint32(12, true),
  };
}

// ---- section head and tail ---------------------------------------------------------------------

export function encodeSectionHead(metaJson: Uint8Array): Uint8Array {
  const out = new Uint8Array(SECTION_HEAD_FIXED + metaJson.byteLength + CRC_BYTES);
  const view = viewOf(out);
  out.set(SECTION_MAGIC, 0);
  view.setUint32(4, metaJson.byteLength, true);
  out.set(metaJson, SECTION_HEAD_FIXED);
  const body = SECTION_HEAD_FIXED + metaJson.byteLength;
  view.setUint32(body, crc32(out.subarray(0, body)), true);
  return out;
}

/** The meta JSON of a section head, or a reason why the head is broken. */
export function decodeSectionHead(head: Uint8Array): { meta: Uint8Array } | { problem: string } {
  if (head.byteLength < SECTION_HEAD_FIXED + CRC_BYTES || !sameBytes(head.subarray(0, 4), SECTION_MAGIC)) return { problem: 'section head has no SECT marker' };
  const view = viewOf(head);
  const metaLength = view.getUint32(4, true);
  if (SECTION_HEAD_FIXED + metaLength + CRC_BYTES !== head.byteLength) return { problem: `section head says ${metaLength} meta bytes, the index implies ${head.byteLength - SECTION_HEAD_FIXED - CRC_BYTES}` };
  const body = SECTION_HEAD_FIXED + metaLength;
  if (view.getUint32(body, true) !== crc32(head.subarray(0, body))) return { problem: 'section head checksum mismatch' };
  return { meta: head.subarray(SECTION_HEAD_FIXED, body) };
}

export function encodeSectionTail(length: number, payloadCrc: number): Uint8Array {
  const out = new Uint8Array(SECTION_TAIL_BYTES);
  const view = viewOf(out);
  setU64(view, 0, length);
  view.setUint32(8, payloadCrc, true);
  view.setUint32(12, crc32(out.subarray(0, 12)), true);
  return out;
}

export function decodeSectionTail(tail: Uint8Array): { length: number | undefined; crc: number; ok: boolean } {
  const view = viewOf(tail);
  return { length: getU64(view, 0), crc: view.getUint32(8, true), ok: view.getUint32(12, true) === crc32(tail.subarray(0, 12)) };
}

// ---- trailer -----------------------------------------------------------------------------------

export interface Trailer {
  indexOffset: number;
  indexLength: number;
  indexCrc: number;
  /** 1 for the archive as created, one more per append */
  sequence: number;
  /** offset of the trailer this one supersedes; 0 when none */
  previousTrailer: number;
  /** CRC32 of every byte before this trailer */
  fileCrc: number;
}

export function encodeTrailer(t: Trailer): Uint8Array {
  const out = new Uint8Array(TRAILER_BYTES);
  const view = viewOf(out);
  setU64(view, 0, t.indexOffset);
  setU64(view, 8, t.indexLength);
  view.setUint32(16, t.indexCrc, true);
  view.setUint32(20, t.sequence, true);
  setU64(view, 24, t.previousTrailer);
  view.setUint32(32, t.fileCrc, true);
  view.setUint32(36, crc32(out.subarray(0, 36)), true);
  out.set(END_MAGIC, 40);
  return out;
}

/** The trailer, or why these 48 bytes are not a complete one. */
export function decodeTrailer(bytes: Uint8Array): Trailer | { problem: string } {
  if (bytes.byteLength !== TRAILER_BYTES || !sameBytes(bytes.subarray(40), END_MAGIC)) return { problem: 'no end marker' };
  const view = viewOf(bytes);
  if (view.getUint32(36, true) !== crc32(bytes.subarray(0, 36))) return { problem: 'trailer checksum mismatch' };
  const indexOffset = getU64(view, 0);
  const indexLength = getU64(view, 8);
  const previousTrailer = getU64(view, 24);
  if (indexOffset === undefined || indexLength === undefined || previousTrailer === undefined) return { problem: 'trailer offsets out of range' };
  return { indexOffset, indexLength, indexCrc: view.getUint32(16, true), sequence: view.getUint32(20, true), previousTrailer, fileCrc: view.getUint32(32, true) };
}
