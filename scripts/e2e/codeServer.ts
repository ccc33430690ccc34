// Starts code-server (VS Code in the browser) for the end-to-end tests: Node 24 and code-server from
// .tools/ (scripts/e2e/install-tools.mjs), on 127.0.0.1 at a free port, without authentication,
// telemetry or workspace trust, with its own user-data, extensions, config and XDG folders under one
// scratch directory (nothing of the machine's own VS Code or code-server is read or written), and
// the packaged extension installed first with --install-extension.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TOOLS_MANIFEST } from './toolPaths.mjs';

export interface ToolsManifest {
  node: string;
  nodeVersion: string;
  codeServer: string;
  vscode: string;
  codeServerEntry: string;
}

/** The installed tools, or why they cannot be used. */
export function readTools(): { tools: ToolsManifest } | { missing: string } {
  if (!existsSync(TOOLS_MANIFEST)) return { missing: `code-server is not installed (no ${TOOLS_MANIFEST}; run node scripts/e2e/install-tools.mjs)` };
  const tools = JSON.parse(readFileSync(TOOLS_MANIFEST, 'utf8')) as ToolsManifest;
  for (const p of [tools.node, tools.codeServerEntry]) if (!existsSync(p)) return { missing: `${p} is missing (run node scripts/e2e/install-tools.mjs --force)` };
  return { tools };
}

export interface CodeServerOptions {
  tools: ToolsManifest;
  /** scratch directory holding user data, extensions, config and logs */
  home: string;
  /** the .vsix installed before the server starts */
  vsix: string;
  /** user settings.json */
  settings: Record<string, unknown>;
  /** echo code-server's output lines here (for the test log) */
  log?: (line: string) => void;
}

export interface CodeServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** the URL opening `folder` as the workspace */
  folderUrl(folder: string): string;
  /** what code-server printed, for failure messages */
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function dirs(home: string) {
  const d = { userData: join(home, 'user-data'), extensions: join(home, 'extensions'), xdg: join(home, 'xdg'), tmp: join(home, 't'), config: join(home, 'config.yaml') };
  for (const p of [d.userData, d.extensions, d.xdg, d.tmp]) mkdirSync(p, { recursive: true });
  return d;
}

function commonArgs(d: ReturnType<typeof dirs>): string[] {
  return ['--config', d.config, '--user-data-dir', d.userData, '--extensions-dir', d.extensions, '--disable-telemetry'];
}

function env(d: ReturnType<typeof dirs>): NodeJS.ProcessEnv {
  // code-server keeps state in XDG folders beyond --user-data-dir; VSCODE_IPC_HOOK_CLI would make it a remote CLI.
  const e: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: d.xdg, XDG_CONFIG_HOME: d.xdg, XDG_CACHE_HOME: d.xdg };
  // Its IPC sockets (vscode-ipc-<uuid>.sock) go to the temp dir and outlive a killed server: keep them
  // in the scratch dir, unless that path is too long for a Unix socket (108 bytes with the name).
  if (d.tmp.length <= 60) e.TMPDIR = d.tmp;
  delete e.VSCODE_IPC_HOOK_CLI;
  return e;
}

/** Installs the .vsix into the scratch extensions folder (what a user does with "Install from VSIX"). */
export function installExtension(opts: CodeServerOptions): void {
  const d = dirs(opts.home);
  const r = spawnSync(opts.tools.node, [opts.tools.codeServerEntry, ...commonArgs(d), '--install-extension', opts.vsix], { encoding: 'utf8', env: env(d), timeout: 120_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/was successfully installed/.test(out)) throw new Error(`code-server --install-extension ${opts.vsix} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
}

/** Starts code-server; resolves once it listens (its "HTTP server listening" line), rejects if it exits first. */
export async function startCodeServer(opts: CodeServerOptions, timeoutMs = 60_000): Promise<CodeServer> {
  const d = dirs(opts.home);
  mkdirSync(join(d.userData, 'User'), { recursive: true });
  writeFileSync(join(d.userData, 'User', 'settings.json'), JSON.stringify(opts.settings, null, 2));
  const port = await freePort();
  const args = [opts.tools.codeServerEntry, ...commonArgs(d), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-workspace-trust', '--disable-update-check', '--disable-getting-started-override'];
  // Its own process group, so stop() ends code-server with the extension hosts and language servers it started.
  const child: ChildProcess = spawn(opts.tools.node, args, { env: env(d), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    if (output.length > 200_000) output = output.slice(-100_000);
    if (opts.log) for (const line of text.split('\n')) if (line.trim()) opts.log(line);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`code-server did not listen within ${timeoutMs / 1000} s`), timeoutMs);
    const watch = () => {
      if (/HTTP server listening on/.test(output)) done();
    };
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off('data', watch);
      child.off('exit', onExit);
      resolve();
    };
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${why}:\n${output}`));
    };
    const onExit = (code: number | null) => fail(`code-server exited (${code}) before listening`);
    child.stdout!.on('data', watch);
    child.once('exit', onExit);
    watch();
  }).catch(async (e: unknown) => {
    killGroup(child, 'SIGKILL');
    await exited;
    throw e;
  });

  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    folderUrl: (folder) => `${url}?folder=${encodeURIComponent(folder)}`,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      // The extension host and language server may outlive code-server's own exit by a moment.
      killGroup(child, 'SIGKILL');
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}
