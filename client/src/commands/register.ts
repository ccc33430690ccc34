// The command table as VS Code commands.
import * as vscode from 'vscode';
import type { CommandContext } from './context.ts';
import { runCommand } from './run.ts';
import { COMMANDS } from './table.ts';

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return COMMANDS.map((spec) => vscode.commands.registerCommand(spec.id, (...args: unknown[]) => runCommand(spec, ctx, args)));
}
