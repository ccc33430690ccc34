// One end-to-end session for all scenarios: the .vsix packaged from the current dist/, a scratch
// directory (workspace, code-server's own folders, the analysis cache), code-server with the
// extension installed, and headless Chromium showing the workbench on the workspace. Set up once in
// `before` (about half a minute), torn down in `after`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { installExtension, readTools, startCodeServer, type CodeServer, type ToolsManifest } from '../../scripts/e2e/codeServer.ts';
import { makeWorkspace, type Workspace } from './workspace.ts';
import { STATUS_ITEM, Workbench } from './workbench.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = 'test-artifacts/e2e';
const REQUIRE_ALL = process.env.CKPT_LENS_REQUIRE_ALL === '1';
/** CKPT_LENS_E2E_KEEP=1 keeps the scratch directory (workspace, code-server logs) for a look afterwards. */
const KEEP = process.env.CKPT_LENS_E2E_KEEP === '1';

/** Why the end-to-end tests cannot run here, or null when they can. */
export function e2eUnavailable(): string | null {
  const tools = readTools();
  if ('missing' in tools) return tools.missing;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (Debian's chromium package)`;
  return null;
}

/** True when the scenarios can run; otherwise skips the test with the reason, or fails it under CKPT_LENS_REQUIRE_ALL=1. */
export function e2eOrSkip(t: TestContext): boolean {
  const reason = e2eUnavailable();
  if (reason === null) return true;
  if (REQUIRE_ALL) assert.fail(`${reason}; required because CKPT_LENS_REQUIRE_ALL=1`);
  t.skip(reason);
  return false;
}

/** Workbench settings: nothing that opens on its own, no network, the analysis cache in the scratch dir. */
function userSettings(scratch: string): Record<string, unknown> {
  return {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'files.simpleDialog.enable': true,
    'editor.hover.delay': 200,
    'checkpointLens.cacheDir': join(scratch, 'analysis-cache'),
  };
}

export class E2eSession {
  readonly scratch = mkdtempSync(join(tmpdir(), 'ckpt-lens-e2e-'));
  readonly workspace: Workspace = makeWorkspace(join(this.scratch, 'workspace'));
  tools!: ToolsManifest;
  server!: CodeServer;
  browser!: Browser;
  workbench!: Workbench;
  /** page errors and failed requests, for failure messages */
  readonly pageLog: string[] = [];

  /** Packages, installs and starts everything, and waits until the extension shows its status. */
  async setUp(): Promise<void> {
    const tools = readTools();
    if ('missing' in tools) throw new Error(tools.missing);
    this.tools = tools.tools;
    const vsix = join(this.scratch, 'checkpoint-lens.vsix');
    const pack = spawnSync(process.execPath, ['scripts/e2e/package-vsix.mjs', '--no-build', '--out', vsix], { encoding: 'utf8' });
    assert.equal(pack.status, 0, `packaging the .vsix failed:\n${pack.stdout}${pack.stderr}`);
    const home = join(this.scratch, 'code-server');
    const options = { tools: this.tools, home, vsix, settings: userSettings(this.scratch) };
    installExtension(options);
    this.server = await startCodeServer(options);
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    const page = await this.browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (e) => this.pageLog.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') this.pageLog.push(`console: ${m.text().slice(0, 500)}`);
    });
    this.workbench = new Workbench(page, SCREENSHOTS);
    await page.goto(this.server.folderUrl(this.workspace.dir));
    await page.locator('.monaco-workbench').waitFor();
    // The extension activates on the workspace's checkpoints; its status item appears with the server.
    await page.locator(STATUS_ITEM).waitFor();
  }

  /** What went wrong in the page and in code-server, for an assertion message. */
  diagnostics(): string {
    return [`--- page (${this.pageLog.length} errors)`, ...this.pageLog.slice(-30), '--- code-server', this.server?.output().slice(-4000) ?? ''].join('\n');
  }

  async tearDown(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.server?.stop();
    if (KEEP) console.log(`e2e scratch kept: ${this.scratch}`);
    else rmSync(this.scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}
