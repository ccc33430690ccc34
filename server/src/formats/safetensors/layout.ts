// The data section of a safetensors file must be covered exactly: no overlaps, no gaps,
// no trailing bytes. Python's safetensors refuses such files too, and a gap or overlap
// usually means a header that does not describe the bytes that follow it.
import { FormatError } from '../types.ts';
import type { HeaderEntry } from './headerEntries.ts';

export function checkCoverage(entries: readonly HeaderEntry[], file: string, dataOffset: number, dataSize: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0; // the data section is covered up to here
  let last: HeaderEntry | undefined; // the entry that reaches `covered`
  for (const t of sorted) {
    if (t.begin < covered && last) {
      throw new FormatError(
        `data_offsets [${t.begin}, ${t.end}] overlap tensor '${last.name}' (data_offsets [${last.begin}, ${last.end}])`,
        file,
        { tensor: t.name, offset: dataOffset + t.begin },
      );
    }
    if (t.begin > covered) {
      const after = last ? `after tensor '${last.name}'` : 'at the start of the data section';
      throw new FormatError(`${t.begin - covered} unused bytes ${after}, before this tensor (data_offsets [${t.begin}, ${t.end}])`, file, {
        tensor: t.name,
        offset: dataOffset + covered,
      });
    }
    if (t.end >= covered) {
      covered = t.end;
      last = t;
    }
  }
  if (covered < dataSize) {
    const after = last ? `after the last tensor '${last.name}'` : 'but the header lists no tensors';
    throw new FormatError(`${dataSize - covered} trailing bytes in the data section ${after}`, file, { offset: dataOffset + covered });
  }
}
