// pruningPlan (from the cached report and a prepared planner: milliseconds once the checkpoint is
// analysed) and applyPruningPlan (writes the pruned checkpoint on the worker).
import { stat } from 'node:fs/promises';
import type { CheckpointPlan } from '../../analysis/planFromReport.ts';
import type { PlanStrategy } from '../../analysis/planTypes.ts';
import type { Criterion } from '../../analysis/reportTypes.ts';
import { ApplyPruningPlan, PruningPlanRequest } from '../../protocol.ts';
import { safely } from '../errors.ts';
import type { Subscriber } from '../jobRunner.ts';
import { asParams, optionalChoice, optionalNumber, optionalString, ParamError, pathParam, requireString, type Params } from '../params.ts';
import type { Session } from '../session.ts';
import type { IndexedCheckpoint } from '../workspaceIndex.ts';

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

async function planFor(session: Session, p: Params, sub: Subscriber): Promise<{ ck: IndexedCheckpoint; plan: CheckpointPlan; alpha: number }> {
  const ck = await session.checkpoint(optionalString(p, 'checkpoint'));
  const target = optionalNumber(p, 'target', (x) => x >= 0 && x <= 1, 'a sparsity between 0 and 1');
  if (target === undefined) throw new ParamError("'target' is required (a sparsity between 0 and 1)");
  const criterion = optionalChoice(p, 'criterion', CRITERIA) ?? 'magnitude';
  const strategy = optionalChoice(p, 'strategy', STRATEGIES) ?? 'error-optimal';
  const overrides = overridesOf(p);
  const report = session.store.peekFull(ck) ?? (await session.store.fullReport(ck, {}, sub)).report;
  let plan: CheckpointPlan;
  try {
    plan = session.store.planner(ck, report, criterion).plan({ target, strategy, overrides });
  } catch (e) {
    // The planner's complaints (unknown layer in overrides, no tensor supports the criterion) are about the request.
    throw new ParamError((e as Error).message);
  }
  session.store.setPlan(ck, plan);
  return { ck, plan, alpha: Number(report.options.alpha ?? 0) };
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
      const { ck, plan, alpha } = await planFor(session, p, sub);
      const result = await session.jobs.run(
        `prune|${output}`,
        `Writing the pruned checkpoint to ${output}`,
        (signal) => session.worker.run({ kind: 'prune', path: ck.entry.path, plan: { criterion: plan.criterion, tensors: plan.tensors, alpha }, output }, session.settings().computeBackend, signal),
        sub,
      );
      void session.refreshIndex();
      return { ...result, plan };
    }),
  );
}
