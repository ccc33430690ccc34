// compress / restore / verify as analysis-worker jobs: the compression library (server/src/compress/)
// with the worker's progress callback and cancellation signal.
import type { Backend } from '../../../kernels/src/index.ts';
import { compress, type CompressSummary } from '../compress/compress.ts';
import { restore, type RestoreResult } from '../compress/restore.ts';
import { verify, type VerifyReport } from '../compress/verify.ts';
import type { CompressJob, RestoreJob, VerifyJob } from './workerProtocol.ts';
import type { Progress } from './workerJobs.ts';

/** The library's fraction-done progress as the worker's (done, total, item). */
function fraction(progress: Progress) {
  return (done: number, message: string) => progress(Math.round(done * 1000), 1000, message);
}

export function runCompressJob(backend: Backend, job: CompressJob, signal: AbortSignal, progress: Progress): Promise<CompressSummary> {
  const p = job.params;
  const d = job.defaults;
  return compress({
    source: p.source,
    reference: p.reference,
    output: p.output,
    mode: p.mode,
    params: { alpha: p.alpha ?? d.alpha, beta: p.beta ?? d.beta, bits: p.bits ?? d.bits, bitsMoments: p.bitsMoments ?? d.bitsMoments, paperExact: p.paperExact === true },
    rate: { targetRatio: p.targetRatio, maxRelErr: p.maxRelErr },
    append: p.append === true,
    backend,
    signal,
    progress: fraction(progress),
  });
}

export function runRestoreJob(job: RestoreJob, signal: AbortSignal, progress: Progress): Promise<RestoreResult> {
  const p = job.params;
  return restore({ archive: p.archive, step: p.step, reference: p.reference, output: p.output, signal, progress: fraction(progress) });
}

export function runVerifyJob(job: VerifyJob, signal: AbortSignal, progress: Progress): Promise<VerifyReport> {
  const p = job.params;
  return verify({ archive: p.archive, against: p.against, reference: p.reference, step: p.step, signal, progress: fraction(progress) });
}
