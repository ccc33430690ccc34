// How the CLI reports failure: bad input exits 2 with one line on stderr; anything else is a bug (exit 1).
import { FormatError } from '../formats/types.ts';

/** Bad command-line usage: exit code 2, like bad input. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

function isBadInput(e: unknown): boolean {
  // NoGpuError: --backend webgpu on a machine without an adapter is a matter of the environment, not a bug.
  if (e instanceof FormatError || e instanceof UsageError || (e as Error | null)?.name === 'NoGpuError') return true;
  // Filesystem errors about the user's paths are bad input too.
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EPERM';
}

/** Prints the error as the CLI contract says and returns the exit code. */
export function reportError(e: unknown, debug: boolean): number {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`ckpt-lens: error: ${message.split('\n')[0]}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  if (isBadInput(e)) return EXIT_BAD_INPUT;
  if (!debug) process.stderr.write('ckpt-lens: this is a bug; run again with --debug for the stack trace\n');
  return EXIT_INTERNAL;
}
