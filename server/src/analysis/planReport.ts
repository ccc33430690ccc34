// Turns per-layer removal counts into the plan's report: per-layer errors read off the curves, model
// totals, and sizes stated honestly.
import { isCurvePoint, valueAt, type PreparedLayer } from './planCurves.ts';
import type { LayerPlan, PlanBytes } from './planTypes.ts';

export const DEFAULT_BYTES_PER_PARAM = 4;

export function layerPlan(layer: PreparedLayer, removed: number, fixed: boolean): LayerPlan {
  const sqErr = valueAt(layer, layer.sqErr, removed);
  const importanceRemoved = valueAt(layer, layer.importance, removed);
  const total = layer.input.importanceTotal;
  return {
    layer: layer.layer,
    params: layer.params,
    ratio: layer.params > 0 ? removed / layer.params : 0,
    removed,
    kept: layer.params - removed,
    sqErr,
    relErr: layer.input.sqNorm > 0 ? Math.sqrt(sqErr / layer.input.sqNorm) : 0,
    importanceRemoved,
    importanceRemovedFrac: total === undefined ? null : total !== 0 ? importanceRemoved / total : 0,
    fixed,
    onGrid: isCurvePoint(layer, removed),
  };
}

export interface ModelTotals {
  paramsBefore: number;
  paramsAfter: number;
  removed: number;
  achievedSparsity: number;
  sqErr: number;
  sqNorm: number;
  relErr: number;
}

export function modelTotals(layers: PreparedLayer[], plans: LayerPlan[]): ModelTotals {
  let paramsBefore = 0;
  let removed = 0;
  let sqErr = 0;
  let sqNorm = 0;
  plans.forEach((plan, i) => {
    paramsBefore += plan.params;
    removed += plan.removed;
    sqErr += plan.sqErr;
    sqNorm += layers[i]!.input.sqNorm;
  });
  return {
    paramsBefore,
    paramsAfter: paramsBefore - removed,
    removed,
    achievedSparsity: paramsBefore > 0 ? removed / paramsBefore : 0,
    sqErr,
    sqNorm,
    relErr: sqNorm > 0 ? Math.sqrt(sqErr / sqNorm) : 0,
  };
}

/** Bytes of the planned tensors: a dense file keeps its size; what two sparse encodings would take. */
export function planBytes(layers: PreparedLayer[], plans: LayerPlan[], defaultBytesPerParam: number | undefined): PlanBytes {
  let denseBytes = 0;
  let sparseBitmaskBytes = 0;
  let sparseIndexBytes = 0;
  let assumed = false;
  plans.forEach((plan, i) => {
    const own = layers[i]!.input.bytesPerParam ?? defaultBytesPerParam;
    if (own === undefined) assumed = true;
    const size = own ?? DEFAULT_BYTES_PER_PARAM;
    denseBytes += plan.params * size;
    sparseBitmaskBytes += plan.kept * size + Math.ceil(plan.params / 8);
    sparseIndexBytes += plan.kept * (size + 4);
  });
  const removed = plans.reduce((total, plan) => total + plan.removed, 0);
  const note =
    `Unstructured pruning does not shrink a dense file: the ${removed} removed weights are stored as zeros, ` +
    `so the ${denseBytes} bytes stay ${denseBytes}. Stored sparse they would take ${sparseBitmaskBytes} bytes ` +
    `(kept values + a 1-bit mask) or ${sparseIndexBytes} bytes (kept values + a 4-byte index each); ` +
    `a general-purpose compressor also gains from the zeros.` +
    (assumed ? ` Sizes assume ${DEFAULT_BYTES_PER_PARAM} bytes per parameter where no dtype size was given.` : '');
  return { denseBytes, denseBytesAfter: denseBytes, sparseBitmaskBytes, sparseIndexBytes, note };
}
