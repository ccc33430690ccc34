// What an archive entry records besides its sections: the checkpoint's layout, how it was coded,
// against what, and the figures compress measured.
import type { EntryStats } from './compressEntry.ts';
import type { ExcpParams } from './excpTensor.ts';
import type { SourceLayout } from './layout.ts';
import type { CompressMode } from './options.ts';

export type EntryReference =
  | { kind: 'none' }
  /** the restored previous entry of the same archive */
  | { kind: 'chain'; step: number | null }
  /** a checkpoint outside the archive; restore needs it again (`--ref`), checked by its weights' CRC32 */
  | { kind: 'external'; step: number | null; path: string; crc32: Record<string, number> };

export interface EntryInfo {
  step: number | null;
  /** the directory name the checkpoint had (checkpoint-200), or the file name */
  name: string;
  mode: CompressMode;
  params: ExcpParams;
  reference: EntryReference;
  layout: SourceLayout;
  stats: EntryStats;
}
