// pruningPlan (from the cached report and a prepared planner: milliseconds once the checkpoint is
// analysed; structured plans from the checkpoint's scored heads and channels, cached the same way)
// and applyPruningPlan (writes the pruned checkpoint on the worker).
import { stat } from 'node:fs/promises';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../analysis/analysisOptions.ts';
import type { CheckpointPlan } from '../../analysis/planFromReport.ts';
import type { PlanStrategy } from '../../analysis/planTypes.ts';
import type { PlanFile } from '../../analysis/prune.ts';
import type { Criterion } from '../../analysis/reportTypes.ts';
import { allocateStructured, type StructuredPlan } from '../../analysis/structuredPlan.ts';
import { ApplyPruningPlan, PruningPlanRequest } from '../../protocol.ts';
import { safely } from '../errors.ts';
import type { Subscriber } from '../jobRunner.ts';
import { asParams, optionalBoolean, optionalChoice, optionalNumber, optionalString, ParamError, pathParam, requireString, type Params } from '../params.ts';
import type { Session } from '../session.ts';
import type { IndexedCheckpoint } from '../workspaceIndex.ts';
import { WorkerJobError } from '../workerClient.ts';

const CRITERIA: readonly Criterion[] = ['magnitude', 'taylor', 'obd', 'excp'];
const STRATEGIES: readonly PlanStrategy[] = ['error-optimal', 'uniform', 'owl'];

function overridesOf(p: Params): Record<string, number> | undefined {
  const o = p.overrides;
  if (o === undefined || o === null) return undefined;
  if (typeof o !== 'object' || Array.isArray(o)) throw new ParamError("'overrides' must be an object {layer id: ratio}");
  for (const [layer, r] of Object.entries(o)) {
    if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw new ParamError(`override for '${layer}' must be a ratio between 0 and 1`);
  }
  return o as Record<string, number>;
}

interface PlanRequest {
  ck: IndexedCheckpoint;
  target: number;
  criterion: Criterion;
}

type Planned = { plan: CheckpointPlan; file: PlanFile } | { plan: StructuredPlan; file: PlanFile };

async function unstructured(session: Session, r: PlanRequest, p: Params, sub: Subscriber): Promise<Planned> {
  const strategy = optionalChoice(p, 'strategy', STRATEGIES) ?? 'error-optimal';
  const overrides = overridesOf(p);
  const report = session.store.peekFull(r.ck) ?? (await session.store.fullReport(r.ck, {}, sub)).report;
  let plan: CheckpointPlan;
  try {
    plan = session.store.planner(r.ck, report, r.criterion).plan({ target: r.target, strategy, overrides });
  } catch (e) {
    // The planner's complaints (unknown layer in overrides, no tensor supports the criterion) are about the request.
    throw new ParamError((e as Error).message);
  }
  session.store.setPlan(r.ck, plan);
  return { plan, file: { criterion: plan.criterion, tensors: plan.tensors, alpha: Number(report.options.alpha ?? 0) } };
}

/** Whole heads/KV groups and MLP channels; the strategy does not apply and per-layer overrides are refused. */
async function structured(session: Session, r: PlanRequest, p: Params, sub: Subscriber): Promise<Planned> {
  if (Object.keys(overridesOf(p) ?? {}).length > 0) throw new ParamError('structured plans take no per-layer overrides: groups compete across all blocks');
  if (r.target >= 1) throw new ParamError("'target' of a structured plan must be below 1: every block keeps at least one head and one channel");
  const alpha = DEFAULT_ANALYSIS_OPTIONS.alpha;
  let scores;
  try {
    scores = await session.store.structuredScores(r.ck, r.criterion, alpha, sub);
  } catch (e) {
    // A plain Error from the scoring is about the checkpoint (no known block layout), not a server fault.
    if (e instanceof WorkerJobError && e.name === 'Error') throw new ParamError(e.message);
    throw e;
  }
  const plan = allocateStructured(scores, r.target);
  // Hovers show per-tensor ratios of the current plan; a structured plan has none, so the last unstructured one stays.
  return { plan, file: { criterion: plan.criterion, tensors: {}, alpha, slices: plan.slices } };
}

async function planFor(session: Session, p: Params, sub: Subscriber): Promise<{ ck: IndexedCheckpoint } & Planned> {
  const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
  const target = optionalNumber(p, 'target', (x) => x >= 0 && x <= 1, 'a sparsity between 0 and 1');
  if (target === undefined) throw new ParamError("'target' is required (a sparsity between 0 and 1)");
  const criterion = optionalChoice(p, 'criterion', CRITERIA) ?? 'magnitude';
  const r: PlanRequest = { ck, target, criterion };
  const planned = optionalBoolean(p, 'structured') === true ? await structured(session, r, p, sub) : await unstructured(session, r, p, sub);
  return { ck, ...planned };
}

export function registerPruningRequests(session: Session): void {
  const { connection } = session;

  connection.onRequest(
    PruningPlanRequest,
    safely(async (raw, token) => (await planFor(session, asParams(raw), session.subscriber(raw, token))).plan),
  );

  connection.onRequest(
    ApplyPruningPlan,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const output = pathParam(requireString(p, 'output'), 'output');
      if (await stat(output).then(() => true, () => false)) throw new ParamError(`'output' ${output} already exists; choose a new path (nothing is overwritten)`);
      const sub = session.subscriber(raw, token);
      const { ck, plan, file } = await planFor(session, p, sub);
      const result = await session.jobs.run(
        `prune|${output}`,
        `Writing the pruned checkpoint to ${output}`,
        (signal) => session.worker.run({ kind: 'prune', path: ck.entry.path, plan: file, output }, session.settings().computeBackend, signal),
        sub,
      );
      void session.refreshIndex();
      return { ...result, plan };
    }),
  );
}
