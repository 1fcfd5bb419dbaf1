/**
 * Headless Chromium for the browser tests: the Debian `chromium` package
 * driven by playwright-core (no browser download). When it is missing the
 * suites skip and say so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

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

/** Starts headless Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
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

/** Opens the demo page in a fresh browser context. */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  prepare: (context: BrowserContext) => Promise<void> = async () => undefined,
): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  await prepare(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(baseUrl);
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
export async function openAs(
  browser: Browser,
  baseUrl: string,
  userId: string,
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<Tab> {
  const tab = await openPage(browser, baseUrl, prepare);
  await signIn(tab.page, userId);
  await waitForConnection(tab.page, 'connected');
  return tab;
}

/** The `<li>` of the message whose content contains `text`. */
export function messageItem(page: Page, text: string): Locator {
  return page.locator('#messages li').filter({ has: page.locator('.content', { hasText: text }) });
}

/** Waits until a locator is visible (or, with state 'detached' / 'hidden', gone). */
export async function waitUntil(locator: Locator, state: 'visible' | 'hidden' | 'detached' = 'visible', timeout = UI_TIMEOUT_MS): Promise<void> {
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
