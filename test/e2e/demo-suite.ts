/**
 * What every browser suite of the demo page sets up: one local runtime and
 * one Chromium for the suite, fresh tabs per test, closed after it (with a
 * screenshot and the page's errors when it failed).
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { closeTabs, launchBrowser, openAs, type OpenOptions, type Tab } from './browser';
import { startDemoRuntime, type DemoRuntime } from './demo-runtime';

export interface DemoSuite {
  /** The runtime (valid inside tests and hooks). */
  readonly demo: DemoRuntime;
  readonly browser: Browser;
  /** Opens the page signed in as a user; closed after the test. */
  open(userId: string, options?: OpenOptions): Promise<Tab>;
  /** Closes a tab opened another way after the test. */
  track(tab: Tab): Tab;
}

/**
 * Registers the suite's hooks; call it inside a `describe`.
 *
 * @example
 * const suite = useDemoSuite();
 * it('…', async () => { const alice = await suite.open('alice'); });
 */
export function useDemoSuite(): DemoSuite {
  let demo: DemoRuntime | undefined;
  let browser: Browser | undefined;
  const tabs: Tab[] = [];
  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} is not started: use it inside a test`);
    return value;
  };

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemoRuntime(), launchBrowser()]);
  });
  afterEach(async (ctx) => {
    await closeTabs(tabs, ctx.task.name, ctx.task.result?.state === 'fail');
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  return {
    get demo() {
      return ready(demo, 'the local runtime');
    },
    get browser() {
      return ready(browser, 'Chromium');
    },
    async open(userId, options) {
      const tab = await openAs(ready(browser, 'Chromium'), ready(demo, 'the local runtime').baseUrl, userId, options);
      tabs.push(tab);
      return tab;
    },
    track(tab) {
      tabs.push(tab);
      return tab;
    },
  };
}
