// What the browser tests share: the webview bundles built by scripts/build.mjs, one Chromium, the
// page server and the fixtures' analysis reports. Set up once in `before`, torn down in `after`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AnalysisReport } from '../../../server/src/analysis/reportTypes.ts';
import type { PanelArgs, ViewKind } from '../../../webview/src/protocol.ts';
import { fixtureReport } from './fixtureReports.ts';
import { FakeServer } from './fakeServer.ts';
import { startPageServer, type PageServer } from './pageServer.ts';
import type { HostUi, PanelSeeds } from '../../../client/src/webviews/hostApi.ts';
import type { ThemeKind } from './themes.ts';
import { chromiumOrSkip, launchChromium, ViewPage } from './viewPage.ts';

export class Env {
  private browser: Browser | undefined;
  private pages: PageServer | undefined;
  private launchError = '';
  /** tiny-llama step 200 (residuals against 100) and step 300 (against 200) */
  step200!: AnalysisReport;
  step300!: AnalysisReport;

  async setUp(): Promise<void> {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--only=webview'], { encoding: 'utf8' });
    assert.equal(build.status, 0, `webview build failed:\n${build.stderr}`);
    [this.step200, this.step300] = await Promise.all([fixtureReport(200, 100), fixtureReport(300, 200)]);
    this.pages = await startPageServer();
    // Skipped (or failed under CKPT_LENS_REQUIRE_ALL=1) per test when Chromium is missing.
    this.browser = await launchChromium().catch((e: unknown) => {
      this.launchError = e instanceof Error ? e.message : String(e);
      return undefined;
    });
  }

  async tearDown(): Promise<void> {
    await this.browser?.close();
    await this.pages?.close();
  }

  /** A server answering from step 200 (active) and step 300. */
  server(reports: AnalysisReport[] = [this.step200, this.step300]): FakeServer {
    return new FakeServer(reports, this.step200.path);
  }

  /** Opens a view with its real controller on `server`; undefined (and the test skipped) without Chromium. */
  async open<V extends ViewKind>(
    t: TestContext,
    view: V,
    args: PanelArgs[V],
    server: FakeServer,
    opts: { state?: unknown; ui?: HostUi; theme?: ThemeKind; seed?: PanelSeeds[V] } = {},
  ): Promise<ViewPage<V> | undefined> {
    if (!chromiumOrSkip(t)) return undefined;
    assert.ok(this.browser, `Chromium at /usr/bin/chromium did not start: ${this.launchError}`);
    return ViewPage.open(this.browser, this.pages!, view, { state: opts.state, theme: opts.theme, host: { server, args, ui: opts.ui, seed: opts.seed } });
  }

  /** Opens a view with the test playing the host. */
  async openBare<V extends ViewKind>(t: TestContext, view: V, state?: unknown): Promise<ViewPage<V> | undefined> {
    if (!chromiumOrSkip(t)) return undefined;
    assert.ok(this.browser, `Chromium at /usr/bin/chromium did not start: ${this.launchError}`);
    return ViewPage.open(this.browser, this.pages!, view, { state });
  }
}
