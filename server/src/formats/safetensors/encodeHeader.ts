// Building the bytes in front of the data: 8-byte little-endian length + header JSON,
// padded with spaces so the data section starts 8-byte aligned (as Python's safetensors does).
import { DTYPE_SIZE, isDType } from '../dtype.ts';
import { FormatError, type DType } from '../types.ts';
import { HEADER_START, MAX_HEADER_BYTES, METADATA_KEY } from './header.ts';

export interface SafetensorsTensorSpec {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

export interface EncodedHeader {
  /** Length prefix + padded JSON: write these first. */
  bytes: Uint8Array;
  /** Byte length of each tensor's data, in the order given. */
  byteLengths: number[];
}

/** Tensors are laid out contiguously in the order given; `file` only names the output in errors. */
export function encodeHeader(tensors: readonly SafetensorsTensorSpec[], metadata: Record<string, string> | undefined, file: string): EncodedHeader {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = checkedMetadata(metadata, file);
  const byteLengths: number[] = [];
  let end = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t, file);
    if (t.name === METADATA_KEY) throw new FormatError(`${METADATA_KEY} is reserved for metadata, not a tensor name`, file, { tensor: t.name });
    if (Object.prototype.hasOwnProperty.call(header, t.name)) throw new FormatError('tensor name given twice', file, { tensor: t.name });
    // defineProperty, not assignment: a tensor named "__proto__" must stay an ordinary key.
    Object.defineProperty(header, t.name, {
      value: { dtype: t.dtype, shape: [...t.shape], data_offsets: [end, end + bytes] },
      enumerable: true,
    });
    byteLengths.push(bytes);
    end += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > MAX_HEADER_BYTES) throw new FormatError(`header would be ${padded} bytes, above the ${MAX_HEADER_BYTES} limit of readers`, file);
  const bytes = new Uint8Array(HEADER_START + padded).fill(0x20); // spaces
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, HEADER_START);
  return { bytes, byteLengths };
}

function tensorBytes(t: SafetensorsTensorSpec, file: string): number {
  if (typeof t.name !== 'string' || t.name === '') throw new FormatError('tensor name must be a non-empty string', file, { tensor: String(t.name) });
  if (!isDType(t.dtype)) throw new FormatError(`unknown dtype ${JSON.stringify(t.dtype)}`, file, { tensor: t.name });
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(`shape ${JSON.stringify(t.shape)} is not an array of non-negative integers`, file, { tensor: t.name });
  }
  const bytes = t.shape.reduce((n, d) => n * d, 1) * DTYPE_SIZE[t.dtype];
  if (!Number.isSafeInteger(bytes)) throw new FormatError(`shape [${t.shape.join(', ')}] is too large`, file, { tensor: t.name });
  return bytes;
}

function checkedMetadata(metadata: Record<string, string>, file: string): Record<string, string> {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new FormatError(`metadata value for key '${k}' is a ${typeof v}, expected a string`, file);
  }
  return Object.fromEntries(Object.entries(metadata));
}
