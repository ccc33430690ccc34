// Reads every tensor of a checkpoint as float32 chunks and sums them (so nothing is optimised away).
import { openCheckpoint } from '../../server/src/checkpoint/open.ts';
import { tensorFloat32Chunks } from '../../server/src/formats/tensorData.ts';

async function main(): Promise<void> {
  const ckpt = await openCheckpoint(process.argv[2]!);
  let sum = 0;
  for (const t of ckpt.tensors) for await (const chunk of tensorFloat32Chunks(t)) for (let i = 0; i < chunk.length; i += 4096) sum += chunk[i]!;
  process.stderr.write(`checksum ${sum}\n`);
}

void main();
