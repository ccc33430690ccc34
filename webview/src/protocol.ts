// The messages between the extension host (client/src/webviews/) and the webview bundles
// (webview/src/*), one discriminated union per direction and view. Every message names its
// direction: "host → webview" or "webview → host".
//
// Handshake: a webview posts `ready` once its script has run (again after every reload, e.g. when a
// hidden panel is shown); the host answers with the view's context (and, for the report, its data).
// Large numeric arrays travel as typed arrays: postMessage structured-clones them without turning
// them into JSON number lists.
//
// Imported by both sides: types and constants only, no DOM and no VS Code.

export type ViewKind = 'report' | 'histograms' | 'zeroPoint' | 'pruning' | 'outliers' | 'compression';
/** The views that show one tensor at a time, with a tensor picker. */
export type TensorViewKind = 'histograms' | 'zeroPoint' | 'outliers';

/** A checkpoint as the views name it. */
export interface CheckpointRef {
  /** what the language server resolves (absolute path) */
  path: string;
  /** short display name */
  label: string;
}

/** What a panel was opened for; kept in the webview's state so a restored panel reopens on the same thing. */
export interface PanelArgs {
  report: { checkpoint?: string; tensor?: string; reference?: string };
  histograms: { checkpoint?: string; tensor?: string; compareWith?: string };
  zeroPoint: { checkpoint?: string; tensor?: string };
  pruning: { checkpoint?: string };
  outliers: { checkpoint?: string; tensor?: string };
  /** the archive whose report this is (after a compress job, or a .ckpz opened in the editor) */
  compression: { archive?: string };
}

// ---------------------------------------------------------------------------------------------
// Data shapes

/** A histogram with its arrays as typed arrays (HistogramJson of reportTypes.ts otherwise). */
export interface HistogramData {
  /** 'log10abs': edges are log10 |x| */
  scale: 'linear' | 'log10abs';
  transform: 'none' | 'adam-update';
  /** bins + 1 edges */
  edges: Float64Array;
  counts: Float64Array;
  below: number;
  above: number;
  zeros: number;
  nan: number;
  total: number;
}

/** A quantization scheme measured by the analysis (a key of LayerReport.quant). */
export interface SchemeInfo {
  key: string;
  /** what the per-layer chart groups by, e.g. "weight B128", "exp_avg_sq" */
  group: string;
  /** the trace name inside its group, e.g. "int4 linear" */
  label: string;
}

export type OutlierClass = 'row' | 'column' | 'both' | 'none';

/** One row of the checkpoint report's tensor table. */
export interface TensorRow {
  name: string;
  layer: string;
  shape: number[];
  dtype: string;
  numel: number;
  mean: number;
  std: number;
  absmax: number;
  /** share of exact zeros in the weights */
  sparsity: number;
  /** relative quantization error per scheme, aligned with ReportData.schemes (NaN: not measured) */
  quantErr: Float64Array;
  outlier: OutlierClass | null;
  outlierRows: number;
  outlierCols: number;
  /** the layer's ratio in the default plan, for prunable tensors */
  suggestedRatio: number | null;
  /** exp_avg_sq is attached (moment histograms and the zero-point effect apply) */
  hasMoments: boolean;
}

/** Per-layer series for the report's charts; every array has one entry per layer id (NaN: none). */
export interface LayerSeries {
  ids: string[];
  params: Float64Array;
  suggestedRatio: Float64Array;
  outlierRows: Float64Array;
  outlierCols: Float64Array;
  /** relative quantization error, one array per scheme (aligned with ReportData.schemes) */
  quant: Float64Array[];
}

export interface StatsView {
  /** weight, exp_avg, exp_avg_sq, residual */
  label: string;
  mean: number;
  std: number;
  min: number;
  max: number;
  absmax: number;
  zeros: number;
  nonfinite: number;
}

export type HistogramKind = 'weight' | 'residual' | 'exp_avg' | 'exp_avg_sq' | 'update';
export const HISTOGRAM_KINDS: readonly HistogramKind[] = ['weight', 'residual', 'exp_avg', 'exp_avg_sq', 'update'];
/** 'auto': the server's default per kind (log for exp_avg_sq and h(v)); h(v) is always log. */
export type XScale = 'auto' | 'linear' | 'log';

export interface HistogramSeries {
  kind: HistogramKind;
  /** label of the checkpoint it comes from */
  checkpoint: string;
  histogram: HistogramData | null;
  /** why there is no histogram (no moments attached, no reference for a residual...) */
  note: string | null;
}

export interface ZeroPointSideView {
  histogram: HistogramData;
  zeroFrac: number;
  updateRelErr: number;
  scheme: string;
}

export type Criterion = 'magnitude' | 'taylor' | 'obd' | 'excp';
export const CRITERIA: readonly Criterion[] = ['magnitude', 'taylor', 'obd', 'excp'];
export type Strategy = 'error-optimal' | 'uniform' | 'owl';
export const STRATEGIES: readonly Strategy[] = ['error-optimal', 'uniform', 'owl'];

/** What the pruning explorer asks a plan for (checkpointLens/pruningPlan's parameters, less the checkpoint). */
export interface PlanParams {
  /** global sparsity, 0..1 */
  target: number;
  criterion: Criterion;
  strategy: Strategy;
  /** fixed ratios by layer id (kept while structured is on, but only unstructured plans use them) */
  overrides: Record<string, number>;
  /** whole heads and MLP channels instead of single weights (absent: false) */
  structured?: boolean;
}

/** A pruning plan for the explorer: per-layer arrays are aligned with `layers`. */
export interface PlanView {
  /** whole heads and channels (strategy does not apply, nothing is fixed, `groups` says what goes) */
  structured: boolean;
  criterion: Criterion;
  /** null for structured plans */
  strategy: Strategy | null;
  target: number;
  feasible: boolean;
  messages: string[];
  layers: string[];
  params: Float64Array;
  ratio: Float64Array;
  kept: Float64Array;
  relErr: Float64Array;
  /** 1 where the ratio is a user override */
  fixed: Uint8Array;
  /** structured plans: what each layer loses, e.g. "kv_group 1/2 · mlp_channel 40/256"; null otherwise */
  groups: string[] | null;
  paramsBefore: number;
  paramsAfter: number;
  removed: number;
  achievedSparsity: number;
  relErrTotal: number;
  lowerBoundRelErr: number | null;
  /** null for structured plans (zeroed in place: the file keeps its size) */
  denseBytes: number | null;
  sparseBitmaskBytes: number | null;
  bytesNote: string;
  /** which tensors the plan covers */
  scope: string;
}

// ---------------------------------------------------------------------------------------------
// Messages every view understands

/** webview → host: the script has run and listens; the host (re)sends the view's context. */
export interface Ready {
  type: 'ready';
}

/** host → webview: long work is going on (null message: done). */
export interface Busy {
  type: 'busy';
  message: string | null;
  /** 0..100 when the server reports it */
  percentage: number | null;
}

/** host → webview: a request failed; the message is the server's (file, tensor, byte offset). */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** host → webview: the tensor names of the checkpoint, for pickers. */
export interface TensorList {
  type: 'tensors';
  names: string[];
}

/** webview → host: send the tensor names (a `tensors` message answers). */
export interface RequestTensors {
  type: 'requestTensors';
}

type CommonToWebview = Busy | ErrorMessage;

// ---------------------------------------------------------------------------------------------
// Checkpoint report

/** host → webview: the whole report. */
export interface ReportData {
  type: 'report/data';
  args: PanelArgs['report'];
  checkpoint: CheckpointRef;
  reference: string | null;
  architecture: string;
  model: { tensors: number; params: number; bytes: number };
  schemes: SchemeInfo[];
  /** the scheme of the table's quant column and the chart's group until the user picks others */
  defaults: { scheme: string | null; group: string | null };
  rows: TensorRow[];
  layers: LayerSeries;
}

/** host → webview: one tensor's details (answers report/select). */
export interface ReportDetails {
  type: 'report/details';
  tensor: string;
  shape: number[];
  dtype: string;
  layer: string;
  stats: StatsView[];
  weight: HistogramData | null;
  update: HistogramData | null;
  planRatio: number | null;
}

/** webview → host: a row was selected; answer with report/details. */
export interface ReportSelect {
  type: 'report/select';
  tensor: string;
}

/** The views the report's details pane links to. */
export type LinkedView = 'histograms' | 'zeroPoint' | 'outliers';
export const LINKED_VIEWS: readonly LinkedView[] = ['histograms', 'zeroPoint', 'outliers'];

/** webview → host: open another view on a tensor of this checkpoint. */
export interface ReportOpen {
  type: 'report/open';
  view: LinkedView;
  tensor: string;
}

// ---------------------------------------------------------------------------------------------
// Moment histograms

/** host → webview: what the panel shows; the webview then asks for data with histograms/request. */
export interface HistogramsContext {
  type: 'histograms/context';
  args: PanelArgs['histograms'];
  checkpoint: CheckpointRef;
  /** the checkpoints one can overlay */
  checkpoints: CheckpointRef[];
}

/** webview → host: histograms of a tensor (and of the same tensor in `compareWith`). */
export interface HistogramsRequest {
  type: 'histograms/request';
  requestId: number;
  tensor: string;
  /** path of a second checkpoint to overlay, or null */
  compareWith: string | null;
  xScale: XScale;
}

/** host → webview: the answer to histograms/request. */
export interface HistogramsData {
  type: 'histograms/data';
  requestId: number;
  tensor: string;
  series: HistogramSeries[];
}

// ---------------------------------------------------------------------------------------------
// Zero-point effect

/** host → webview: what the panel shows; the webview then sends zeroPoint/request. */
export interface ZeroPointContext {
  type: 'zeroPoint/context';
  args: PanelArgs['zeroPoint'];
  checkpoint: CheckpointRef;
}

/** webview → host: the zero-point effect of a tensor's exp_avg_sq. */
export interface ZeroPointRequest {
  type: 'zeroPoint/request';
  requestId: number;
  tensor: string;
}

/** host → webview: h(v) of the original and of the two 4-bit quantizations. */
export interface ZeroPointData {
  type: 'zeroPoint/data';
  requestId: number;
  tensor: string;
  original: ZeroPointSideView;
  withZero: ZeroPointSideView;
  withoutZero: ZeroPointSideView;
}

// ---------------------------------------------------------------------------------------------
// Pruning explorer

/** host → webview: the checkpoint; the webview then asks for plans. */
export interface PruningContext {
  type: 'pruning/context';
  args: PanelArgs['pruning'];
  checkpoint: CheckpointRef;
}

/** webview → host: a plan for these parameters (sent debounced while a slider moves). */
export interface PruningPlanMessage {
  type: 'pruning/plan';
  requestId: number;
  params: PlanParams;
}

/** host → webview: the answer to pruning/plan. */
export interface PruningPlanResult {
  type: 'pruning/planResult';
  requestId: number;
  plan: PlanView;
}

/** host → webview: pruning/plan failed (e.g. a criterion the checkpoint cannot support). */
export interface PruningPlanError {
  type: 'pruning/planError';
  requestId: number;
  message: string;
}

/** webview → host: write the pruned checkpoint (the host asks where). */
export interface PruningApply {
  type: 'pruning/apply';
  params: PlanParams;
}

/** webview → host: save the plan as JSON (`ckpt-lens prune --plan` reads it). */
export interface PruningExport {
  type: 'pruning/export';
  params: PlanParams;
}

/** host → webview: the pruned checkpoint was written. */
export interface PruningApplied {
  type: 'pruning/applied';
  output: string;
  tensors: number;
  removed: number;
}

// ---------------------------------------------------------------------------------------------
// Outliers

/** One side (rows or columns) of a tensor's 2-D view. */
export interface OutlierProfileView {
  /** max |w| of every row (or column) */
  maxAbs: Float32Array;
  /** the outliers' indices, ascending: max |w| above k times the median */
  indices: Uint32Array;
  /** lower median of the nonzero entries of maxAbs */
  median: number;
}

/** host → webview: the checkpoint; the webview then sends outliers/request. */
export interface OutliersContext {
  type: 'outliers/context';
  args: PanelArgs['outliers'];
  checkpoint: CheckpointRef;
}

/** webview → host: the profiles of a tensor, outliers at k times the median (null: the outlierK setting). */
export interface OutliersRequest {
  type: 'outliers/request';
  requestId: number;
  tensor: string;
  k: number | null;
}

/** host → webview: the answer to outliers/request. */
export interface OutliersData {
  type: 'outliers/data';
  requestId: number;
  tensor: string;
  /** the factor the outliers were marked with */
  k: number;
  /** the 2-D view [rows, cols] = [d0, d1·…·dk] */
  view: [number, number];
  pattern: OutlierClass;
  rows: OutlierProfileView;
  cols: OutlierProfileView;
}

// ---------------------------------------------------------------------------------------------
// Compression report

/** Per-layer figures of one ExCP entry; every array has one entry per layer id (NaN: none). */
export interface CompressionLayers {
  ids: string[];
  /** elements of the layer's ExCP-coded tensors */
  params: Float64Array;
  /** share of weight residuals kept (pruned ones restore as the reference) */
  keptW: Float64Array;
  /** share of Adam moment entries kept */
  keptM: Float64Array;
  /** pooled ||Ŵ − W|| / ||W|| */
  relErrW: Float64Array;
  /** pooled relative error of Adam's update size h(v) from the restored second moment */
  updateRelErr: Float64Array;
  /** parameters of the layer stored losslessly inside the ExCP entry */
  lossless: Float64Array;
}

/** One archive entry (one checkpoint). */
export interface CompressionEntry {
  name: string;
  step: number | null;
  mode: 'excp' | 'lossless';
  origBytes: number;
  compressedBytes: number;
  ratio: number;
  /** pooled over the entry (null: lossless) */
  keptW: number | null;
  keptM: number | null;
  relErrW: number | null;
  updateRelErr: number | null;
  /** e.g. "α 5e-5 · β 2 · 4-bit residuals · 4-bit moments" (ExCP), "bit-exact" (lossless) */
  params: string;
  /** what its residuals are taken against, in words */
  reference: string;
  /** parameters stored losslessly in an ExCP entry, with why */
  losslessParams: Array<{ name: string; reason: string }>;
  layers: CompressionLayers;
}

/** host → webview: the whole report. */
export interface CompressionData {
  type: 'compression/data';
  args: PanelArgs['compression'];
  archive: CheckpointRef;
  /** 'job': the summary of the compress run that just ended; 'archive': read back from the file */
  source: 'job' | 'archive';
  origBytes: number;
  compressedBytes: number;
  ratio: number;
  /** how long the job took (null: read from an archive) */
  seconds: number | null;
  entries: CompressionEntry[];
}

// ---------------------------------------------------------------------------------------------
// Per view and direction

export interface Messages {
  report: {
    toWebview: CommonToWebview | ReportData | ReportDetails;
    toHost: Ready | ReportSelect | ReportOpen;
  };
  histograms: {
    toWebview: CommonToWebview | HistogramsContext | HistogramsData | TensorList;
    toHost: Ready | HistogramsRequest | RequestTensors;
  };
  zeroPoint: {
    toWebview: CommonToWebview | ZeroPointContext | ZeroPointData | TensorList;
    toHost: Ready | ZeroPointRequest | RequestTensors;
  };
  pruning: {
    toWebview: CommonToWebview | PruningContext | PruningPlanResult | PruningPlanError | PruningApplied;
    toHost: Ready | PruningPlanMessage | PruningApply | PruningExport;
  };
  outliers: {
    toWebview: CommonToWebview | OutliersContext | OutliersData | TensorList;
    toHost: Ready | OutliersRequest | RequestTensors;
  };
  compression: {
    toWebview: CommonToWebview | CompressionData;
    toHost: Ready;
  };
}

/** host → webview messages of a view. */
export type ToWebview<V extends ViewKind> = Messages[V]['toWebview'];
/** webview → host messages of a view. */
export type ToHost<V extends ViewKind> = Messages[V]['toHost'];

/** What a webview keeps with vscode.setState: the panel's arguments (the serializer reopens on them) and its own UI state. */
export interface PersistedState<V extends ViewKind, Ui> {
  view: V;
  args: PanelArgs[V];
  ui: Ui;
}
