// Record layouts of the zip format (PKWARE APPNOTE) shared by the reader and the writer.

export const SIG = {
  LOCAL: 0x04034b50,
  CENTRAL: 0x02014b50,
  END: 0x06054b50,
  ZIP64_END: 0x06064b50,
  ZIP64_LOCATOR: 0x07064b50,
} as const;

export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const END_SIZE = 22;
export const ZIP64_END_SIZE = 56;
export const ZIP64_LOCATOR_SIZE = 20;
/** End record + the longest comment: the tail that must contain the end record. */
export const MAX_END_SEARCH = END_SIZE + 0xffff;

export const EXTRA_ZIP64 = 0x0001;
/** The extra field PyTorch pads local headers with so each record's data starts on a 64-byte boundary ("FB"). */
export const EXTRA_PADDING = 0x4246;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_UTF8 = 0x0800;

export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;

/** Reads a little-endian u64 as a number, or undefined when it does not fit in 2^53. */
export function u64(view: DataView, at: number): number | undefined {
  const v = view.getBigUint64(at, true);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}
