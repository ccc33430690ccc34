// What a .ckpz archive says about itself: each entry's record (mode, parameters, reference, the figures
// compress measured) and its share of the file. Only the small info sections are read and decoded.
import { stat } from 'node:fs/promises';
import type { ArchiveInfoResult } from '../protocol.ts';
import { openArchiveIn } from './archiveStore.ts';

export async function readArchiveInfo(path: string): Promise<ArchiveInfoResult> {
  const size = (await stat(path)).size;
  const archive = await openArchiveIn(path);
  try {
    return {
      archive: path,
      bytes: size,
      entries: archive.entries.map(({ info, bytes }) => ({ step: info.step, name: info.name, mode: info.mode, params: info.params, reference: info.reference, bytes, stats: info.stats })),
    };
  } finally {
    await archive.close();
  }
}
