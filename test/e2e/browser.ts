/**
 * Headless Chromium for the browser tests: the Debian `chromium` package
 * driven by playwright-core (no browser download). When it is missing the
 * suites skip and say so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

/** Where the Debian package installs Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export const skipReason: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `${CHROMIUM_PATH} not found: the browser (e2e) tests are skipped. Install it with \`apt-get install chromium\` ` +
    '(.ci/run does) or point CHROMIUM_PATH at a Chromium binary.';

if (skipReason) console.warn(`\n⚠ ${skipReason}\n`);

/** Flags for a quiet, sandbox-less headless run in containers and CI. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots of the browser tests go here (gitignored). */
export const RESULTS_DIR = join(process.cwd(), 'test-results', 'e2e');

/** How long the tests wait for something to show up in a page. */
export const UI_TIMEOUT_MS = 10_000;

/** Starts headless Chromium, with `extraArgs` after the defaults (e.g. fake media devices). */
export function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Saves a screenshot under test-results/e2e/ (or at `path`) and returns its path. */
export async function screenshot(page: Page, name: string, path = join(RESULTS_DIR, `${name}.png`)): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
  return path;
}

/** One tab of the demo page in its own browser context (own storage, like a separate browser). */
export interface Tab {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught page errors, for failure messages. */
  readonly errors: string[];
}

/** Screen sizes the layout is tested at: a common laptop and a phone. */
export const VIEWPORTS = {
  desktop: { width: 1366, height: 768 },
  phone: { width: 390, height: 760 },
} as const;

export interface OpenOptions {
  /** Called with the new context before the page loads (e.g. to route requests). */
  readonly prepare?: (context: BrowserContext) => Promise<void>;
  /** @default { width: 1200, height: 760 } */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Query string of the page's URL (without `?`), e.g. `away=1500`. */
  readonly query?: string;
}

/** Opens the demo page in a fresh browser context. */
export async function openPage(browser: Browser, baseUrl: string, options: OpenOptions = {}): Promise<Tab> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1200, height: 760 } });
  await options.prepare?.(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(options.query === undefined ? baseUrl : `${baseUrl}?${options.query}`);
  return { context, page, errors };
}

/** Signs in through the page's own user picker, as a person would. */
export async function signIn(page: Page, userId: string): Promise<void> {
  const form = page.locator('#login-form');
  await form.locator(`input[name="user"][value="${userId}"]`).check({ timeout: UI_TIMEOUT_MS });
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the connection banner reads the given state. */
export async function waitForConnection(page: Page, state: 'connecting' | 'connected' | 'reconnecting' | 'expired' | 'idle'): Promise<void> {
  await page.locator(`#connection[data-state="${state}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** Opens the page as a user and waits until its socket is connected. */
export async function openAs(browser: Browser, baseUrl: string, userId: string, options?: OpenOptions): Promise<Tab> {
  const tab = await openPage(browser, baseUrl, options);
  await signIn(tab.page, userId);
  await waitForConnection(tab.page, 'connected');
  return tab;
}

/** The `<li>` of the message whose content contains `text`. */
export function messageItem(page: Page, text: string): Locator {
  return page.locator('#messages li').filter({ has: page.locator('.content', { hasText: text }) });
}

/** Waits until a locator is visible (or in the DOM, possibly scrolled away: 'attached'; or, with 'detached' / 'hidden', gone). */
export async function waitUntil(locator: Locator, state: 'visible' | 'attached' | 'hidden' | 'detached' = 'visible', timeout = UI_TIMEOUT_MS): Promise<void> {
  await locator.waitFor({ state, timeout });
}

/** The composer's text box, found by its label. */
export function composer(page: Page): Locator {
  return page.getByLabel('Message', { exact: true });
}

/** Sends a message from the composer by pressing Enter. */
export async function typeAndSend(page: Page, text: string): Promise<void> {
  const box = composer(page);
  await box.fill(text);
  await box.press('Enter');
}

/**
 * Whether an element is wholly on screen: inside the viewport and inside
 * every scrolling ancestor's visible box (a message scrolled out of its list
 * is not shown even though the list itself is in the viewport).
 */
export function isShown(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    // 1 px of slack for sub-pixel layout.
    const within = (o: { top: number; bottom: number; left: number; right: number }): boolean =>
      box.top >= o.top - 1 && box.bottom <= o.bottom + 1 && box.left >= o.left - 1 && box.right <= o.right + 1;
    if (box.height === 0 || !within({ top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth })) return false;
    for (let parent = el.parentElement; parent; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (/auto|scroll|hidden/.test(`${style.overflowX} ${style.overflowY}`) && !within(parent.getBoundingClientRect())) return false;
    }
    return true;
  });
}

/** The chat's button in the sidebar, by its title. */
export function chatButton(page: Page, title: string): Locator {
  return page.locator('#chat-list .chat-button').filter({ has: page.locator('.chat-name', { hasText: title }) });
}

/**
 * Closes the tabs a test opened (and empties the list). After a failed
 * test it first saves each tab's screenshot and prints its page errors and
 * the error the page showed, for the report.
 */
export async function closeTabs(tabs: Tab[], testName: string, failed: boolean): Promise<void> {
  for (const [i, tab] of tabs.splice(0).entries()) {
    if (failed && !tab.page.isClosed()) {
      await screenshot(tab.page, `FAILED-${testName.replace(/\W+/g, '-')}-${i}`);
      if (await tab.page.locator('#alert').isVisible()) {
        console.error(`error shown by the page (tab ${i}): ${await tab.page.locator('#alert-text').textContent()}`);
      }
    }
    if (failed && tab.errors.length > 0) console.error(`page errors (tab ${i}):\n${tab.errors.join('\n')}`);
    await tab.context.close();
  }
}

/**
 * Why a skip can happen: the browser tests need Debian's Chromium at
 * /usr/bin/chromium (.ci/run installs it, so CI always runs them). On a
 * machine without it a suite is skipped, and this placeholder puts the
 * reason and the install command into the test report instead of letting
 * the suite vanish silently.
 */
export function reportSkippedSuite(suite: string): void {
  const reason = skipReason;
  if (reason === undefined) return;
  describe(suite, () => {
    it.skip(reason, () => undefined); // Skipped only when Chromium is missing; `reason` says how to install it.
  });
}
