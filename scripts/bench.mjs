// `npm run bench [-- NAME ...]`: runs the benchmarks (all, or those named), each printing its figures
// and the machine it ran on. Speed and memory goals live here, never in timed tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** name -> TypeScript module under scripts/bench/ (run through tsx). */
const BENCHES = {
  inspect: 'scripts/bench/inspectMemory.ts',
  analyze: 'scripts/bench/analyzeMemory.ts',
  compress: 'scripts/bench/compressSpeed.ts',
  kernels: 'scripts/bench/kernels.ts',
  plan: 'scripts/bench/planSpeed.ts',
  hover: 'scripts/bench/hover.ts',
  entropy: 'scripts/bench/entropy.ts',
};

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
// The CLI benchmarks run the bundle: build it first.
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const [name, file] of Object.entries(BENCHES)) {
  if (names.length > 0 && !names.includes(name)) continue;
  if (!existsSync(file)) continue;
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...flags], { stdio: 'inherit', env: { EGL_PLATFORM: 'surfaceless', ...process.env } });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
