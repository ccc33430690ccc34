// Hover Markdown from the server links to our commands (`command:checkpointLens.openReport?…`). VS Code
// runs command links only in trusted Markdown; trusting a hover wholesale would also run any other
// command a crafted tensor name could smuggle in, so hovers are trusted for our own commands only.
import { HoverCommand } from '../../../server/src/protocol.ts';

/** The only commands a hover link may run. */
export const TRUSTED_HOVER_COMMANDS: readonly string[] = Object.freeze(Object.values(HoverCommand));

/** What the middleware sees of vscode.MarkdownString (structural, so this is tested without VS Code). */
export interface TrustableMarkdown {
  value: string;
  isTrusted?: boolean | { readonly enabledCommands: readonly string[] };
  supportHtml?: boolean;
}

function isMarkdown(x: unknown): x is TrustableMarkdown {
  return typeof x === 'object' && x !== null && typeof (x as { value?: unknown }).value === 'string' && !('language' in x);
}

/** Sets every Markdown part of a hover's contents to run our commands and nothing else, with no raw HTML. */
export function trustOurCommands(contents: readonly unknown[]): void {
  for (const part of contents) {
    if (!isMarkdown(part)) continue;
    part.isTrusted = { enabledCommands: TRUSTED_HOVER_COMMANDS };
    part.supportHtml = false;
  }
}
