// One tensor's full analysis: statistics, histograms, the quantization error table, the zero-point
// effect, outliers, pruning curves, and ExCP's kept counts against a reference. Every number comes
// from a Backend kernel (either backend gives the same), except the element-wise importance and
// error curves, which run on the host.
import type { Backend, TensorData } from '../../../kernels/src/index.ts';
import { summarizeStats, type Stats } from '../../../kernels/src/index.ts';
import { detectOutliers } from '../../../kernels/src/cpu/profiles.ts';
import type { CheckpointTensor } from '../checkpoint/model.ts';
import type { AnalysisOptions } from './analysisOptions.ts';
import { errorCurve } from './errorCurve.ts';
import { histogram, linearSpec, logAbsSpec, updateSpec } from './histogramRanges.ts';
import { availableCriteria, importance, owlOutlierRatio } from './importance.ts';
import { codebookValues, SCHEMES_BY_TARGET, ZERO_POINT_WITH_ZERO, ZERO_POINT_WITHOUT_ZERO, type QuantScheme, type QuantTarget } from './quantSchemes.ts';
import { statsJson, type CurveJson, type OutliersJson, type PruningJson, type QuantJson, type TensorReport } from './reportTypes.ts';
import { asFloat32, loadTensorData } from './tensorInput.ts';
import { zeroPointEffect } from './zeroPoint.ts';

export interface TensorInputs {
  tensor: CheckpointTensor;
  layer: string;
  /** the same tensor in the reference checkpoint, for the residual and ExCP */
  reference?: CheckpointTensor;
}

async function stats(backend: Backend, x: TensorData): Promise<Stats> {
  return summarizeStats(await backend.stats(x));
}

async function quantRow(backend: Backend, x: TensorData, shape: readonly number[], scheme: QuantScheme): Promise<QuantJson> {
  const r = scheme.factored
    ? await backend.factoredError(x, shape, { secondMoment: true })
    : await backend.quantError(x, shape, {
        codebook: codebookValues(scheme.codebook!, scheme.bits!),
        normalization: scheme.normalization!,
        secondMoment: scheme.target === 'exp_avg_sq',
      });
  const { count: _c, nonfinite: _n, ...rest } = r;
  return { ...rest, label: scheme.label };
}

async function quantTable(backend: Backend, target: QuantTarget, x: TensorData, shape: readonly number[], into: TensorReport): Promise<void> {
  for (const scheme of SCHEMES_BY_TARGET[target]) into[scheme.key] = await quantRow(backend, x, shape, scheme);
}

async function outliers(backend: Backend, x: TensorData, shape: readonly number[], opts: AnalysisOptions): Promise<OutliersJson> {
  const p = await backend.profiles(x, shape);
  const o = detectOutliers(p, opts.outlierK);
  const side = (idx: number[], profile: Float32Array, median: number) => ({ indices: idx, median, values: idx.map((i) => profile[i]!) });
  return {
    k: o.k,
    view: [p.rows, p.cols],
    pattern: o.pattern,
    rows: side(o.rows.indices, p.rowMaxAbs, o.rows.median),
    cols: side(o.cols.indices, p.colMaxAbs, o.cols.median),
    ...(opts.profiles ? { row_max_abs: Array.from(p.rowMaxAbs), col_max_abs: Array.from(p.colMaxAbs) } : {}),
  };
}

async function pruning(backend: Backend, w: TensorData, shape: readonly number[], moments: { m?: Float32Array; v?: Float32Array; meanV?: number }, opts: AnalysisOptions): Promise<PruningJson> {
  const wf = asFloat32(w);
  const curves: PruningJson['curves'] = {};
  const scratch = new Float32Array(wf.length);
  for (const criterion of availableCriteria(moments)) {
    const c = errorCurve(wf, importance(criterion, { w: wf, ...moments, alpha: opts.alpha }, scratch), { sparsities: opts.sparsities });
    const json: CurveJson = {
      sparsity: c.points.map((p) => p.sparsity),
      sq_norm: c.sqNorm,
      sq_err: c.points.map((p) => p.sqErr),
      rel_err: c.points.map((p) => p.relErr),
      importance_removed: c.points.map((p) => p.importanceRemovedFrac),
      importance_total: c.importanceTotal,
    };
    curves[criterion] = json;
  }
  const nm = await backend.nm(w, shape, { n: 2, m: 4 });
  return { curves, nm_2_4: { kept: nm.kept, total: nm.total, rel_err: nm.rel_err }, owl_outlier_ratio: owlOutlierRatio(wf) };
}

/** Elementwise W - R in float32, as ExCP forms it. */
function residualOf(w: TensorData, r: TensorData): Float32Array {
  const a = asFloat32(w);
  const b = asFloat32(r);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

export async function analyzeTensor(backend: Backend, input: TensorInputs, opts: AnalysisOptions): Promise<TensorReport> {
  const t = input.tensor;
  const w = await loadTensorData(t);
  const wStats = await stats(backend, w);
  const report: TensorReport = {
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    numel: t.numel,
    layer: input.layer,
    weight: statsJson(wStats),
    histograms: {
      weight: await histogram(backend, w, linearSpec(wStats, opts.bins)),
      weight_log: await histogram(backend, w, logAbsSpec(wStats, opts.bins)),
    },
  };
  const quantifiable = t.numel >= opts.quantMinElements;
  if (quantifiable && opts.weightQuant) await quantTable(backend, 'weight', w, t.shape, report);
  const matrix = t.shape.length >= 2 && t.numel > 0;
  if (matrix) report.outliers = await outliers(backend, w, t.shape, opts);

  let m: TensorData | undefined;
  let v: TensorData | undefined;
  let meanV: number | undefined;
  if (t.moments.exp_avg) {
    m = await loadTensorData(t.moments.exp_avg);
    const s = await stats(backend, m);
    report.exp_avg = statsJson(s);
    report.histograms.exp_avg = await histogram(backend, m, linearSpec(s, opts.bins));
    if (quantifiable) await quantTable(backend, 'exp_avg', m, t.shape, report);
  }
  if (t.moments.exp_avg_sq) {
    v = await loadTensorData(t.moments.exp_avg_sq);
    const s = await stats(backend, v);
    meanV = s.mean;
    report.exp_avg_sq = statsJson(s);
    report.histograms.exp_avg_sq = await histogram(backend, v, logAbsSpec(s, opts.bins));
    report.histograms.update = await histogram(backend, v, updateSpec(s, opts.bins));
    if (quantifiable) {
      await quantTable(backend, 'exp_avg_sq', v, t.shape, report);
      const schemes = SCHEMES_BY_TARGET.exp_avg_sq;
      const withZero = schemes.find((x) => x.key === ZERO_POINT_WITH_ZERO)!;
      const withoutZero = schemes.find((x) => x.key === ZERO_POINT_WITHOUT_ZERO)!;
      report.zero_point = await zeroPointEffect(backend, v, s.count > 0 ? s.zeros / s.numel : 0, t.shape, withZero, withoutZero, updateSpec(s, opts.bins));
    }
  }
  if (matrix) report.pruning = await pruning(backend, w, t.shape, { m: m && asFloat32(m), v: v && asFloat32(v), meanV }, opts);

  if (input.reference) {
    const r = await loadTensorData(input.reference);
    const residual: TensorData = { dtype: 'F32', data: residualOf(w, r) };
    const rs = await stats(backend, residual);
    report.residual = statsJson(rs);
    report.histograms.residual = await histogram(backend, residual, linearSpec(rs, opts.bins));
    const e = await backend.excpStep(w, r, m, v, { alpha: opts.alpha, beta: opts.beta });
    report.excp_default = {
      kept_w: e.keptW,
      kept_m: e.keptM ?? null,
      threshold_w: e.thresholdW,
      alpha: opts.alpha,
      beta: opts.beta,
      criterion: v ? 'second-moment' : 'magnitude',
    };
  }
  return report;
}
