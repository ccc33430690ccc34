// Pieces every controller uses: resolving the checkpoint, busy/progress lines, error reporting,
// and the tensor names for pickers.
import { LayerReportRequest, ListCheckpoints } from '../../../../server/src/protocol.ts';
import type { Busy, CheckpointRef, ErrorMessage, ViewKind } from '../../../../webview/src/protocol.ts';
import { checkpointRef, labelOfPath } from '../convert.ts';
import type { ControllerContext, ProgressFn } from '../hostApi.ts';

/** JSON-RPC's RequestCancelled. */
const REQUEST_CANCELLED = -32800;

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isCancellation(e: unknown): boolean {
  return (e as { code?: unknown })?.code === REQUEST_CANCELLED || (e as { name?: unknown })?.name === 'AbortError';
}

type CommonContext = ControllerContext<ViewKind> & { post(m: Busy | ErrorMessage): void };

function common<V extends ViewKind>(ctx: ControllerContext<V>): CommonContext {
  return ctx as unknown as CommonContext;
}

/** Runs `fn`; a failure (other than the panel closing) is shown in the webview. */
export async function reporting<V extends ViewKind>(ctx: ControllerContext<V>, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!isCancellation(e) && !ctx.signal.aborted) common(ctx).post({ type: 'error', message: errorText(e) });
  }
}

/** Shows `label` (then the server's progress) while `fn` runs. */
export async function busy<V extends ViewKind, T>(ctx: ControllerContext<V>, label: string, fn: (progress: ProgressFn) => Promise<T>): Promise<T> {
  const post = (message: string | null, percentage: number | null) => common(ctx).post({ type: 'busy', message, percentage });
  post(label, null);
  try {
    return await fn((message, percentage) => post(message ? `${label} ${message}` : label, percentage));
  } finally {
    post(null, null);
  }
}

/** The checkpoint a panel shows (the active one when none was named) with its display label. */
export async function resolveCheckpoint<V extends ViewKind>(ctx: ControllerContext<V>, path: string | undefined): Promise<{ checkpoint: CheckpointRef; all: CheckpointRef[] }> {
  const list = await ctx.server.request(ListCheckpoints, {}, { signal: ctx.signal });
  const all = list.checkpoints.filter((c) => c.error === null && c.kind !== 'ckpz').map(checkpointRef);
  const wanted = path ?? list.active;
  if (wanted === null) throw new Error('No checkpoint is active: open a folder with checkpoints, or select one with "Checkpoint Lens: Select Active Checkpoint".');
  const known = list.checkpoints.find((c) => c.path === wanted);
  return { checkpoint: known ? checkpointRef(known) : { path: wanted, label: labelOfPath(wanted) }, all };
}

/** Every tensor name of a checkpoint, in layer order (needs the checkpoint's analysis, cached by the server). */
export async function tensorNames<V extends ViewKind>(ctx: ControllerContext<V>, checkpoint: string): Promise<string[]> {
  const r = await busy(ctx, 'Listing tensors…', (progress) => ctx.server.request(LayerReportRequest, { checkpoint }, { progress, signal: ctx.signal }));
  return r.layers.flatMap((l) => l.tensors);
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
