/**
 * Headless Chromium for the browser tests: the Debian `chromium` package
 * driven by playwright-core (no browser download). When it is missing the
 * suites skip and say so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where the Debian package installs Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export const skipReason: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `${CHROMIUM_PATH} not found: browser (e2e) tests skipped. Install it with \`apt-get install chromium\` ` +
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

/** Starts headless Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Saves a screenshot under test-results/e2e/ and returns its path. */
export async function screenshot(page: Page, name: string, path = join(RESULTS_DIR, `${name}.png`)): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
  return path;
}

/** One user's tab on the demo page. */
export interface UserTab {
  readonly userId: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Browser console errors and uncaught page errors, for failure messages. */
  readonly errors: string[];
}

/**
 * Opens the demo page in a fresh browser context (its own storage, like a
 * separate browser) and signs in through the page's own user picker.
 */
export async function openAs(browser: Browser, baseUrl: string, userId: string): Promise<UserTab> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(baseUrl);
  const form = page.locator('#login-form');
  await form.locator(`input[name="user"][value="${userId}"]`).check();
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 15_000 });
  return { userId, context, page, errors };
}

/** The `<li>` of a message whose content is exactly `text`. */
export function messageItem(page: Page, text: string) {
  return page.locator('#messages li').filter({ has: page.locator('.content', { hasText: text }) });
}

/** Sends a message from the composer by pressing Enter, as a user would. */
export async function typeAndSend(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}
