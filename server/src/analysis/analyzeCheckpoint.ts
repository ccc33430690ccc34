// A whole checkpoint's analysis: every tensor (one at a time, so memory is bounded by the largest
// tensor with its moments), grouped into layers, with per-layer and per-model summaries and the
// default pruning plan. Reports progress and honours an AbortSignal between tensors.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Backend } from '../../../kernels/src/index.ts';
import type { Checkpoint, CheckpointTensor } from '../checkpoint/model.ts';
import { DTYPE_SIZE } from '../formats/dtype.ts';
import { FormatError } from '../formats/types.ts';
import { DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from './analysisOptions.ts';
import { describeArchitecture } from './architecture.ts';
import { groupLayers } from './layers.ts';
import { Planner } from './planFromReport.ts';
import { SCHEMES_BY_TARGET } from './quantSchemes.ts';
import type { AnalysisReport, LayerReport, QuantJson, TensorReport } from './reportTypes.ts';
import { analyzeTensor } from './tensorAnalysis.ts';

export interface AnalyzeRequest {
  backend: Backend;
  checkpoint: Checkpoint;
  reference?: Checkpoint;
  options?: Partial<AnalysisOptions>;
  /** analyse only these tensors (the layer and model summaries then cover only them) */
  only?: readonly string[];
  signal?: AbortSignal;
  /** bytes of tensor data analysed so far, of the total */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

const ALL_SCHEMES = Object.values(SCHEMES_BY_TARGET).flat();

function tensorBytes(t: CheckpointTensor): number {
  let b = t.numel * DTYPE_SIZE[t.dtype];
  for (const m of Object.values(t.moments)) if (m) b += m.byteLength;
  return b;
}

/** config.json beside the weights, when there is one: it names the head counts shapes cannot tell. */
export async function readConfig(ckpt: Checkpoint): Promise<Record<string, unknown> | undefined> {
  const file = ckpt.files[0];
  if (!file) return undefined;
  try {
    const json: unknown = JSON.parse(await readFile(join(dirname(file), 'config.json'), 'utf8'));
    return json && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function referenceFor(t: CheckpointTensor, ref: Map<string, CheckpointTensor> | undefined): CheckpointTensor | undefined {
  const r = ref?.get(t.name);
  if (!r) return undefined;
  if (r.shape.length !== t.shape.length || r.shape.some((d, i) => d !== t.shape[i])) {
    throw new FormatError(`reference tensor has shape [${r.shape.join(', ')}], this one [${t.shape.join(', ')}]`, r.file, { tensor: t.name, offset: r.offset });
  }
  return r;
}

function layerSummaries(report: Omit<AnalysisReport, 'layers' | 'model'>, layers: ReturnType<typeof groupLayers<CheckpointTensor>>): LayerReport[] {
  return layers.map((l) => {
    const tensors = l.tensors.map((t) => report.tensors[t.name]).filter((t): t is TensorReport => t !== undefined);
    const quant: Record<string, number> = {};
    for (const s of ALL_SCHEMES) {
      let weighted = 0;
      let params = 0;
      for (const t of tensors) {
        const q = t[s.key] as QuantJson | undefined;
        if (!q) continue;
        weighted += q.rel_err * t.numel;
        params += t.numel;
      }
      if (params > 0) quant[s.key] = weighted / params;
    }
    let rows = 0;
    let cols = 0;
    let withOutliers = 0;
    for (const t of tensors) {
      if (!t.outliers) continue;
      rows += t.outliers.rows.indices.length;
      cols += t.outliers.cols.indices.length;
      if (t.outliers.pattern !== 'none') withOutliers++;
    }
    return {
      id: l.id,
      kind: l.kind,
      index: l.index,
      tensors: tensors.map((t) => t.name),
      params: tensors.reduce((s, t) => s + t.numel, 0),
      quant,
      outliers: { rows, cols, tensors_with_outliers: withOutliers },
      suggested_ratio: null,
    };
  });
}

function modelQuant(layers: LayerReport[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of ALL_SCHEMES) {
    let weighted = 0;
    let params = 0;
    for (const l of layers) {
      const q = l.quant[s.key];
      if (q === undefined) continue;
      weighted += q * l.params;
      params += l.params;
    }
    if (params > 0) out[s.key] = weighted / params;
  }
  return out;
}

export async function analyzeCheckpoint(req: AnalyzeRequest, backendDescription: string): Promise<AnalysisReport> {
  const opts: AnalysisOptions = { ...DEFAULT_ANALYSIS_OPTIONS, ...req.options };
  const ckpt = req.checkpoint;
  const selected = req.only ? ckpt.tensors.filter((t) => req.only!.includes(t.name)) : ckpt.tensors;
  if (req.only) {
    const missing = req.only.filter((n) => !ckpt.tensors.some((t) => t.name === n));
    if (missing.length > 0) throw new FormatError(`no tensor named ${missing.map((n) => `'${n}'`).join(', ')}`, ckpt.path);
  }
  const layers = groupLayers(selected);
  const layerOf = new Map<string, string>();
  for (const l of layers) for (const t of l.tensors) layerOf.set(t.name, l.id);
  const arch = describeArchitecture(ckpt.tensors, { config: await readConfig(ckpt) });
  const refByName = req.reference ? new Map(req.reference.tensors.map((t) => [t.name, t])) : undefined;

  const total = selected.reduce((s, t) => s + tensorBytes(t), 0);
  let done = 0;
  const tensors: Record<string, TensorReport> = {};
  for (const t of selected) {
    req.signal?.throwIfAborted();
    req.onProgress?.(done, total, t.name);
    tensors[t.name] = await analyzeTensor(req.backend, { tensor: t, layer: layerOf.get(t.name)!, reference: referenceFor(t, refByName) }, opts);
    done += tensorBytes(t);
  }
  req.onProgress?.(total, total, '');

  const base = {
    path: ckpt.path,
    format: ckpt.format,
    step: ckpt.step,
    reference: req.reference?.path ?? null,
    backend: backendDescription,
    architecture: { family: arch.family, confidence: arch.confidence, evidence: arch.evidence, shape: { ...arch.shape } },
    options: { ...opts, sparsities: undefined, only: req.only ?? null },
    tensors,
  };
  const layerReports = layerSummaries(base, layers);
  const report: AnalysisReport = {
    ...base,
    layers: layerReports,
    model: {
      tensors: selected.length,
      params: selected.reduce((s, t) => s + t.numel, 0),
      bytes: selected.reduce((s, t) => s + t.numel * DTYPE_SIZE[t.dtype], 0),
      quant: modelQuant(layerReports),
      default_plan: null,
    },
  };
  try {
    const plan = new Planner(report, 'magnitude').plan({ target: 0.5, strategy: 'error-optimal' });
    report.model.default_plan = plan;
    for (const l of report.layers) l.suggested_ratio = plan.layers.find((p) => p.layer === l.id)?.ratio ?? null;
  } catch {
    // No prunable weight matrices (e.g. a single-tensor analysis): no default plan.
  }
  return report;
}
