// Context keys for the explorer's `when` clauses: which folders are checkpoints or run directories
// (`resourcePath in checkpointLens.checkpointFolders`), so the menus show on those folders only.
import { dirname } from 'node:path';
import type { CheckpointList } from '../../../server/src/protocol.ts';

export const CONTEXT_KEYS = {
  checkpointFolders: 'checkpointLens.checkpointFolders',
  runFolders: 'checkpointLens.runFolders',
} as const;

export function explorerContext(list: CheckpointList): Record<(typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS], string[]> {
  const folders = new Set<string>();
  const runs = new Set<string>();
  for (const e of list.checkpoints) {
    if (e.kind === 'ckpz') continue;
    if (e.path.endsWith('.safetensors.index.json')) folders.add(dirname(e.path));
    else if (!e.path.endsWith('.safetensors')) folders.add(e.path);
    if (e.run !== null) runs.add(e.run);
  }
  return { [CONTEXT_KEYS.checkpointFolders]: [...folders].sort(), [CONTEXT_KEYS.runFolders]: [...runs].sort() };
}
