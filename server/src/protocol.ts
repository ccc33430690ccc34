// The custom messages between the Checkpoint Lens client and language server, all prefixed
// `checkpointLens/`. Each one is a typed constant with its Params and Result and a note of which side
// sends it. The JSON shapes of analysis results are those of server/src/analysis/reportTypes.ts (what
// `ckpt-lens analyze --json` prints). Long requests take an LSP `workDoneToken` and report `$/progress`;
// every request honours `$/cancelRequest`.
//
// This module is imported by the client too: it holds types and message constants, nothing else.
import type { CompressSummary } from './compress/compress.ts';
import type { VerifyReport } from './compress/verify.ts';
import { NotificationType, RequestType, type WorkDoneProgressParams } from 'vscode-languageserver-protocol';
import type { CheckpointPlan } from './analysis/planFromReport.ts';
import type { PlanStrategy } from './analysis/planTypes.ts';
import type { PruneResult } from './analysis/prune.ts';
import type { StructuredPlan } from './analysis/structuredPlan.ts';
import type { EntryReference } from './compress/entryInfo.ts';
import type { EntryStats } from './compress/compressEntry.ts';
import type { ExcpParams } from './compress/excpTensor.ts';
import type { AnalysisReport, Criterion, HistogramJson, LayerReport, OutliersJson, TensorReport, ZeroPointJson } from './analysis/reportTypes.ts';
import type { DType } from './formats/types.ts';

/** Error codes of failed custom requests (JSON-RPC's server-defined range), besides InvalidParams (-32602) and RequestCancelled (-32800). */
export const ErrorCode = {
  /** the checkpoint cannot be read; the message is the FormatError's (file, tensor, byte offset) */
  BadCheckpoint: -32001,
  /** no checkpoint was named and none is active (the workspace has none) */
  NoCheckpoint: -32002,
  /** the request exists in the protocol but this build does not serve it */
  NotImplemented: -32003,
  /** the analysis worker failed (a bug or an environment problem: message says which) */
  JobFailed: -32004,
} as const;

/** Commands the hovers link to (`command:<id>?<JSON array of arguments>`); the client trusts only these. */
export const HoverCommand = {
  openReport: 'checkpointLens.openReport',
  showHistogram: 'checkpointLens.showHistogram',
  showZeroPoint: 'checkpointLens.showZeroPoint',
} as const;

/** URI scheme of the client's read-only tensor listings, `checkpoint-lens:/abs/path/of/checkpoint`: the server
 *  puts each tensor's diagnostics on its name there. */
export const TENSOR_LISTING_SCHEME = 'checkpoint-lens';

/** The single argument of every hover command. */
export interface TensorCommandArgs {
  checkpoint: string;
  tensor: string;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints in the workspace

export type CheckpointKind = 'safetensors' | 'safetensors-sharded' | 'trainer' | 'torch' | 'ckpz';

export interface CheckpointEntry {
  /** what opens it: a checkpoint directory, a .safetensors file, a shard index .json, or a .ckpz archive */
  path: string;
  uri: string;
  /** short display name, relative to its workspace folder */
  label: string;
  kind: CheckpointKind;
  step: number | null;
  /** the run directory when this is one of its `checkpoint-N/` directories */
  run: string | null;
  tensors: number;
  params: number;
  /** bytes of the weights (moments not counted) */
  bytes: number;
  /** Adam moments are attached */
  optimizer: boolean;
  /** newest modification time of its files, ms since the epoch */
  modified: number;
  /** why it cannot be opened (the FormatError message); null when it opens */
  error: string | null;
}

/** How the active checkpoint was chosen: `auto` follows the newest, `user` is pinned, `none` means hovers cover every checkpoint. */
export type Selection = 'auto' | 'user' | 'none';

export interface CheckpointList {
  checkpoints: CheckpointEntry[];
  /** path of the active checkpoint */
  active: string | null;
  selection: Selection;
}

export type ListCheckpointsParams = Record<string, never>;
/** client → server: the discovered checkpoints and the active one. */
export const ListCheckpoints = new RequestType<ListCheckpointsParams, CheckpointList, void>('checkpointLens/listCheckpoints');

export interface SelectCheckpointParams {
  /** a discovered checkpoint's path; null: no active checkpoint (hovers cover every checkpoint) */
  path: string | null;
  /** true: follow the newest checkpoint again (path is ignored) */
  auto?: boolean;
}
/** client → server: choose the active checkpoint. Answers the new list. */
export const SelectCheckpoint = new RequestType<SelectCheckpointParams, CheckpointList, void>('checkpointLens/selectCheckpoint');

/** server → client: the index changed (files appeared, changed or went) or the active checkpoint did. */
export const CheckpointsChanged = new NotificationType<CheckpointList>('checkpointLens/checkpointsChanged');

export interface BackendInfo {
  /** the setting: auto | webgpu | cpu */
  choice: 'auto' | 'webgpu' | 'cpu';
  kind: 'cpu' | 'webgpu';
  /** which backend and adapter run the kernels, and why */
  description: string;
}
/** server → client: the compute backend the analysis worker opened (sent when it opens, again after a settings change). */
export const BackendInfoNotification = new NotificationType<BackendInfo>('checkpointLens/backendInfo');

// ---------------------------------------------------------------------------------------------
// Analyses. `checkpoint` defaults to the active one.

interface OnCheckpoint {
  checkpoint?: string;
}

export interface TensorHeader {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  bytes: number;
  file: string;
  offset: number;
  /** the layer id (layers.ts) */
  layer: string;
  moments: Array<'exp_avg' | 'exp_avg_sq'>;
}

export interface TensorSummaryParams extends OnCheckpoint, WorkDoneProgressParams {
  tensor: string;
  /** false: answer at once with the report only if it is already computed (default true: compute it) */
  wait?: boolean;
}
export interface TensorSummaryResult {
  checkpoint: string;
  header: TensorHeader;
  /** as in `analyze --json` (`tensors[name]`); null when not computed and wait was false */
  report: TensorReport | null;
  /** the tensor's ratio in the current pruning plan; null without a plan or when outside its scope */
  planRatio: number | null;
}
/** client → server: one tensor's header and analysis (computed in the background on first use, then cached). */
export const TensorSummary = new RequestType<TensorSummaryParams, TensorSummaryResult, void>('checkpointLens/tensorSummary');

export interface AnalyzeParams extends OnCheckpoint, WorkDoneProgressParams {
  /** the earlier checkpoint for residuals and ExCP counts */
  reference?: string;
  /** recompute even when cached */
  force?: boolean;
}
export interface AnalyzeResult {
  checkpoint: string;
  reference: string | null;
  tensors: number;
  /** the backend that computed it ('cache' figures keep the one that did) */
  backend: string;
  cached: boolean;
  seconds: number;
}
/** client → server: analyse a whole checkpoint (progress per tensor; cancellable). The report stays cached for the requests below. */
export const Analyze = new RequestType<AnalyzeParams, AnalyzeResult, void>('checkpointLens/analyze');

export interface LayerReportParams extends OnCheckpoint, WorkDoneProgressParams {
  /** one layer id; all layers when absent */
  layer?: string;
  reference?: string;
}
export interface LayerReportResult {
  checkpoint: string;
  architecture: AnalysisReport['architecture'];
  layers: LayerReport[];
  model: AnalysisReport['model'];
}
/** client → server: per-layer summaries (quantization error, outliers, suggested ratio) and the model's. */
export const LayerReportRequest = new RequestType<LayerReportParams, LayerReportResult, void>('checkpointLens/layerReport');

export type HistogramKind = 'weight' | 'residual' | 'exp_avg' | 'exp_avg_sq' | 'update';

export interface HistogramParams extends OnCheckpoint, WorkDoneProgressParams {
  tensor: string;
  kind: HistogramKind;
  /** default 128 */
  bins?: number;
  /** log10 |x| axis (default: true for exp_avg_sq and update, false otherwise; update is always log) */
  log?: boolean;
  /** residual: the reference checkpoint (default: the previous checkpoint of the same run) */
  reference?: string;
}
export interface HistogramResult extends HistogramJson {
  tensor: string;
  kind: HistogramKind;
}
/** client → server: a histogram of a tensor, its residual, a moment or Adam's update size h(v). */
export const HistogramRequest = new RequestType<HistogramParams, HistogramResult, void>('checkpointLens/histogram');

export interface ZeroPointParams extends OnCheckpoint, WorkDoneProgressParams {
  tensor: string;
}
/** client → server: the zero-point effect of 4-bit exp_avg_sq codebooks with and without zero (needs exp_avg_sq). */
export const ZeroPoint = new RequestType<ZeroPointParams, ZeroPointJson, void>('checkpointLens/zeroPoint');

export interface OutlierProfileParams extends OnCheckpoint, WorkDoneProgressParams {
  tensor: string;
  /** default: the outlierK setting */
  k?: number;
}
/** client → server: outlier rows/columns with the full row and column max-abs profiles. */
export const OutlierProfile = new RequestType<OutlierProfileParams, OutliersJson, void>('checkpointLens/outlierProfile');

// ---------------------------------------------------------------------------------------------
// Pruning

export interface PruningPlanParams extends OnCheckpoint, WorkDoneProgressParams {
  /** global sparsity of the prunable weights, 0..1 */
  target: number;
  /** default magnitude */
  criterion?: Criterion;
  /** default error-optimal */
  strategy?: PlanStrategy;
  /** fixed ratios by layer id (unstructured plans only) */
  overrides?: Record<string, number>;
  /**
   * true: whole attention heads / KV groups and MLP channels (a StructuredPlan; target below 1, no
   * strategy or overrides). The first one per checkpoint and criterion reads the grouped tensors on the
   * worker; later targets are allocated from the cached scores.
   */
  structured?: boolean;
}
/** A pruning plan: per-tensor ratios, or (structured) the row/column slices to zero. */
export type PruningPlanResult = CheckpointPlan | StructuredPlan;
/** client → server: per-layer ratios for a target sparsity; fast enough to follow a slider once the checkpoint is analysed. An unstructured plan becomes the current plan (hovers show it). */
export const PruningPlanRequest = new RequestType<PruningPlanParams, PruningPlanResult, void>('checkpointLens/pruningPlan');

export interface ApplyPruningPlanParams extends PruningPlanParams {
  /** where the pruned checkpoint goes (absolute; must not exist): a directory, or a file for a single-file checkpoint */
  output: string;
}
export interface ApplyPruningPlanResult extends PruneResult {
  plan: PruningPlanResult;
}
/** client → server: writes the pruned checkpoint (same layout and dtypes, atomically). */
export const ApplyPruningPlan = new RequestType<ApplyPruningPlanParams, ApplyPruningPlanResult, void>('checkpointLens/applyPruningPlan');

// ---------------------------------------------------------------------------------------------
// Compression (.ckpz)

export interface CompressParams extends WorkDoneProgressParams {
  /** the checkpoint to compress */
  source: string;
  /** the earlier checkpoint residuals are taken against (ExCP); none: the first of a series */
  reference?: string;
  /** the archive to write */
  output: string;
  mode: 'excp' | 'lossless';
  alpha?: number;
  beta?: number;
  bits?: number;
  bitsMoments?: number;
  /** pick alpha/beta to reach about this compression ratio */
  targetRatio?: number;
  /** pick alpha/beta to keep the relative weight error under this */
  maxRelErr?: number;
  /** restore pruned exp_avg_sq entries as 0, as the published recipe does */
  paperExact?: boolean;
  /** add a run directory's new checkpoints to an existing archive */
  append?: boolean;
}
export interface CompressResult {
  archive: string;
  bytesIn: number;
  bytesOut: number;
  ratio: number;
  seconds: number;
  entries: number;
  /** the full summary, as `ckpt-lens compress --json` prints it */
  summary: CompressSummary;
}
/** client → server: compress a checkpoint into a .ckpz archive. */
export const Compress = new RequestType<CompressParams, CompressResult, void>('checkpointLens/compress');

export interface RestoreParams extends WorkDoneProgressParams {
  archive: string;
  /** which step of a series archive (default: the last) */
  step?: number;
  /** the checkpoint the archive's residuals refer to, when it is not inside the archive */
  reference?: string;
  output: string;
}
export interface RestoreResult {
  output: string;
  files: string[];
  seconds: number;
  step: number | null;
}
/** client → server: restore a checkpoint from a .ckpz archive. */
export const Restore = new RequestType<RestoreParams, RestoreResult, void>('checkpointLens/restore');

export interface VerifyParams extends WorkDoneProgressParams {
  archive: string;
  reference?: string;
  /** the original checkpoint, for per-tensor errors */
  against?: string;
  step?: number;
}
export interface VerifyResult {
  ok: boolean;
  sections: number;
  errors: string[];
  /** per entry: mode, bit-exactness (lossless), per-tensor errors (with `against`) */
  report: VerifyReport;
}
/** client → server: check a .ckpz archive's structure and checksums. */
export const Verify = new RequestType<VerifyParams, VerifyResult, void>('checkpointLens/verify');

export interface ArchiveInfoParams {
  archive: string;
}
export interface ArchiveEntrySummary {
  step: number | null;
  /** the checkpoint's directory or file name */
  name: string;
  mode: 'excp' | 'lossless';
  params: ExcpParams;
  reference: EntryReference;
  /** the entry's share of the archive file (its records; the index aside) */
  bytes: number;
  /** what compress measured: sizes, kept counts and errors per tensor, pooled figures */
  stats: EntryStats;
}
export interface ArchiveInfoResult {
  archive: string;
  /** size of the archive file */
  bytes: number;
  entries: ArchiveEntrySummary[];
}
/** client → server: what an archive's entries record (their info sections only: no tensor is decoded). */
export const ArchiveInfo = new RequestType<ArchiveInfoParams, ArchiveInfoResult, void>('checkpointLens/archiveInfo');
