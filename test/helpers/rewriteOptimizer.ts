// Reading an optimizer.pt and writing it back through our writer, each moment streamed from the original file.
import { readOptimizerStateDict, type OptimizerStateDict } from '../../server/src/formats/torch/reader.ts';
import { tensorSourceFromRef, writeOptimizerState, type AdamParamStateInput } from '../../server/src/formats/torch/writer.ts';
import type { ZipWriterOptions } from '../../server/src/formats/zip/zipWriter.ts';

/** Writes `out` from `original`; returns the original as read, for comparing. */
export async function rewriteOptimizer(original: string, out: string, options?: ZipWriterOptions): Promise<OptimizerStateDict> {
  const opt = await readOptimizerStateDict(original);
  const state = new Map<number, AdamParamStateInput>();
  for (const [i, s] of opt.state) state.set(i, { step: s.step, exp_avg: tensorSourceFromRef(s.exp_avg!), exp_avg_sq: tensorSourceFromRef(s.exp_avg_sq!) });
  await writeOptimizerState(out, { state, paramGroups: opt.paramGroups }, options);
  return opt;
}
