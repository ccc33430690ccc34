// Shapes shared by every checkpoint format reader. Formats know bytes, not meaning:
// a reader returns TensorRefs (where a tensor's bytes are) and never loads values up front.

export const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'] as const;
export type DType = (typeof DTYPES)[number];

/** Where one tensor's bytes live. Offsets are absolute within `file`. Data is little-endian, row-major, contiguous. */
export interface TensorRef {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  /** Absolute path of the file holding the bytes. */
  file: string;
  /** Absolute byte offset of the first element within `file`. */
  offset: number;
  byteLength: number;
}

/** An error about bad input: names the file and, where known, the tensor and the byte offset. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly detail: { tensor?: string; offset?: number } = {},
  ) {
    const where = [file, detail.tensor !== undefined ? `tensor '${detail.tensor}'` : undefined, detail.offset !== undefined ? `byte ${detail.offset}` : undefined]
      .filter((x) => x !== undefined)
      .join(', ');
    super(`${where}: ${message}`);
    this.name = 'FormatError';
  }
}
