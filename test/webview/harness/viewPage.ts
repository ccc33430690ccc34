// One webview page in headless Chromium with a VS Code stand-in: a fake acquireVsCodeApi records
// what the webview posts and keeps its state, and a host loop runs the real host code (message
// validation, the view's controller, the converters) against a FakeServer. Everything that would
// be a problem in VS Code is collected: CSP violations, console errors, uncaught exceptions and
// requests leaving the page's origin.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createController } from '../../../client/src/webviews/controllers/create.ts';
import type { HostUi, PanelSeeds } from '../../../client/src/webviews/hostApi.ts';
import { parseWebviewMessage } from '../../../client/src/webviews/messages.ts';
import type { PanelArgs, ToHost, ToWebview, ViewKind } from '../../../webview/src/protocol.ts';
import type { FakeServer } from './fakeServer.ts';
import type { PageServer } from './pageServer.ts';
import { THEMES, type ThemeKind } from './themes.ts';

export const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/webview';

/** Chromium or a skip; with CKPT_LENS_REQUIRE_ALL=1 a missing Chromium fails. */
export function chromiumOrSkip(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  assert.notEqual(process.env.CKPT_LENS_REQUIRE_ALL, '1', `${CHROMIUM} is missing and CKPT_LENS_REQUIRE_ALL=1`);
  t.skip(`no Chromium at ${CHROMIUM} (Debian's chromium package runs the webview tests)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Typed arrays cannot cross Playwright's evaluate as such: tagged here, rebuilt in the page. */
type Encoded = { __typed: string; values: number[] } | Encoded[] | { [k: string]: Encoded } | string | number | boolean | null;

function encode(x: unknown): Encoded {
  if (ArrayBuffer.isView(x)) return { __typed: x.constructor.name, values: Array.from(x as unknown as ArrayLike<number>) };
  if (Array.isArray(x)) return x.map(encode);
  if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, encode(v)]));
  return x as Encoded;
}

/**
 * Runs in the page before any of its scripts (CDP injects it, so the CSP does not apply to it).
 * Plain JavaScript text: tsx would wrap a TypeScript function's inner names in a helper the page lacks.
 */
function fakeVsCode(initialState: unknown, theme: ThemeKind): string {
  return `(() => {
  const initialState = ${JSON.stringify(initialState)};
  const theme = ${JSON.stringify(THEMES[theme])};
  // As VS Code does: the theme's variables on <html> (once it exists), its kind as the body's class.
  const applyVars = () => { for (const [k, v] of Object.entries(theme.vars)) document.documentElement.style.setProperty(k, v); };
  if (document.documentElement) applyVars();
  else new MutationObserver((_, o) => { if (document.documentElement) { o.disconnect(); applyVars(); } }).observe(document, { childList: true });
  document.addEventListener('DOMContentLoaded', () => document.body.classList.add(theme.bodyClass));
  const posted = [];
  const problems = [];
  window.__posted = posted;
  window.__problems = problems;
  window.__state = initialState;
  document.addEventListener('securitypolicyviolation', (e) => problems.push('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline code')));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi was called twice');
    acquired = true;
    return {
      // VS Code structured-clones messages: anything that cannot be cloned fails here as there.
      postMessage(m) {
        const copy = structuredClone(m);
        posted.push(copy);
        if (window.__toHost) window.__toHost(copy);
      },
      getState: () => window.__state,
      setState: (s) => (window.__state = structuredClone(s)),
    };
  };
  const decode = (x) => {
    if (Array.isArray(x)) return x.map(decode);
    if (typeof x === 'object' && x !== null) {
      if (typeof x.__typed === 'string') return new globalThis[x.__typed](x.values);
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, decode(v)]));
    }
    return x;
  };
  window.__decode = decode;
})();`;
}

export const noUi: HostUi = {
  pickSaveLocation: async () => undefined,
  writeFile: async () => assert.fail('unexpected writeFile'),
  withProgress: (_title, task) => task(new AbortController().signal, () => undefined),
  info: () => undefined,
  openView: () => undefined,
};

export interface OpenOptions<V extends ViewKind> {
  /** what getState returns at load (a restored panel) */
  state?: unknown;
  /** default dark */
  theme?: ThemeKind;
  /** the host side: the view's real controller on this server; absent: the test plays the host */
  host?: { server: FakeServer; args: PanelArgs[V]; ui?: HostUi; seed?: PanelSeeds[V] };
}

export class ViewPage<V extends ViewKind> {
  readonly problems: string[] = [];
  /** host → webview messages sent so far */
  readonly sent: Array<ToWebview<V>> = [];
  private readonly abort = new AbortController();
  /** host work in flight (handled concurrently, as VS Code's message events are) */
  private readonly hostWork = new Set<Promise<unknown>>();

  private constructor(
    readonly view: V,
    readonly page: Page,
  ) {}

  static async open<V extends ViewKind>(browser: Browser, server: PageServer, view: V, opts: OpenOptions<V> = {}): Promise<ViewPage<V>> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const vp = new ViewPage(view, page);
    page.on('console', (m) => {
      if (m.type() === 'error') vp.problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => vp.problems.push(`uncaught: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(server.origin) && !r.url().startsWith('data:')) vp.problems.push(`network request: ${r.url()}`);
    });
    if (opts.host) {
      const { server: fake, args, ui, seed } = opts.host;
      const controller = createController(view, { server: fake, ui: ui ?? noUi, signal: vp.abort.signal, post: (m) => void vp.send(m) }, args, seed);
      await page.exposeFunction('__toHost', (raw: unknown) => {
        const m = parseWebviewMessage(view, raw);
        if (!m) vp.problems.push(`the host rejected a message: ${JSON.stringify(raw)}`);
        else {
          const work = controller.handle(m);
          vp.hostWork.add(work);
          void work.finally(() => vp.hostWork.delete(work));
        }
      });
    }
    await page.addInitScript({ content: fakeVsCode(opts.state ?? null, opts.theme ?? 'dark') });
    page.setDefaultTimeout(15_000);
    await page.goto(server.url(view));
    await vp.waitForPosted('ready');
    return vp;
  }

  /** host → webview, as VS Code delivers it: a message event on the window. */
  async send(m: ToWebview<V>): Promise<void> {
    this.sent.push(m);
    if (this.abort.signal.aborted) return;
    await this.page.evaluate((e) => {
      const w = window as unknown as { __decode(x: unknown): unknown };
      window.postMessage(w.__decode(e), '*');
    }, encode(m) as unknown);
  }

  async posted(): Promise<Array<ToHost<V>>> {
    return this.page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted) as Promise<Array<ToHost<V>>>;
  }

  /** The first message of `type` the webview posted at index `from` or later (waits for it). */
  async waitForPosted<T extends ToHost<V>['type']>(type: T, from = 0): Promise<{ message: Extract<ToHost<V>, { type: T }>; index: number }> {
    const handle = await this.page.waitForFunction(
      ([t, f]) => {
        const posted = (window as unknown as { __posted: Array<{ type: string }> }).__posted;
        const i = posted.findIndex((m, j) => j >= f && m.type === t);
        return i >= 0 ? { message: posted[i], index: i } : null;
      },
      [type, from] as const,
    );
    return (await handle.jsonValue()) as { message: Extract<ToHost<V>, { type: T }>; index: number };
  }

  async state(): Promise<unknown> {
    return this.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  }

  /** CSP violations and the like, seen by the page or by Playwright. */
  async allProblems(): Promise<string[]> {
    const inPage = await this.page.evaluate(() => (window as unknown as { __problems: string[] }).__problems);
    return [...inPage, ...this.problems];
  }

  /** Waits for a chart to render and returns its trace count and Plotly's data per trace. */
  async chart(testid: string, traces: number): Promise<Array<{ name: string; points: number; y: number[] }>> {
    const sel = `[data-testid="${testid}"]`;
    await this.page.waitForFunction(
      ([s, n]) => {
        const el = document.querySelector(s);
        return el !== null && el.querySelector('.main-svg') !== null && el.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length === n;
      },
      [sel, traces] as const,
    );
    return this.page.evaluate((s) => {
      const el = document.querySelector(s) as unknown as { data: Array<{ name: string; y: ArrayLike<number> }> };
      return el.data.map((t) => ({ name: t.name, points: t.y.length, y: Array.from(t.y) }));
    }, sel);
  }

  /** Waits for a chart with `traces` traces in Plotly's data and returns them (x, y and z as arrays). */
  async plotData<X = number>(testid: string, traces: number): Promise<Array<{ name?: string; x: X[]; y: number[]; z?: number[][] }>> {
    const sel = `[data-testid="${testid}"]`;
    await this.page.waitForFunction(
      ([s, n]) => {
        const el = document.querySelector(s) as unknown as { data?: unknown[]; querySelector(q: string): unknown } | null;
        return el !== null && el.querySelector('.main-svg') !== null && el.data?.length === n;
      },
      [sel, traces] as const,
    );
    return this.page.evaluate((s) => {
      const el = document.querySelector(s) as unknown as { data: Array<{ name?: string; x?: ArrayLike<X>; y?: ArrayLike<number>; z?: Array<ArrayLike<number>> }> };
      return el.data.map((t) => ({ name: t.name, x: Array.from(t.x ?? []), y: Array.from(t.y ?? []), ...(t.z ? { z: t.z.map((row) => Array.from(row)) } : {}) }));
    }, sel);
  }

  /** Switches the theme as VS Code does (variables and body class together). */
  async setTheme(kind: ThemeKind): Promise<void> {
    await this.page.evaluate((t) => {
      for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
      document.body.classList.add(t.bodyClass);
    }, THEMES[kind]);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  /** Lets the host finish what it started, then closes the page. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.hostWork]);
    this.abort.abort();
    await this.page.close();
  }
}
