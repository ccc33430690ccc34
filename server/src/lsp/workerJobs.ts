// What the analysis worker does for each job: thin calls into the analysis library, the same ones the
// CLI makes, so the server's numbers are `ckpt-lens analyze --json`'s numbers (and share its disk cache).
import { DEFAULT_ANALYSIS_OPTIONS } from '../analysis/analysisOptions.ts';
import { analyzeCheckpoint } from '../analysis/analyzeCheckpoint.ts';
import { histogram, linearSpec, logAbsSpec, updateSpec } from '../analysis/histogramRanges.ts';
import { pruneCheckpoint, type PruneResult } from '../analysis/prune.ts';
import { cacheKey, readCached, writeCached } from '../analysis/reportCache.ts';
import type { HistogramJson } from '../analysis/reportTypes.ts';
import { scoreStructured, type StructuredScores } from '../analysis/structuredPlan.ts';
import { asFloat32, loadTensorData } from '../analysis/tensorInput.ts';
import type { CheckpointTensor } from '../checkpoint/model.ts';
import { openCheckpoint } from '../checkpoint/open.ts';
import { FormatError } from '../formats/types.ts';
import { summarizeStats, type Backend, type BackendChoice, type TensorData } from '../../../kernels/src/index.ts';
import type { AnalyzeJob, HistogramJob, JobResults, PruneJob, StructuredScoresJob } from './workerProtocol.ts';

export type Progress = (done: number, total: number, item: string) => void;

export async function runAnalyzeJob(
  backend: { backend: Backend; description: string; choice: BackendChoice },
  job: AnalyzeJob,
  signal: AbortSignal,
  progress: Progress,
): Promise<JobResults['analyze']> {
  const checkpoint = await openCheckpoint(job.path);
  const reference = job.reference ? await openCheckpoint(job.reference) : undefined;
  // The CLI's cache key (analyze.ts), so the CLI and the editor share cached reports.
  const key = await cacheKey({ checkpoint, reference, options: { ...DEFAULT_ANALYSIS_OPTIONS, ...job.options, only: job.only ?? null }, backend: backend.choice });
  if (job.cacheDir !== null && !job.force) {
    const hit = await readCached(job.cacheDir, key);
    if (hit) return { report: hit, cached: true };
  }
  signal.throwIfAborted();
  const report = await analyzeCheckpoint({ backend: backend.backend, checkpoint, reference, options: job.options, only: job.only, signal, onProgress: progress }, backend.description);
  if (job.cacheDir !== null) await writeCached(job.cacheDir, key, report).catch(() => {});
  return { report, cached: false };
}

function tensorOf(ckpt: { path: string; tensors: CheckpointTensor[] }, name: string): CheckpointTensor {
  const t = ckpt.tensors.find((x) => x.name === name);
  if (!t) throw new FormatError(`no tensor named '${name}'`, ckpt.path);
  return t;
}

async function residual(t: CheckpointTensor, r: CheckpointTensor): Promise<TensorData> {
  if (r.shape.length !== t.shape.length || r.shape.some((d, i) => d !== t.shape[i])) {
    throw new FormatError(`reference tensor has shape [${r.shape.join(', ')}], this one [${t.shape.join(', ')}]`, r.file, { tensor: t.name, offset: r.offset });
  }
  const w = asFloat32(await loadTensorData(t));
  const ref = asFloat32(await loadTensorData(r));
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i]! - ref[i]!;
  return { dtype: 'F32', data: out };
}

async function histogramInput(job: HistogramJob): Promise<TensorData> {
  const t = tensorOf(await openCheckpoint(job.path), job.tensor);
  if (job.histogram === 'weight') return loadTensorData(t);
  if (job.histogram === 'residual') {
    if (!job.reference) throw new FormatError('a residual histogram needs a reference checkpoint', job.path, { tensor: t.name });
    return residual(t, tensorOf(await openCheckpoint(job.reference), job.tensor));
  }
  const moment = t.moments[job.histogram === 'update' ? 'exp_avg_sq' : job.histogram];
  if (!moment) throw new FormatError(`no ${job.histogram === 'update' ? 'exp_avg_sq' : job.histogram} is attached to this tensor`, job.path, { tensor: t.name });
  return loadTensorData(moment);
}

/** The same ranges the analysis uses (histogramRanges.ts), for any bin count. */
export async function runHistogramJob(backend: Backend, job: HistogramJob, signal: AbortSignal): Promise<HistogramJson> {
  const x = await histogramInput(job);
  signal.throwIfAborted();
  const s = summarizeStats(await backend.stats(x));
  const spec = job.histogram === 'update' ? updateSpec(s, job.bins) : job.log ? logAbsSpec(s, job.bins) : linearSpec(s, job.bins);
  return histogram(backend, x, spec);
}

export async function runPruneJob(job: PruneJob, signal: AbortSignal): Promise<PruneResult> {
  return pruneCheckpoint(await openCheckpoint(job.path), job.plan, job.output, signal);
}

export async function runStructuredScoresJob(job: StructuredScoresJob, signal: AbortSignal): Promise<StructuredScores> {
  return scoreStructured(await openCheckpoint(job.path), { criterion: job.criterion, alpha: job.alpha, signal });
}
