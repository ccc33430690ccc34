// Messages between the language server's main thread and its analysis worker thread. The worker opens
// checkpoints by path (headers are cheap) so only paths and options cross the thread boundary.
import type { AnalysisOptions } from '../analysis/analysisOptions.ts';
import type { PlanFile, PruneResult } from '../analysis/prune.ts';
import type { AnalysisReport, Criterion, HistogramJson } from '../analysis/reportTypes.ts';
import type { StructuredScores } from '../analysis/structuredPlan.ts';
import type { BackendChoice } from '../../../kernels/src/index.ts';
import type { CompressParams, HistogramKind, RestoreParams, VerifyParams } from '../protocol.ts';
import type { CompressSummary } from '../compress/compress.ts';
import type { RestoreResult as RestoreSummary } from '../compress/restore.ts';
import type { VerifyReport } from '../compress/verify.ts';

export interface AnalyzeJob {
  kind: 'analyze';
  path: string;
  reference?: string;
  options: Partial<AnalysisOptions>;
  only?: string[];
  /** null: no disk cache */
  cacheDir: string | null;
  /** recompute even when the disk cache has it (the result is still written) */
  force: boolean;
}

export interface HistogramJob {
  kind: 'histogram';
  path: string;
  reference?: string;
  tensor: string;
  histogram: HistogramKind;
  bins: number;
  log: boolean;
}

export interface PruneJob {
  kind: 'prune';
  path: string;
  plan: PlanFile;
  output: string;
}

/** Scores a checkpoint's heads and channels for structured plans (reads every grouped tensor once). */
export interface StructuredScoresJob {
  kind: 'structuredScores';
  path: string;
  criterion: Criterion;
  alpha: number;
}

export interface CompressJob {
  kind: 'compress';
  params: CompressParams;
  /** defaults from the settings, for parameters the request leaves out */
  defaults: { alpha: number; beta: number; bits: number; bitsMoments: number };
}

export interface RestoreJob {
  kind: 'restore';
  params: RestoreParams;
}

export interface VerifyJob {
  kind: 'verify';
  params: VerifyParams;
}

/** Opens the compute backend, so the client learns early which one runs the kernels. */
export interface WarmupJob {
  kind: 'warmup';
}

export type Job = AnalyzeJob | HistogramJob | PruneJob | StructuredScoresJob | CompressJob | RestoreJob | VerifyJob | WarmupJob;

export interface JobResults {
  analyze: { report: AnalysisReport; cached: boolean };
  histogram: HistogramJson;
  prune: PruneResult;
  structuredScores: StructuredScores;
  compress: CompressSummary;
  restore: RestoreSummary;
  verify: VerifyReport;
  warmup: null;
}

export type ToWorker =
  | { type: 'run'; id: number; backend: BackendChoice; job: Job }
  | { type: 'cancel'; id: number };

/** An error as it crosses the thread boundary: the name keeps FormatError / AbortError recognisable. */
export interface WorkerError {
  name: string;
  message: string;
  file?: string;
}

export type FromWorker =
  | { type: 'progress'; id: number; done: number; total: number; item: string }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WorkerError }
  | { type: 'backend'; choice: BackendChoice; kind: 'cpu' | 'webgpu'; description: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string };
