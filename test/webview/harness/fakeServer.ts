// A language server stand-in for the host controllers: it answers the checkpointLens/* requests
// the panels make from real analysis reports (and real pruning plans, outlier profiles and archive
// records, computed by the same library calls the server makes), and records every request.
import { planFromReport, type CheckpointPlan } from '../../../server/src/analysis/planFromReport.ts';
import type { PlanStrategy } from '../../../server/src/analysis/planTypes.ts';
import type { AnalysisReport, Criterion, HistogramJson, OutliersJson, TensorReport } from '../../../server/src/analysis/reportTypes.ts';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../../server/src/analysis/analysisOptions.ts';
import { analyzeCheckpoint } from '../../../server/src/analysis/analyzeCheckpoint.ts';
import { planStructured, type StructuredPlan } from '../../../server/src/analysis/structuredPlan.ts';
import { openCheckpoint } from '../../../server/src/checkpoint/open.ts';
import { readArchiveInfo } from '../../../server/src/compress/archiveInfo.ts';
import { DEFAULT_SETTINGS } from '../../../server/src/settings.ts';
import { CpuBackend } from '../../../kernels/src/cpu/cpuBackend.ts';
import {
  ApplyPruningPlan,
  ArchiveInfo,
  OutlierProfile,
  HistogramRequest,
  LayerReportRequest,
  ListCheckpoints,
  PruningPlanRequest,
  TensorSummary,
  ZeroPoint,
  type ApplyPruningPlanParams,
  type ApplyPruningPlanResult,
  type CheckpointEntry,
  type CheckpointList,
  type HistogramParams,
  type LayerReportResult,
  type OutlierProfileParams,
  type PruningPlanResult,
  type PruningPlanParams,
  type TensorSummaryResult,
} from '../../../server/src/protocol.ts';
import type { RequestType } from 'vscode-languageserver-protocol';
import type { RequestOptions, ServerApi } from '../../../client/src/webviews/hostApi.ts';

/** What the server answers for bad parameters (JSON-RPC InvalidParams), with its message. */
function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: -32602 });
}

export interface Recorded {
  method: string;
  params: Record<string, unknown>;
}

export class FakeServer implements ServerApi {
  readonly requests: Recorded[] = [];
  private readonly byPath = new Map<string, AnalysisReport>();
  /** answers applyPruningPlan (the test decides what writing means) */
  onApply: ((p: ApplyPruningPlanParams, plan: PruningPlanResult) => Promise<ApplyPruningPlanResult>) | undefined;
  private readonly profiles = new Map<string, Promise<OutliersJson>>();
  private readonly structured = new Map<string, Promise<StructuredPlan>>();

  constructor(
    reports: AnalysisReport[],
    /** the active checkpoint's path; null: none is active */
    private readonly active: string | null,
  ) {
    for (const r of reports) this.byPath.set(r.path, r);
  }

  private report(path: unknown): AnalysisReport {
    const r = this.byPath.get(typeof path === 'string' ? path : (this.active ?? ''));
    if (!r) throw Object.assign(new Error(`no checkpoint at ${String(path)}`), { code: -32002 });
    return r;
  }

  private tensor(r: AnalysisReport, name: unknown): TensorReport {
    const t = r.tensors[String(name)];
    if (!t) throw invalid(`${r.path} has no tensor named '${String(name)}'`);
    return t;
  }

  async request<P extends object, R>(type: RequestType<P, R, void>, params: P, options: RequestOptions = {}): Promise<R> {
    options.signal?.throwIfAborted();
    const p = params as Record<string, unknown>;
    this.requests.push({ method: type.method, params: p });
    options.progress?.('50 %', 50);
    return this.answer(type.method, p) as R;
  }

  private answer(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case ListCheckpoints.method:
        return this.list();
      case LayerReportRequest.method: {
        const r = this.report(p.checkpoint);
        return { checkpoint: r.path, architecture: r.architecture, layers: r.layers, model: r.model } satisfies LayerReportResult;
      }
      case TensorSummary.method:
        return this.summary(this.report(p.checkpoint), p.tensor);
      case HistogramRequest.method:
        return this.histogram(p as unknown as HistogramParams);
      case ZeroPoint.method: {
        const t = this.tensor(this.report(p.checkpoint), p.tensor);
        if (!t.zero_point) throw invalid(`'${t.name}' has no zero-point effect (too small or no exp_avg_sq)`);
        return t.zero_point;
      }
      case PruningPlanRequest.method:
        return this.anyPlan(p as unknown as PruningPlanParams);
      case ApplyPruningPlan.method: {
        const a = p as unknown as ApplyPruningPlanParams;
        const apply = this.onApply;
        if (!apply) throw new Error('this test does not apply plans');
        return this.anyPlan(a).then((plan) => apply(a, plan));
      }
      case OutlierProfile.method:
        return this.outliers(p as unknown as OutlierProfileParams);
      case ArchiveInfo.method:
        return readArchiveInfo(String(p.archive));
      default:
        throw new Error(`the fake server does not answer ${method}`);
    }
  }

  private list(): CheckpointList {
    const checkpoints: CheckpointEntry[] = [...this.byPath.values()].map((r) => ({
      path: r.path,
      uri: `file://${r.path}`,
      label: `tiny-llama/${r.path.split('/').pop()}`,
      kind: 'trainer',
      step: r.step,
      run: null,
      tensors: r.model.tensors,
      params: r.model.params,
      bytes: r.model.bytes,
      optimizer: true,
      modified: 0,
      error: null,
    }));
    return { checkpoints, active: this.active, selection: 'auto' };
  }

  private summary(r: AnalysisReport, name: unknown): TensorSummaryResult {
    const t = this.tensor(r, name);
    return {
      checkpoint: r.path,
      header: {
        name: t.name,
        dtype: t.dtype as TensorSummaryResult['header']['dtype'],
        shape: t.shape,
        numel: t.numel,
        bytes: t.numel * 4,
        file: `${r.path}/model.safetensors`,
        offset: 0,
        layer: t.layer,
        moments: (['exp_avg', 'exp_avg_sq'] as const).filter((m) => t[m] !== undefined),
      },
      report: t,
      planRatio: null,
    };
  }

  /** The histograms a report holds; others (e.g. exp_avg on a log axis) fail as the server would if it could not compute them. */
  private histogram(p: HistogramParams): HistogramJson & { tensor: string; kind: HistogramParams['kind'] } {
    const t = this.tensor(this.report(p.checkpoint), p.tensor);
    const log = p.kind === 'update' || (p.log ?? p.kind === 'exp_avg_sq');
    const h = t.histograms;
    const found = { weight: log ? h.weight_log : h.weight, residual: log ? undefined : h.residual, exp_avg: log ? undefined : h.exp_avg, exp_avg_sq: log ? h.exp_avg_sq : undefined, update: h.update }[p.kind];
    if (!found) throw invalid(`no ${log ? 'log ' : ''}${p.kind} histogram of '${t.name}' in this report`);
    return { ...found, tensor: t.name, kind: p.kind };
  }

  private plan(p: PruningPlanParams): CheckpointPlan {
    try {
      return planFromReport(this.report(p.checkpoint), {
        target: p.target,
        criterion: (p.criterion ?? 'magnitude') as Criterion,
        strategy: (p.strategy ?? 'error-optimal') as PlanStrategy,
        overrides: p.overrides,
      });
    } catch (e) {
      throw invalid((e as Error).message);
    }
  }

  private anyPlan(p: PruningPlanParams): Promise<PruningPlanResult> {
    if (!p.structured) return Promise.resolve().then(() => this.plan(p));
    const path = this.report(p.checkpoint).path;
    const key = JSON.stringify([path, p.target, p.criterion]);
    let plan = this.structured.get(key);
    if (!plan) {
      plan = openCheckpoint(path).then((ck) => planStructured(ck, { target: p.target, criterion: (p.criterion ?? 'magnitude') as Criterion, alpha: DEFAULT_ANALYSIS_OPTIONS.alpha }));
      this.structured.set(key, plan);
    }
    return plan;
  }

  /** The server's outlierProfile: one tensor analysed with profiles on, k from the request or the default setting. */
  private outliers(p: OutlierProfileParams): Promise<OutliersJson> {
    const r = this.report(p.checkpoint);
    const t = this.tensor(r, p.tensor);
    if (t.shape.length < 2) return Promise.reject(invalid(`'${t.name}' has shape [${t.shape.join(', ')}]; outlier rows and columns need a matrix`));
    const k = p.k ?? DEFAULT_SETTINGS.outlierK;
    const key = JSON.stringify([r.path, t.name, k]);
    let o = this.profiles.get(key);
    if (!o) {
      o = (async () => {
        const backend = new CpuBackend({ threads: 1 });
        try {
          const checkpoint = await openCheckpoint(r.path);
          const report = await analyzeCheckpoint({ backend, checkpoint, options: { outlierK: k, profiles: true }, only: [t.name] }, backend.description);
          return report.tensors[t.name]!.outliers!;
        } finally {
          await backend.dispose();
        }
      })();
      this.profiles.set(key, o);
    }
    return o;
  }

  count(method: string): number {
    return this.requests.filter((r) => r.method === method).length;
  }
}
