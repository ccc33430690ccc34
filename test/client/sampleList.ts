// A workspace index as checkpointLens/listCheckpoints answers it: a training run with three
// checkpoints, a second run, a lone safetensors file, an archive and a checkpoint that does not open.
import type { CheckpointEntry, CheckpointList } from '../../server/src/protocol.ts';

export const WS = '/ws';

function entry(path: string, over: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return {
    path,
    uri: `file://${path}`,
    label: path.slice('/'.length),
    kind: 'trainer',
    step: null,
    run: null,
    tensors: 30,
    params: 1_250_000,
    bytes: 5_000_000,
    optimizer: true,
    modified: 1_700_000_000_000,
    error: null,
    ...over,
  };
}

export const RUN = `${WS}/tiny-llama`;
export const CK100 = `${RUN}/checkpoint-100`;
export const CK200 = `${RUN}/checkpoint-200`;
export const CK300 = `${RUN}/checkpoint-300`;
export const BF16_RUN = `${WS}/tiny-llama-bf16`;
export const BF16_200 = `${BF16_RUN}/checkpoint-200`;
export const LONE = `${WS}/export/model.safetensors`;
export const ARCHIVE = `${WS}/old.ckpz`;
export const BROKEN = `${WS}/broken.safetensors`;

export function sampleList(over: Partial<CheckpointList> = {}): CheckpointList {
  return {
    checkpoints: [
      // newest first, as the server lists them
      entry(CK300, { step: 300, run: RUN, modified: 3 }),
      entry(BF16_200, { step: 200, run: BF16_RUN, modified: 2 }),
      entry(CK200, { step: 200, run: RUN, modified: 2 }),
      entry(CK100, { step: 100, run: RUN, modified: 1 }),
      entry(LONE, { kind: 'safetensors', optimizer: false }),
      entry(ARCHIVE, { kind: 'ckpz', tensors: 0, params: 0, bytes: 400_000, optimizer: false }),
      entry(BROKEN, { kind: 'safetensors', error: `${BROKEN}: header length 99999 runs past the end of the file (byte offset 8)`, tensors: 0, params: 0, bytes: 0 }),
    ],
    active: CK300,
    selection: 'auto',
    ...over,
  };
}
