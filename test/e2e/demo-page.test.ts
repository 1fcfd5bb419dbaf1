/**
 * The demo page (web/) in headless Chromium against the whole local runtime
 * (DynamoDB Local, the gateway emulator, stream pollers, real handlers):
 * two browser contexts are two users chatting in the seeded demo chat.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signDevToken } from '../../local/tokens';
import {
  chatButton,
  composer,
  isShown,
  messageItem,
  openPage,
  reportSkippedSuite,
  screenshot,
  signIn,
  skipReason,
  typeAndSend,
  VIEWPORTS,
  waitForConnection,
  waitUntil,
  type Tab,
} from './browser';
import { useDemoSuite } from './demo-suite';

/** The seeded chat alice and bob share (local/seed.ts). */
const CHAT_ID = 'demo';

describe.skipIf(skipReason !== undefined)('Demo page in Chromium', () => {
  const suite = useDemoSuite();

  it('delivers a message sent by one user to the other, as text', async () => {
    // Prepare
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    const hostile = '<img src=x onerror="window.__pwned=1"> hello from alice';

    // Act
    await typeAndSend(alice.page, hostile);

    // Assess
    await waitUntil(messageItem(bob.page, hostile));
    expect(await messageItem(bob.page, hostile).locator('.sender').textContent()).toBe('Alice');
    expect(await bob.page.locator('#messages img').count()).toBe(0);
    expect(await bob.page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await waitUntil(messageItem(alice.page, hostile));
    expect(await messageItem(alice.page, hostile).count()).toBe(1);
    await screenshot(bob.page, 'message-delivered');
  });

  it('shows typing and hides it again when the typist stops', async () => {
    // Prepare
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    const indicator = alice.page.locator('#typing', { hasText: 'Bob is typing…' });

    // Act
    await composer(bob.page).pressSequentially('Just a sec', { delay: 20 });

    // Assess
    await waitUntil(indicator);
    await screenshot(alice.page, 'typing-shown');
    const shownAt = Date.now();
    // Bob's client stops after 2 s idle, Alice's expires it after 3 s anyway.
    await waitUntil(indicator, 'hidden');
    console.info(`typing indicator visible for ~${Date.now() - shownAt} ms`);
    expect(await alice.page.locator('#typing').textContent()).toBe('');
  });

  it('expires a typing indicator by itself when the typist vanishes without stopping', async () => {
    // Prepare
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    const indicator = alice.page.locator('#typing', { hasText: 'Bob is typing…' });
    await composer(bob.page).pressSequentially('Hold on', { delay: 20 });
    await waitUntil(indicator);

    // Act: Bob's tab goes away mid-typing, so no user:stop-typing is ever sent.
    await bob.context.close();

    // Assess: Alice's client expires the indicator after expiresInMs (3 s).
    await waitUntil(indicator, 'hidden');
    expect(await alice.page.locator('#typing').textContent()).toBe('');
  });

  it('shows a user who was online before the page loaded as online on first load (presence:query)', async () => {
    // Prepare: Bob first, so Alice's page never gets a user:online for him.
    await suite.open('bob');

    // Act
    const alice = await suite.open('alice');

    // Assess
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="online"]'));
    expect(await alice.page.locator('.participant[data-user-id="bob"]').getAttribute('title')).toBe('online');
  });

  it('shows the state and status text a co-member sets in the top bar', async () => {
    // Prepare
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    const bobAtAlice = alice.page.locator('.participant[data-user-id="bob"]');
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="online"]'));

    // Act
    await bob.page.getByLabel('Your status').selectOption('busy');
    await bob.page.getByLabel('Status text').fill('In a <b>meeting</b>');
    await bob.page.getByLabel('Status text').press('Enter');

    // Assess
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="busy"] .status-text', { hasText: 'In a <b>meeting</b>' }));
    expect(await bobAtAlice.locator('b').count()).toBe(0);
    await waitUntil(bob.page.locator('.participant[data-user-id="bob"][data-presence="busy"]'));
    await screenshot(alice.page, 'presence-busy');
  });

  it('turns a user away after the idle time and back to online on activity', async () => {
    // Prepare: Bob's page goes away after 1.5 s without activity.
    const alice = await suite.open('alice');
    const bob = await suite.open('bob', { query: 'away=1500' });

    // Act + Assess
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="away"]'));
    await bob.page.mouse.move(200, 200);
    await bob.page.mouse.move(260, 240);
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="online"]'));
  });

  it('turns the online dot off when the other tab closes', async () => {
    // Prepare: Alice first, so she sees Bob arrive through user:online.
    const alice = await suite.open('alice');
    const bobDot = alice.page.locator('.participant[data-user-id="bob"]');
    const bob = await suite.open('bob');
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="online"]'));
    await screenshot(alice.page, 'presence-online');

    // Act
    await bob.context.close();

    // Assess
    await waitUntil(alice.page.locator('.participant[data-user-id="bob"][data-presence="offline"]'));
    expect(await bobDot.getAttribute('data-presence')).toBe('offline');
    expect(await alice.page.locator('.participant[data-user-id="alice"]').getAttribute('data-presence')).toBe('online');
    await screenshot(alice.page, 'presence-offline');
  });

  it('propagates an edit made with the keyboard and a delete', async () => {
    // Prepare
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    await typeAndSend(alice.page, 'Meet at 12?');
    await waitUntil(messageItem(bob.page, 'Meet at 12?'));

    // Act: Up in the empty composer edits the last own message; Escape cancels, Enter saves.
    await composer(alice.page).press('ArrowUp');
    const editBox = alice.page.getByLabel('Edit message', { exact: true });
    await editBox.fill('discarded draft');
    await editBox.press('Escape');
    await composer(alice.page).press('ArrowUp');
    await editBox.fill('Meet at 12:30?');
    await editBox.press('Enter');

    // Assess
    const edited = messageItem(bob.page, 'Meet at 12:30?');
    await waitUntil(edited);
    expect(await edited.locator('.status').textContent()).toBe('(edited)');
    expect(await messageItem(bob.page, 'discarded draft').count()).toBe(0);
    await screenshot(bob.page, 'message-edited');

    // Act
    await messageItem(alice.page, 'Meet at 12:30?').getByRole('button', { name: /^Delete message/ }).click();

    // Assess
    await waitUntil(edited, 'detached');
    const messageId = await bob.page.locator('#messages li.deleted').last().getAttribute('data-message-id');
    expect(messageId).not.toBeNull();
    expect(await bob.page.locator(`#messages li[data-message-id="${messageId}"] .content`).textContent()).toBe(
      'This message was deleted.',
    );
    await screenshot(bob.page, 'message-deleted');
  });

  it('loses nothing when the server drops the socket and the page reconnects', async () => {
    // Prepare
    const alice = await suite.open('alice');
    await suite.open('bob');
    await typeAndSend(alice.page, 'before the drop');
    await waitUntil(messageItem(alice.page, 'before the drop').filter({ hasNot: alice.page.locator('.status', { hasText: 'Sending' }) }));

    // Act: drop Alice's socket, keep her offline while Bob writes over HTTP.
    const dropped = await suite.demo.dropConnections('alice');
    await alice.context.setOffline(true);
    await waitForConnection(alice.page, 'reconnecting');
    await screenshot(alice.page, 'reconnecting');
    const missed = ['missed one', 'missed two', 'missed three'];
    for (const content of missed) await suite.demo.sendOverHttp('bob', CHAT_ID, content);
    await suite.demo.runtime.settle();
    await alice.context.setOffline(false);
    await waitForConnection(alice.page, 'connected');

    // Assess
    expect(dropped).toBeGreaterThanOrEqual(1);
    for (const content of missed) await waitUntil(messageItem(alice.page, content));
    const shown = await alice.page.locator('#messages li .content').allTextContents();
    const order = missed.map((content) => shown.indexOf(content));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const content of missed) expect(shown.filter((text) => text === content)).toHaveLength(1);
    await screenshot(alice.page, 'reconnected');
  });

  it('can be used with the keyboard alone', async () => {
    // Prepare
    const tab = await openPage(suite.browser, suite.demo.baseUrl);
    suite.track(tab);
    const { page } = tab;
    // The page starts with focus on the first user.
    await waitUntil(page.locator('input[name="user"][value="alice"]:focus'));

    // Act: arrow keys pick a user, Tab reaches Sign in, Enter submits.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitForConnection(page, 'connected');
    await waitUntil(page.locator('#composer-input:focus'));
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');

    // Assess
    expect(await page.locator('#whoami-name').textContent()).toBe('Bob');
    await waitUntil(messageItem(page, 'typed without a mouse').filter({ hasNot: page.locator('.status', { hasText: 'Sending' }) }));
    expect(await messageItem(page, 'typed without a mouse').locator('.sender').textContent()).toBe('You');
  });

  it('asks to pick a user again when the token is refused', async () => {
    // Prepare: the page gets a token that expired a minute ago.
    const expired = await signDevToken('alice', { secret: suite.demo.runtime.jwtSecret, expiresIn: '-60s' });
    const tab = await openPage(suite.browser, suite.demo.baseUrl, {
      prepare: async (context) => {
        await context.route('**/dev/token', (route) =>
          route.fulfill({ json: { token: expired, userId: 'alice', expiresAt: Date.now() - 60_000 } }),
        );
      },
    });
    suite.track(tab);

    // Act
    await signIn(tab.page, 'alice');

    // Assess
    await waitForConnection(tab.page, 'expired');
    await waitUntil(tab.page.getByRole('alert').filter({ hasText: 'Pick a user to sign in again' }));
    await waitUntil(tab.page.locator('#login-form'));
    await screenshot(tab.page, 'session-expired');
  });

  it('renders a conversation on a laptop and a phone (the README screenshots)', async () => {
    // Prepare: a chat of its own, so the other tests' messages stay out of the picture.
    await suite.demo.createChat('alice', 'Release 2.4', ['alice', 'bob']);
    const alice = await suite.open('alice', { viewport: VIEWPORTS.desktop });
    const bob = await suite.open('bob', { viewport: VIEWPORTS.phone });
    for (const tab of [alice, bob]) await chatButton(tab.page, 'Release 2.4').click();
    const conversation: [Tab, Tab, string][] = [
      [alice, bob, 'Morning Bob! Did the fan-out change go out?'],
      [bob, alice, 'Yes, it went out this morning. Both tabs update instantly here.'],
      [alice, bob, 'Nice. Any GoneExceptions?'],
      [bob, alice, 'A few stale connections, all cleaned up by the next fan-out.'],
      [alice, bob, 'And the phone layout? The composer used to fall off the screen.'],
      [bob, alice, 'Fixed: only the messages scroll now. Older ones load on request.'],
      [alice, bob, 'Perfect. Ship it!'],
    ];

    // Act
    for (const [from, to, text] of conversation) {
      await typeAndSend(from.page, text);
      await waitUntil(messageItem(to.page, text));
    }
    // Typed at a human pace: right after a send the server throttles a new
    // user:typing (1 s per user and chat), and the client repeats it after 2 s.
    await composer(bob.page).pressSequentially('Checking the stream logs now', { delay: 120 });
    await waitUntil(alice.page.locator('#typing', { hasText: 'Bob is typing…' }));
    await alice.page.mouse.move(0, 0);
    const desktopShot = await screenshot(alice.page, 'demo');
    await composer(alice.page).pressSequentially('Thanks!', { delay: 120 });
    await waitUntil(bob.page.locator('#typing', { hasText: 'Alice is typing…' }));
    const phoneShot = await screenshot(bob.page, 'demo-phone');

    // Assess
    for (const tab of [alice, bob]) {
      expect(await isShown(messageItem(tab.page, 'Perfect. Ship it'))).toBe(true);
      expect(await isShown(composer(tab.page))).toBe(true);
      expect(await isShown(tab.page.locator('#typing'))).toBe(true);
      expect(tab.errors).toEqual([]);
    }
    // docs/suite.demo.png and docs/demo-phone.png are committed; refresh them on purpose only.
    if (process.env.UPDATE_DEMO_SCREENSHOT === '1') {
      mkdirSync('docs', { recursive: true });
      copyFileSync(desktopShot, join('docs', 'suite.demo.png'));
      copyFileSync(phoneShot, join('docs', 'demo-phone.png'));
    }
  });
});

reportSkippedSuite('Demo page in Chromium');
