/**
 * A real WebRTC audio call between two tabs of the demo page, signaled over
 * the local runtime: Chromium's fake microphone and an auto-accepted
 * permission prompt stand in for a person. The call rings, connects (the
 * RTCPeerConnection reaches 'connected') and ends on both sides.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatButton, closeTabs, launchBrowser, openAs, reportSkippedSuite, screenshot, skipReason, UI_TIMEOUT_MS, type Tab } from './browser';
import { startDemoRuntime, type DemoRuntime } from './demo-runtime';

/** Fake camera and microphone, and no permission prompt. */
const MEDIA_ARGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
/** ICE and DTLS, and the page itself, on a loaded machine take a few seconds (a cap on waiting, not a timing assertion). */
const CONNECT_TIMEOUT_MS = 30_000;
const WAIT_MS = Math.max(UI_TIMEOUT_MS, 30_000);

reportSkippedSuite('Demo page calls in Chromium');

describe.skipIf(skipReason !== undefined)('Demo page calls in Chromium', { timeout: 120_000 }, () => {
  let demo: DemoRuntime;
  let browser: Browser;
  const tabs: Tab[] = [];

  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemoRuntime(), launchBrowser(MEDIA_ARGS)]);
  });
  afterEach(async (ctx) => {
    await closeTabs(tabs, ctx.task.name, ctx.task.result?.state === 'fail');
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  const open = async (userId: string): Promise<Tab> => {
    const tab = await openAs(browser, demo.baseUrl, userId);
    tabs.push(tab);
    await chatButton(tab.page, 'Demo chat').click();
    return tab;
  };
  const panel = (tab: Tab) => tab.page.locator('#call');

  it('rings the other tab, connects a WebRTC audio call when it is accepted, and ends it on both sides', async () => {
    // Prepare
    const alice = await open('alice');
    const bob = await open('bob');
    await bob.page.locator('#participants li[data-user-id="alice"]').waitFor({ timeout: WAIT_MS });
    await alice.page.locator('#participants li[data-user-id="bob"]').waitFor({ timeout: WAIT_MS });

    // Act: alice calls, bob's tab rings
    await alice.page.getByRole('button', { name: 'Call', exact: true }).click();
    await panel(alice).and(alice.page.locator('[data-state="calling"]')).waitFor({ timeout: WAIT_MS });
    await panel(bob).and(bob.page.locator('[data-state="incoming"]')).waitFor({ timeout: WAIT_MS });
    const ringing = await bob.page.locator('#call-status').textContent();
    // bob accepts: both peer connections connect
    await bob.page.getByRole('button', { name: 'Accept' }).click();
    await alice.page.locator('#call[data-rtc="connected"]').waitFor({ timeout: CONNECT_TIMEOUT_MS });
    await bob.page.locator('#call[data-rtc="connected"]').waitFor({ timeout: CONNECT_TIMEOUT_MS });
    const connected = [await alice.page.locator('#call-status').textContent(), await bob.page.locator('#call-status').textContent()];
    const remoteAudio = await bob.page.evaluate(() => {
      const audio = document.getElementById('call-audio') as HTMLAudioElement;
      return (audio.srcObject as MediaStream | null)?.getAudioTracks().length ?? 0;
    });
    await screenshot(bob.page, 'call-connected');
    // alice hangs up
    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await panel(bob).and(bob.page.locator('[data-state="ended"]')).waitFor({ timeout: WAIT_MS });
    await panel(alice).and(alice.page.locator('[data-state="ended"]')).waitFor({ timeout: WAIT_MS });

    // Assess
    expect(ringing).toBe('Alice is calling (ringing)');
    expect(connected).toEqual(['In call with Bob (connected)', 'In call with Alice (connected)']);
    expect(remoteAudio).toBe(1);
    expect(await bob.page.locator('#call-status').textContent()).toBe('Call with Alice ended');
    expect(await alice.page.locator('#call-status').textContent()).toBe('Call with Bob ended');
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });

  it('shows the callee\'s decline on the caller\'s tab', async () => {
    // Prepare
    const alice = await open('alice');
    const bob = await open('bob');
    await alice.page.locator('#participants li[data-user-id="bob"]').waitFor({ timeout: WAIT_MS });

    // Act
    await alice.page.getByRole('button', { name: 'Call', exact: true }).click();
    await bob.page.getByRole('button', { name: 'Decline' }).click({ timeout: WAIT_MS });
    await panel(alice).and(alice.page.locator('[data-state="rejected"]')).waitFor({ timeout: WAIT_MS });

    // Assess
    expect(await alice.page.locator('#call-status').textContent()).toBe('Bob declined the call');
    expect(await alice.page.getByRole('button', { name: 'Call', exact: true }).isEnabled()).toBe(true);
  });
});
