// What a person does in VS Code, as Playwright steps on code-server's workbench: the command palette,
// quick picks, Quick Open, hovers, notifications, webviews. Every step waits on what the UI shows
// (an element appearing, a text changing), never on a fixed delay.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** The status bar item's element id: `<publisher>.<name>.<item id>`. */
export const STATUS_ITEM = '[id="checkpoint-lens.checkpoint-lens.checkpointLens.status"]';

export function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly screenshots: string,
  ) {
    mkdirSync(screenshots, { recursive: true });
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private get quickInputBox(): Locator {
    return this.quickInput.locator('.quick-input-box input');
  }

  /** Runs a command from the palette by its full title, as typed by a user. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    await this.quickInputBox.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(`>${title}`);
    await this.row({ label: title }).click();
  }

  /** A quick pick row by its exact label and/or a description containing `description`. */
  private row(item: { label?: string; description?: string }): Locator {
    let row = this.quickInput.locator('.monaco-list-row');
    if (item.label !== undefined) row = row.filter({ has: this.page.locator('.label-name', { hasText: exactly(item.label) }) });
    if (item.description !== undefined) row = row.filter({ has: this.page.locator('.label-description', { hasText: item.description }) });
    return row.first();
  }

  /** Waits for a quick pick titled like `title` and clicks the item. */
  async pick(title: RegExp, item: { label?: string; description?: string }): Promise<void> {
    await this.quickInput.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
    await this.row(item).click();
  }

  /** The label of the highlighted item of the quick pick titled like `title` (what Enter would take). */
  async highlighted(title: RegExp): Promise<string> {
    await this.quickInput.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
    return (await this.quickInput.locator('.monaco-list-row.focused .label-name').first().innerText()).trim();
  }

  /**
   * Types `value` into the input box titled like `title` and accepts it (Enter). code-server's save
   * dialog is such a box (the "simple file dialog"): a path typed there is the file to write.
   */
  async typeAndAccept(title: RegExp, value: string): Promise<void> {
    await this.quickInput.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
    // The save dialog fills in the proposed path and reads its folder after it shows: text typed
    // before that is merged into the proposal, and an Enter while it is busy accepts the proposal.
    // So: wait until it is idle with a value, type, and accept only once it is idle with ours.
    const idleWith = (expected: string | null) => `(() => {
      const widget = document.querySelector('.quick-input-widget');
      const box = widget?.querySelector('.quick-input-box input');
      const busy = widget?.querySelector('.quick-input-progress.active, .quick-input-progress.infinite');
      if (!box || busy) return false;
      return ${expected === null ? "box.value !== ''" : `box.value === ${JSON.stringify(expected)}`};
    })()`;
    await this.page.waitForFunction(idleWith(null), undefined, { timeout: 30_000 });
    for (let attempt = 1; ; attempt++) {
      await this.quickInputBox.fill(value);
      try {
        await this.page.waitForFunction(idleWith(value), undefined, { timeout: 5_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw new Error(`the input box titled ${title} did not keep the typed value: it shows '${await this.quickInputBox.inputValue()}'`, { cause: e });
      }
    }
    await this.quickInputBox.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Opens a workspace file with Quick Open (Ctrl+P): types `typed`, clicks the item. */
  async quickOpen(typed: string, item: { label?: string; description?: string }): Promise<void> {
    await this.page.keyboard.press('Control+P');
    await this.quickInputBox.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(typed);
    await this.row(item).click();
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** The active text editor's line holding `text`. */
  editorLine(text: string): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor .view-line', { hasText: text });
  }

  /** The visible editor hover (VS Code shows one at a time). */
  get hover(): Locator {
    return this.page.locator('.monaco-hover:not(.hidden)').filter({ has: this.page.locator('.hover-contents') }).first();
  }

  /**
   * Hovers `target` until the hover satisfies `done` (statistics are computed in the background
   * after the first hover): between tries the mouse leaves and the hover is waited out, so each try
   * asks the language server again.
   */
  async hoverUntil(target: Locator, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    for (;;) {
      await target.hover();
      await this.hover.waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
      text = await this.hover.innerText();
      if (done(text) || Date.now() > deadline) return text;
      await this.page.mouse.move(0, 0);
      await this.hover.waitFor({ state: 'hidden', timeout: Math.max(1000, deadline - Date.now()) });
    }
  }

  /** A notification toast whose message matches `text`. */
  toast(text: RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-list-item', { has: this.page.locator('.notification-list-item-message', { hasText: text }) });
  }

  /**
   * Records every notification message that appears from now on, with whether it carried a progress
   * bar, so a progress notification that comes and goes between two steps is still seen.
   */
  async recordNotifications(): Promise<() => Promise<Array<{ text: string; progress: boolean }>>> {
    // A string, not a function: tsx's keepNames would wrap named functions in a helper the page lacks.
    await this.page.evaluate(`(() => {
      const seen = [];
      window.__e2eNotifications = seen;
      const scan = () => {
        for (const item of document.querySelectorAll('.notifications-toasts .notification-list-item')) {
          const text = item.querySelector('.notification-list-item-message')?.textContent ?? '';
          // The progress bar is the list row's, beside the item rather than inside it.
          const row = item.closest('.monaco-list-row') ?? item;
          const progress = row.querySelector('.monaco-progress-container.active, .monaco-progress-container.infinite, .monaco-progress-container.discrete') !== null;
          if (text && !seen.some((s) => s.text === text && s.progress === progress)) seen.push({ text, progress });
        }
      };
      new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] });
      scan();
    })()`);
    return () => this.page.evaluate<Array<{ text: string; progress: boolean }>>('window.__e2eNotifications');
  }

  /** For a failure message: what recordNotifications saw (if it ran) and the toasts shown now. */
  async notificationsSeen(): Promise<{ recorded: unknown; shown: string[] }> {
    return {
      recorded: await this.page.evaluate('window.__e2eNotifications ?? null'),
      shown: await this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts(),
    };
  }

  /**
   * The content frame of the visible webview (panel or custom editor). code-server nests it twice:
   * the workbench's iframe.webview hosts VS Code's own page, whose #active-frame holds ours.
   */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
  }

  /** The editor groups' tab bars (the activity bar's items are tabs too). */
  private get editorTabs(): Locator {
    return this.page.locator('.editor-group-container .tabs-container');
  }

  /** The editor tab titled `title` (webview panels and editors alike). */
  tab(title: RegExp): Locator {
    return this.editorTabs.getByRole('tab', { name: title });
  }

  /** Back to an empty editor area and no notifications, for the next scenario. */
  async reset(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.runCommand('View: Close All Editors');
    await this.editorTabs.getByRole('tab').first().waitFor({ state: 'detached' });
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.notifications-toasts .notification-list-item').first().waitFor({ state: 'detached' });
  }

  /** Saves a screenshot of the whole window; returns its path. */
  async screenshot(name: string): Promise<string> {
    const path = join(this.screenshots, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
