// The system Python (Debian's, which has PyTorch; the pyenv `python3` on PATH does not) for
// interoperability tests: skipped where a module is missing, unless CKPT_LENS_REQUIRE_ALL=1 (CI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const PYTHON = '/usr/bin/python3';

const missing = new Map<string, string | undefined>();

/** Why `import module` fails in PYTHON, or undefined when it works. Probed once per module. */
function whyMissing(module: string): string | undefined {
  if (!missing.has(module)) {
    const probe = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
    const detail = (probe.error?.message ?? probe.stderr).trim().split('\n').at(-1);
    missing.set(module, probe.status === 0 ? undefined : `${PYTHON} cannot import ${module} (${detail})`);
  }
  return missing.get(module);
}

/** True when PYTHON can import `module`; otherwise skips the test (false) or, under CKPT_LENS_REQUIRE_ALL=1, fails it. */
export function havePythonModule(t: TestContext, module: string): boolean {
  const reason = whyMissing(module);
  if (reason === undefined) return true;
  if (process.env.CKPT_LENS_REQUIRE_ALL === '1') assert.fail(`${reason}; required because CKPT_LENS_REQUIRE_ALL=1`);
  t.skip(reason);
  return false;
}

/** Runs PYTHON with `args` (a script path or `-c CODE`, then its arguments); fails the test unless it exits 0. Returns stdout. */
export function runPython(...args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const script = args[0] === '-c' ? 'an inline script' : args[0];
  assert.equal(r.status, 0, `${PYTHON} ${script} ${args.slice(args[0] === '-c' ? 2 : 1).join(' ')} failed:\n${r.error?.message ?? r.stderr}`);
  return r.stdout;
}
