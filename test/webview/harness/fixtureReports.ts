// Real analysis results of the tiny-llama fixtures (server/src/analysis on the CPU backend, in
// process), computed once per test process.
import { resolve } from 'node:path';
import { CpuBackend } from '../../../kernels/src/cpu/cpuBackend.ts';
import { analyzeCheckpoint } from '../../../server/src/analysis/analyzeCheckpoint.ts';
import type { AnalysisReport } from '../../../server/src/analysis/reportTypes.ts';
import { openCheckpoint } from '../../../server/src/checkpoint/open.ts';

export type Step = 100 | 200 | 300;

export function fixturePath(step: Step): string {
  return resolve('test/fixtures/tiny-llama', `checkpoint-${step}`);
}

const memo = new Map<string, Promise<AnalysisReport>>();

/** The report of tiny-llama at `step`, with residuals against `ref` when given. */
export function fixtureReport(step: Step, ref?: Step): Promise<AnalysisReport> {
  const key = `${step}|${ref ?? ''}`;
  let p = memo.get(key);
  if (!p) {
    p = (async () => {
      const backend = new CpuBackend({ threads: 1 });
      try {
        const checkpoint = await openCheckpoint(fixturePath(step));
        const reference = ref === undefined ? undefined : await openCheckpoint(fixturePath(ref));
        return await analyzeCheckpoint({ backend, checkpoint, reference }, backend.description);
      } finally {
        await backend.dispose();
      }
    })();
    memo.set(key, p);
  }
  return p;
}
