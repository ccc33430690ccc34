// Builds the .vsix with @vscode/vsce: the bundles under dist/ (see .vscodeignore) plus Dawn's native
// WebGPU addon for one platform. esbuild keeps `webgpu` external (a native addon cannot be bundled),
// so the server requires it from node_modules/webgpu at run time; that is why vsce must collect
// production dependencies here (`--no-dependencies` would leave node_modules out entirely), and
// .vscodeignore lets back in only webgpu's loader and binaries. The package is platform-specific
// (`vsce --target`): it carries the one dawn.node of that platform, not all five (130 MB).
//
//   node scripts/e2e/package-vsix.mjs [--target linux-x64] [--out FILE.vsix] [--no-build]
//
// Without --no-build it runs a production build first (minified, no sourcemaps). Writes
// dist-vsix/checkpoint-lens.vsix unless --out says otherwise, and prints the path.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function option(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** vsce's target names; Dawn's folder names differ only on macOS (one universal binary). */
const TARGETS = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-universal', 'darwin-arm64': 'darwin-universal', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64' };
const target = option('--target') ?? `${process.platform}-${process.arch}`;
const dawnDir = TARGETS[target];
if (!dawnDir) {
  console.error(`package-vsix: unknown target ${target} (one of ${Object.keys(TARGETS).join(', ')})`);
  process.exit(2);
}
const out = resolve(option('--out') ?? join(root, 'dist-vsix', `${pkg.name}.vsix`));

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!process.argv.includes('--no-build')) run(['scripts/build.mjs', '--production']);

// .vscodeignore lets in every platform's Dawn binary; this copy lets in the target's only.
const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8').replace('!node_modules/webgpu/dist/**', `!node_modules/webgpu/dist/${dawnDir}/**`);
mkdirSync(dirname(out), { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'ckpt-lens-vsix-'));
const ignoreFile = join(scratch, 'vscodeignore');
writeFileSync(ignoreFile, ignore);
try {
  run([
    join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package',
    '--target', target, '--ignoreFile', ignoreFile, '--out', out,
    // Not published to a marketplace: no repository URL, and the license is package.json's field.
    '--allow-missing-repository', '--skip-license',
  ]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(out);
