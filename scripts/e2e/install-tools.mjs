// Installs the end-to-end test tools into .tools/ (gitignored), apart from the project's own
// dependencies: code-server (VS Code in the browser, from the npm registry) and the Node 24 it needs
// (the `node-<platform>-<arch>` package, a plain binary plus its headers). No global installs, no
// downloads outside the npm registry. Idempotent: .tools/e2e-tools.json records a finished install,
// and a second run with the same versions does nothing.
//
//   node scripts/e2e/install-tools.mjs [--force]
//
// Why install scripts are skipped and redone by hand: code-server's postinstall runs
// `npm install` in lib/vscode with every native addon its allow-list names, among them kerberos
// (needs the GSSAPI headers, only for Kerberos proxy authentication), node-pty (the terminal) and
// sqlite3; all must be compiled here because prebuilt binaries come from GitHub, which is out of
// reach. The server needs only two of them: the log writer (@vscode/spdlog) and the extension host's
// watchdog (@vscode/native-watchdog); file watching uses @parcel/watcher's prebuilt package. Those
// two are compiled against Node 24 with the headers shipped in node-<platform>-<arch>.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TOOLS_DIR, TOOLS_MANIFEST, CODE_SERVER_SPEC, NODE_SPEC, nodePackage } from './toolPaths.mjs';

const NATIVE_ADDONS = ['@vscode/spdlog', '@vscode/native-watchdog'];

const force = process.argv.includes('--force');
const nodeDir = join(TOOLS_DIR, 'node_modules', nodePackage());
const nodeBin = join(nodeDir, 'bin', 'node');
const codeServerDir = join(TOOLS_DIR, 'node_modules', 'code-server');
const vscodeDir = join(codeServerDir, 'lib', 'vscode');
const entry = join(codeServerDir, 'out', 'node', 'entry.js');

function run(cmd, args, opts = {}) {
  console.log(`install-tools: ${cmd} ${args.join(' ')}${opts.cwd ? `  (in ${opts.cwd})` : ''}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) {
    console.error(`install-tools: failed (${r.error?.message ?? `exit ${r.status}`}): ${cmd} ${args.join(' ')}`);
    process.exit(1);
  }
}

/** npm under Node 24 (first on PATH), so lifecycle tools and node-gyp see the runtime code-server uses. */
function node24Env() {
  return { ...process.env, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeDir, npm_config_update_notifier: 'false' };
}

function wanted() {
  return { codeServerSpec: CODE_SERVER_SPEC, nodeSpec: `${nodePackage()}@${NODE_SPEC}` };
}

function alreadyInstalled() {
  if (force || !existsSync(TOOLS_MANIFEST)) return false;
  try {
    const m = JSON.parse(readFileSync(TOOLS_MANIFEST, 'utf8'));
    const w = wanted();
    return m.codeServerSpec === w.codeServerSpec && m.nodeSpec === w.nodeSpec && existsSync(m.node) && existsSync(m.codeServerEntry);
  } catch {
    return false;
  }
}

/** `entry.js --version` under Node 24: proves the pair starts. Its own config file goes to a throwaway place. */
function codeServerVersion() {
  const scratch = join(TOOLS_DIR, 'version-check');
  const r = spawnSync(nodeBin, [entry, '--version', '--config', join(scratch, 'config.yaml'), '--user-data-dir', join(scratch, 'data')], {
    encoding: 'utf8',
    env: { ...process.env, XDG_DATA_HOME: scratch, XDG_CONFIG_HOME: scratch },
  });
  rmSync(scratch, { recursive: true, force: true });
  const m = /^(\d+\.\d+\.\d+) \S+ with Code (\d+\.\d+\.\d+)/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) {
    console.error(`install-tools: code-server does not start under ${nodeBin}:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return { codeServer: m[1], vscode: m[2] };
}

if (alreadyInstalled()) {
  console.log(`install-tools: up to date (${TOOLS_MANIFEST})`);
  process.exit(0);
}
if (process.platform !== 'linux' && process.platform !== 'darwin') {
  console.error(`install-tools: code-server runs on Linux and macOS only, not ${process.platform}`);
  process.exit(1);
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quiet = ['--no-audit', '--no-fund', '--ignore-scripts'];
rmSync(TOOLS_MANIFEST, { force: true });
run(npm, ['install', '--prefix', TOOLS_DIR, ...quiet, `code-server@${CODE_SERVER_SPEC}`, `${nodePackage()}@${NODE_SPEC}`]);
// code-server's postinstall, less the addons the tests never load (see the header).
run(npm, ['install', '--omit=dev', ...quiet], { cwd: vscodeDir, env: node24Env() });
run(npm, ['install', '--omit=dev', ...quiet], { cwd: join(vscodeDir, 'extensions'), env: node24Env() });
run(npm, ['rebuild', ...NATIVE_ADDONS], { cwd: vscodeDir, env: node24Env() });

const versions = codeServerVersion();
const manifest = { ...wanted(), ...versions, node: resolve(nodeBin), nodeVersion: spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim(), codeServerEntry: resolve(entry) };
writeFileSync(TOOLS_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`install-tools: code-server ${versions.codeServer} (VS Code ${versions.vscode}) on Node ${manifest.nodeVersion}, in ${TOOLS_DIR}`);
