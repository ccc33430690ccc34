// Checks what a webview posts before the host acts on it: a webview renders data from checkpoint
// files, so its messages are validated like any other input and rebuilt with only the known fields.
import { CRITERIA, LINKED_VIEWS, STRATEGIES, type LinkedView, type PanelArgs, type PlanParams, type ToHost, type ViewKind, type XScale } from '../../../webview/src/protocol.ts';

type Raw = Record<string, unknown>;

const isObject = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length < 4096;
const isId = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isRatio = (x: unknown): x is number => typeof x === 'number' && x >= 0 && x <= 1;
const X_SCALES: readonly XScale[] = ['auto', 'linear', 'log'];

export function planParams(x: unknown): PlanParams | undefined {
  if (!isObject(x) || !isRatio(x.target)) return undefined;
  if (!CRITERIA.includes(x.criterion as never) || !STRATEGIES.includes(x.strategy as never) || !isObject(x.overrides)) return undefined;
  const overrides: Record<string, number> = {};
  for (const [layer, r] of Object.entries(x.overrides)) {
    if (!isRatio(r)) return undefined;
    overrides[layer] = r;
  }
  if (x.structured !== undefined && typeof x.structured !== 'boolean') return undefined;
  const params: PlanParams = { target: x.target, criterion: x.criterion as PlanParams['criterion'], strategy: x.strategy as PlanParams['strategy'], overrides };
  if (x.structured !== undefined) params.structured = x.structured;
  return params;
}

/** A positive, finite outlier factor (null: the setting's). */
const isK = (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isFinite(x) && x > 0 && x <= 1e6);

/** The message as the view's protocol defines it, or undefined for anything else. */
export function parseWebviewMessage<V extends ViewKind>(view: V, raw: unknown): ToHost<V> | undefined {
  return parse(view, raw) as ToHost<V> | undefined;
}

function parse(view: ViewKind, m: unknown): ToHost<ViewKind> | undefined {
  if (!isObject(m)) return undefined;
  if (m.type === 'ready') return { type: 'ready' };
  switch (view) {
    case 'report':
      if (m.type === 'report/select' && isString(m.tensor)) return { type: 'report/select', tensor: m.tensor };
      if (m.type === 'report/open' && LINKED_VIEWS.includes(m.view as LinkedView) && isString(m.tensor)) return { type: 'report/open', view: m.view as LinkedView, tensor: m.tensor };
      return undefined;
    case 'histograms':
      if (m.type === 'requestTensors') return { type: 'requestTensors' };
      if (m.type === 'histograms/request' && isId(m.requestId) && isString(m.tensor) && (m.compareWith === null || isString(m.compareWith)) && X_SCALES.includes(m.xScale as XScale)) {
        return { type: 'histograms/request', requestId: m.requestId, tensor: m.tensor, compareWith: m.compareWith, xScale: m.xScale as XScale };
      }
      return undefined;
    case 'zeroPoint':
      if (m.type === 'requestTensors') return { type: 'requestTensors' };
      if (m.type === 'zeroPoint/request' && isId(m.requestId) && isString(m.tensor)) return { type: 'zeroPoint/request', requestId: m.requestId, tensor: m.tensor };
      return undefined;
    case 'pruning': {
      const params = planParams(m.params);
      if (!params) return undefined;
      if (m.type === 'pruning/plan' && isId(m.requestId)) return { type: 'pruning/plan', requestId: m.requestId, params };
      if (m.type === 'pruning/apply') return { type: 'pruning/apply', params };
      if (m.type === 'pruning/export') return { type: 'pruning/export', params };
      return undefined;
    }
    case 'outliers':
      if (m.type === 'requestTensors') return { type: 'requestTensors' };
      if (m.type === 'outliers/request' && isId(m.requestId) && isString(m.tensor) && isK(m.k)) return { type: 'outliers/request', requestId: m.requestId, tensor: m.tensor, k: m.k };
      return undefined;
    case 'compression':
      // The report only shows: `ready` (handled above) is all it sends.
      return undefined;
  }
}

/** A panel's arguments from the state its webview saved (the serializer's input), or {} when unusable. */
export function restoredArgs<V extends ViewKind>(view: V, state: unknown): PanelArgs[V] {
  if (!isObject(state) || state.view !== view || !isObject(state.args)) return {} as PanelArgs[V];
  const keys: Record<ViewKind, readonly string[]> = {
    report: ['checkpoint', 'tensor', 'reference'],
    histograms: ['checkpoint', 'tensor', 'compareWith'],
    zeroPoint: ['checkpoint', 'tensor'],
    pruning: ['checkpoint'],
    outliers: ['checkpoint', 'tensor'],
    compression: ['archive'],
  };
  const args: Record<string, string> = {};
  for (const k of keys[view]) if (isString(state.args[k])) args[k] = state.args[k];
  return args as PanelArgs[V];
}
