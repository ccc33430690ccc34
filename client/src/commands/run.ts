// Running one command of the table: commands that need the server wait while it starts and, when it is
// down, say so with a way to restart it; failures become one error notification naming the command
// (the server's messages name the file, tensor and byte offset), never an unhandled rejection.
import { requestFailure } from '../lsp/serverApi.ts';
import type { CommandContext } from './context.ts';
import { CATEGORY, type CommandSpec } from './table.ts';

export async function runCommand(spec: CommandSpec, ctx: CommandContext, args: readonly unknown[]): Promise<void> {
  const name = `${CATEGORY}: ${spec.title}`;
  if (spec.needsServer && !(await ctx.server.ready())) {
    const button = await ctx.ui.message('error', `${name} needs the Checkpoint Lens language server, which is not running.`, 'Restart Server', 'Show Output');
    if (button === 'Restart Server') await ctx.server.restart();
    else if (button === 'Show Output') ctx.ui.showLog();
    return;
  }
  try {
    await spec.run(ctx, ...args);
  } catch (e) {
    const failure = requestFailure(e);
    if (failure.kind === 'cancelled') return;
    ctx.ui.log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const button = await ctx.ui.message('error', `${name} failed: ${failure.message}`, 'Show Output');
    if (button === 'Show Output') ctx.ui.showLog();
  }
}
