// tensorSummary, analyze, layerReport, histogram, zeroPoint and outlierProfile: answered from the
// analysis store when computed, otherwise by worker jobs that report progress and can be cancelled.
import { DEFAULT_ANALYSIS_OPTIONS } from '../../analysis/analysisOptions.ts';
import type { HistogramJson, TensorReport } from '../../analysis/reportTypes.ts';
import type { CheckpointTensor } from '../../checkpoint/model.ts';
import { DTYPE_SIZE } from '../../formats/dtype.ts';
import { MAX_BINS } from '../../../../kernels/src/index.ts';
import {
  Analyze,
  HistogramRequest,
  LayerReportRequest,
  OutlierProfile,
  TensorSummary,
  ZeroPoint,
  type HistogramKind,
  type TensorHeader,
} from '../../protocol.ts';
import { safely } from '../errors.ts';
import type { Subscriber } from '../jobRunner.ts';
import { asParams, optionalBoolean, optionalChoice, optionalNumber, optionalString, ParamError, requireString, type Params } from '../params.ts';
import type { Session } from '../session.ts';
import type { IndexedCheckpoint } from '../workspaceIndex.ts';

const HISTOGRAM_KINDS: readonly HistogramKind[] = ['weight', 'residual', 'exp_avg', 'exp_avg_sq', 'update'];

export function tensorOf(ck: IndexedCheckpoint, name: string): CheckpointTensor {
  const t = ck.byName.get(name);
  if (!t) throw new ParamError(`${ck.entry.path} has no tensor named '${name}'`);
  return t;
}

function header(ck: IndexedCheckpoint, t: CheckpointTensor): TensorHeader {
  return {
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    numel: t.numel,
    bytes: t.numel * DTYPE_SIZE[t.dtype],
    file: t.file,
    offset: t.offset,
    layer: ck.layerOf.get(t.name) ?? '',
    moments: (['exp_avg', 'exp_avg_sq'] as const).filter((m) => t.moments[m]),
  };
}

async function referenceOf(session: Session, p: Params): Promise<IndexedCheckpoint | undefined> {
  const ref = optionalString(p, 'reference');
  return ref === undefined ? undefined : session.checkpoint(ref);
}

/** A histogram the report already holds, when the request asks for exactly that one. */
function fromReport(r: TensorReport | undefined, kind: HistogramKind, log: boolean, bins: number, hasReference: boolean): HistogramJson | undefined {
  if (!r || bins !== DEFAULT_ANALYSIS_OPTIONS.bins) return undefined;
  const h = r.histograms;
  switch (kind) {
    case 'weight':
      return log ? h.weight_log : h.weight;
    case 'exp_avg':
      return log ? undefined : h.exp_avg;
    case 'exp_avg_sq':
      return log ? h.exp_avg_sq : undefined;
    case 'update':
      return h.update;
    case 'residual':
      return hasReference && !log ? h.residual : undefined;
  }
}

export function registerAnalysisRequests(session: Session): void {
  const { connection, store } = session;
  const sub = (raw: unknown, token: Parameters<Session['subscriber']>[1]): Subscriber => session.subscriber(raw, token);

  connection.onRequest(
    TensorSummary,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
      const t = tensorOf(ck, requireString(p, 'tensor'));
      const wait = optionalBoolean(p, 'wait') ?? true;
      const report = wait ? await store.tensorReport(ck, t.name, sub(raw, token)) : (store.peekTensor(ck, t.name) ?? null);
      return { checkpoint: ck.entry.path, header: header(ck, t), report, planRatio: store.plan(ck)?.tensors[t.name] ?? null };
    }),
  );

  connection.onRequest(
    Analyze,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
      const reference = await referenceOf(session, p);
      const r = await store.fullReport(ck, { reference, force: optionalBoolean(p, 'force') }, sub(raw, token));
      return { checkpoint: ck.entry.path, reference: reference?.entry.path ?? null, tensors: Object.keys(r.report.tensors).length, backend: r.report.backend, cached: r.cached, seconds: r.seconds };
    }),
  );

  connection.onRequest(
    LayerReportRequest,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
      const layer = optionalString(p, 'layer');
      const { report } = await store.fullReport(ck, { reference: await referenceOf(session, p) }, sub(raw, token));
      const layers = layer === undefined ? report.layers : report.layers.filter((l) => l.id === layer);
      if (layer !== undefined && layers.length === 0) throw new ParamError(`no layer '${layer}' (layers: ${report.layers.map((l) => l.id).join(', ')})`);
      return { checkpoint: ck.entry.path, architecture: report.architecture, layers, model: report.model };
    }),
  );

  connection.onRequest(
    HistogramRequest,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
      const t = tensorOf(ck, requireString(p, 'tensor'));
      const kind = optionalChoice(p, 'kind', HISTOGRAM_KINDS);
      if (kind === undefined) throw new ParamError(`'kind' is required: one of ${HISTOGRAM_KINDS.join(', ')}`);
      const bins = optionalNumber(p, 'bins', (x) => Number.isInteger(x) && x >= 1 && x <= MAX_BINS, `an integer from 1 to ${MAX_BINS}`) ?? DEFAULT_ANALYSIS_OPTIONS.bins;
      const log = kind === 'update' || (optionalBoolean(p, 'log') ?? kind === 'exp_avg_sq');
      if (kind !== 'weight' && kind !== 'residual' && !t.moments[kind === 'update' ? 'exp_avg_sq' : kind]) {
        throw new ParamError(`'${t.name}' has no ${kind === 'update' ? 'exp_avg_sq' : kind} attached`);
      }
      let reference = await referenceOf(session, p);
      if (kind === 'residual') {
        reference ??= session.index.previousInRun(ck);
        if (!reference) throw new ParamError("a residual histogram needs 'reference' (no earlier checkpoint of the same run was found)");
      }
      const known = fromReport(reference ? store.peekFull(ck, reference)?.tensors[t.name] : store.peekTensor(ck, t.name), kind, log, bins, reference !== undefined);
      const histogram =
        known ??
        (await session.jobs.run(
          JSON.stringify(['histogram', ck.entry.path, ck.fingerprint, reference?.entry.path ?? '', t.name, kind, bins, log]),
          `Histogram of ${t.name}`,
          (signal) =>
            session.worker.run(
              { kind: 'histogram', path: ck.entry.path, reference: reference?.entry.path, tensor: t.name, histogram: kind, bins, log },
              session.settings().computeBackend,
              signal,
            ),
          sub(raw, token),
        ));
      return { ...histogram, tensor: t.name, kind };
    }),
  );

  connection.onRequest(
    ZeroPoint,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
      const t = tensorOf(ck, requireString(p, 'tensor'));
      if (!t.moments.exp_avg_sq) throw new ParamError(`'${t.name}' has no exp_avg_sq attached: the zero-point effect is about Adam's second moment`);
      const r = await store.tensorReport(ck, t.name, sub(raw, token));
      if (!r.zero_point) throw new ParamError(`'${t.name}' has ${t.numel} elements; quantization (and the zero-point effect) is measured from ${DEFAULT_ANALYSIS_OPTIONS.quantMinElements}`);
      return r.zero_point;
    }),
  );

  connection.onRequest(
    OutlierProfile,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
      const t = tensorOf(ck, requireString(p, 'tensor'));
      if (t.shape.length < 2) throw new ParamError(`'${t.name}' has shape [${t.shape.join(', ')}]; outlier rows and columns need a matrix`);
      const k = optionalNumber(p, 'k', (x) => x > 0, 'a positive number') ?? session.settings().outlierK;
      const options = { outlierK: k, profiles: true };
      const result = await session.jobs.run(
        JSON.stringify(['outliers', ck.entry.path, ck.fingerprint, t.name, k, session.settings().computeBackend]),
        `Outlier profile of ${t.name}`,
        (signal, progress) =>
          session.worker.run(
            { kind: 'analyze', path: ck.entry.path, options, only: [t.name], cacheDir: null, force: false },
            session.settings().computeBackend,
            signal,
            progress,
          ),
        sub(raw, token),
      );
      const outliers = result.report.tensors[t.name]?.outliers;
      if (!outliers) throw new Error(`the analysis of '${t.name}' returned no outlier profile`);
      return outliers;
    }),
  );
}
