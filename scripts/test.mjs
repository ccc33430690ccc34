// Runs every test under test/ with node's built-in runner (TypeScript through tsx).
// `node scripts/test.mjs [filter...]` runs only the files whose path contains a filter.
// The closing summary (tests / pass / fail / skipped) is node's own: one for the unit and
// integration tests, then one for the end-to-end tests.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = find('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The bundle is what the CLI and server tests run: make sure it is current.
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
// The end-to-end tests (test/e2e: code-server + Chromium, minutes, heavy) run after the others, on
// their own, so they never compete with them for the cores. Without the tools of
// scripts/e2e/install-tools.mjs they skip with the reason (fail under CKPT_LENS_REQUIRE_ALL=1).
const isE2e = (f) => f.split(/[\\/]/).includes('e2e');
const runs = [files.filter((f) => !isE2e(f)), files.filter(isE2e)].filter((group) => group.length > 0);
//
// A hang must fail, never stall CI: each test gets TEST_TIMEOUT_MS (the slowest takes about a minute
// here), a file's process exits when its tests are done even if a handle is left open
// (--test-force-exit), and each pass as a whole is killed, with every process it started (its own
// process group: servers, workers, browsers), after RUN_LIMIT_MS.
const MINUTE = 60_000;
const TEST_TIMEOUT_MS = 5 * MINUTE;
const RUN_LIMIT_MS = { tests: 40 * MINUTE, e2e: 20 * MINUTE };

function runPass(pass, group) {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-force-exit', ...group];
  const child = spawn(process.execPath, args, { stdio: 'inherit', detached: process.platform !== 'win32' });
  const killAll = (signal) => {
    try {
      if (process.platform === 'win32') child.kill(signal);
      else process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`\ntest: the ${pass} pass ran past ${RUN_LIMIT_MS[pass] / MINUTE} minutes and was stopped; the file after the last one reported above hangs.`);
    killAll('SIGKILL');
  }, RUN_LIMIT_MS[pass]);
  // A detached group does not get the terminal's Ctrl-C: pass it on.
  const interrupt = () => killAll('SIGINT');
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      // Whatever the runner left behind in its group goes with it.
      killAll('SIGKILL');
      resolve(timedOut ? 1 : (code ?? 1));
    });
  });
}

let status = 0;
for (const group of runs) {
  const code = await runPass(isE2e(group[0]) ? 'e2e' : 'tests', group);
  if (code !== 0) status = code;
}
process.exit(status);
