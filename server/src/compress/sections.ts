// The two sides of an archive entry as the compression pipeline sees them: named sections of bytes.
// (The .ckpz container, archive/, gives each one a checksum and an index entry.)

export interface SectionWriter {
  put(name: string, data: Uint8Array): Promise<void>;
}

export interface SectionReader {
  has(name: string): boolean;
  /** the section's bytes, checksum verified; throws naming the section */
  get(name: string): Promise<Uint8Array>;
}

/**
 * Section names, `kind:name`: one per file skeleton, per losslessly stored tensor range, and per
 * ExCP parameter (its w, m and v streams framed together: one index entry instead of three keeps the
 * archive small, and a checksum error still names the parameter).
 */
export const sectionName = {
  skeleton: (file: string) => `skeleton:${file}`,
  lossless: (key: string) => `t:${key}`,
  excp: (param: string) => `p:${param}`,
  /** the entry's layout and figures (EntryInfo), brotli-coded JSON */
  info: 'info:entry',
};

/** The ExCP streams of one parameter as one section payload (an absent moment is an empty stream). */
export function framePartsOf(parts: { w: Uint8Array; m?: Uint8Array; v?: Uint8Array }): Uint8Array[] {
  const none = new Uint8Array(0);
  return [parts.w, parts.m ?? none, parts.v ?? none];
}
