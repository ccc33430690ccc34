// Opening one .safetensors file: reads the 8-byte header length and the header, never the data.
import { resolve } from 'node:path';
import { FormatError, type TensorRef } from '../types.ts';
import { readBytesOrFail, regularFileSize } from './fileChecks.ts';
import { HEADER_START, MAX_HEADER_BYTES, parseHeader } from './header.ts';

export interface SafetensorsFile {
  /** Absolute path. */
  path: string;
  /** Bytes of header JSON (including padding), as stored in the first 8 bytes. */
  headerLength: number;
  /** Absolute offset of the data section (8 + headerLength). */
  dataOffset: number;
  fileSize: number;
  metadata: Record<string, string>;
  /** In header (JSON key) order; offsets are absolute in the file. */
  tensors: TensorRef[];
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const file = resolve(path);
  const fileSize = await regularFileSize(file);
  if (fileSize < HEADER_START) {
    throw new FormatError(`file is ${fileSize} bytes, too short for the 8-byte header length of a safetensors file`, file, { offset: 0 });
  }
  const prefix = await readBytesOrFail(file, 0, HEADER_START);
  const declared = new DataView(prefix.buffer, prefix.byteOffset, HEADER_START).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(`header length ${declared} exceeds the limit of ${MAX_HEADER_BYTES} bytes`, file, { offset: 0 });
  }
  const headerLength = Number(declared);
  if (HEADER_START + headerLength > fileSize) {
    throw new FormatError(`header length ${headerLength} runs past the end of the file (${fileSize} bytes)`, file, { offset: 0 });
  }
  const { metadata, tensors } = parseHeader(await readBytesOrFail(file, HEADER_START, headerLength), file, fileSize);
  return { path: file, headerLength, dataOffset: HEADER_START + headerLength, fileSize, metadata, tensors };
}
