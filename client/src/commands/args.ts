// What a command was invoked with, whoever invoked it: nothing (the command palette), an explorer
// resource and the multi-selection (context menus), a `{ checkpoint, tensor }` object (hover links,
// webviews), or a path string (other extensions, keybindings).
import { fileURLToPath } from 'node:url';
import { TENSOR_LISTING_SCHEME } from '../../../server/src/protocol.ts';

export interface CommandTarget {
  checkpoint?: string;
  tensor?: string;
  /** every path selected in the explorer (two for Compare Checkpoints), the clicked one first */
  selection: string[];
}

/** A vscode.Uri as far as commands care (fsPath is a getter on its prototype). */
interface UriLike {
  scheme: string;
  path: string;
  fsPath: string;
}

function isUri(x: unknown): x is UriLike {
  return typeof x === 'object' && x !== null && typeof (x as UriLike).scheme === 'string' && typeof (x as UriLike).fsPath === 'string';
}

function pathOf(x: unknown): string | undefined {
  if (isUri(x)) {
    if (x.scheme === 'file') return x.fsPath;
    // A tensor listing `checkpoint-lens:/abs/path` names its checkpoint by path.
    if (x.scheme === TENSOR_LISTING_SCHEME) return x.path;
    return undefined;
  }
  if (typeof x === 'string' && x.length > 0) return x.startsWith('file:') ? fileURLToPath(x) : x;
  return undefined;
}

export function targetFromArgs(args: readonly unknown[]): CommandTarget {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null && !isUri(first)) {
    const o = first as { checkpoint?: unknown; tensor?: unknown };
    const checkpoint = pathOf(o.checkpoint);
    const tensor = typeof o.tensor === 'string' && o.tensor.length > 0 ? o.tensor : undefined;
    return { ...(checkpoint !== undefined && { checkpoint }), ...(tensor !== undefined && { tensor }), selection: checkpoint ? [checkpoint] : [] };
  }
  const checkpoint = pathOf(first);
  const selection = Array.isArray(second) ? second.map(pathOf).filter((p): p is string => p !== undefined) : [];
  if (checkpoint !== undefined && !selection.includes(checkpoint)) selection.unshift(checkpoint);
  return { ...(checkpoint !== undefined && { checkpoint }), selection };
}
