/**
 * The demo page as a chat app has to behave on a laptop and on a phone:
 * a long conversation scrolls inside its pane while the composer and the
 * typing line stay on screen, the reader of older messages is not pulled
 * down, older history loads on request, and a user can create and leave
 * chats. Its own runtime, so carol starts in no chat at all.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  chatButton,
  composer,
  isShown,
  messageItem,
  reportSkippedSuite,
  screenshot,
  skipReason,
  typeAndSend,
  VIEWPORTS,
  waitUntil,
} from './browser';
import { useDemoSuite } from './demo-suite';

/** The page's history page size (web/src/chats.js HISTORY_PAGE): the newest 30 show first. */
const HISTORY_PAGE = 30;

/**
 * Tests that write 50 messages take ~10 s alone and twice that on a busy
 * two-core machine: room above the 20 s default (a stuck test still ends).
 */
const FILL_TIMEOUT_MS = 60_000;

/** The text of the i-th message of a filled chat; zero-padded so no text contains another. */
const line = (i: number): string => `Line ${String(i).padStart(2, '0')} of the thread`;

describe.skipIf(skipReason !== undefined)('Demo page layout and chat management in Chromium', () => {
  const suite = useDemoSuite();

  /**
   * Writes `count` messages over the HTTP API, taking turns among the
   * senders so none of them reaches the flood limit (20 per 10 s per chat).
   */
  const fill = async (chatId: string, count: number, senders: readonly string[]): Promise<void> => {
    for (let i = 1; i <= count; i += 1) await suite.demo.sendOverHttp(senders[i % senders.length] as string, chatId, line(i));
  };

  const scroller = (page: Page) => page.locator('#message-scroller');

  it('lets carol, in no chat yet, create one that alice then sees', async () => {
    // Prepare
    const alice = await suite.open('alice');
    const carol = await suite.open('carol');
    await waitUntil(carol.page.getByText('No chats yet.'));
    expect(await composer(carol.page).isDisabled()).toBe(true);

    // Act
    await carol.page.getByRole('button', { name: 'New chat' }).click();
    const dialog = carol.page.getByRole('dialog', { name: 'New chat' });
    await dialog.getByLabel('Title').fill("Carol's corner");
    await dialog.getByLabel('Alice').check();
    await screenshot(carol.page, 'new-chat-dialog');
    await dialog.getByRole('button', { name: 'Create chat' }).click();

    // Assess: the chat is open for carol, with the composer ready.
    await waitUntil(dialog, 'hidden');
    await waitUntil(chatButton(carol.page, "Carol's corner").and(carol.page.locator('[aria-current="true"]')));
    expect(await carol.page.locator('#chat-title').textContent()).toBe("Carol's corner");
    await waitUntil(carol.page.locator('#composer-input:focus'));
    const created = (await suite.demo.chatsOf('carol')).find((chat) => chat.title === "Carol's corner");
    expect(created?.participants.sort()).toEqual(['alice', 'carol']);

    // Act: the first message tells alice's page about the chat.
    await typeAndSend(carol.page, 'Hi Alice, welcome to my corner');

    // Assess
    await waitUntil(chatButton(alice.page, "Carol's corner").locator('.badge', { hasText: '1' }));
    await chatButton(alice.page, "Carol's corner").click();
    await waitUntil(messageItem(alice.page, 'Hi Alice, welcome to my corner'));
  });

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`keeps the composer, the newest message and the typing line on a ${name} screen (${viewport.width}×${viewport.height}) after 50 messages`, async () => {
      // Prepare
      const { chatId } = await suite.demo.createChat('bob', `Busy day (${name})`, ['alice', 'bob', 'carol']);
      const alice = await suite.open('alice', { viewport });
      const bob = await suite.open('bob');
      for (const tab of [alice, bob]) await chatButton(tab.page, `Busy day (${name})`).click();
      await waitUntil(alice.page.getByText('No messages yet. Say hello!'));

      // Act: 50 messages arrive while alice's page is open.
      await fill(chatId, 50, ['alice', 'bob', 'carol']);
      await waitUntil(messageItem(alice.page, line(50)));
      await composer(bob.page).pressSequentially('One more thing', { delay: 120 });
      await waitUntil(alice.page.locator('#typing', { hasText: 'Bob is typing…' }));
      await screenshot(alice.page, `after-50-messages-${name}`);

      // Assess
      expect(await alice.page.locator('#messages li[data-message-id]').count()).toBe(50);
      expect(await isShown(messageItem(alice.page, line(50)))).toBe(true);
      expect(await isShown(messageItem(alice.page, line(1)))).toBe(false);
      expect(await isShown(composer(alice.page))).toBe(true);
      expect(await isShown(alice.page.getByRole('button', { name: 'Send' }))).toBe(true);
      expect(await isShown(alice.page.locator('#typing'))).toBe(true);
      expect(await alice.page.locator('#new-messages').isHidden()).toBe(true);
      // Only the message list scrolls, never the page.
      expect(await alice.page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight)).toBe(true);
      expect(alice.errors).toEqual([]);
    }, FILL_TIMEOUT_MS);
  }

  it('leaves a reader of older messages where they are and offers a "New messages" pill', async () => {
    // Prepare: alice reads the start of a conversation that does not fit.
    const { chatId } = await suite.demo.createChat('alice', 'Long read', ['alice', 'bob', 'carol']);
    await fill(chatId, 25, ['bob', 'carol']);
    const alice = await suite.open('alice', { viewport: VIEWPORTS.desktop });
    await chatButton(alice.page, 'Long read').click();
    await waitUntil(messageItem(alice.page, line(25)));
    expect(await isShown(messageItem(alice.page, line(25)))).toBe(true);
    const top = await scroller(alice.page).evaluate(
      (el) =>
        new Promise<number>((resolve) => {
          el.addEventListener('scroll', () => resolve(el.scrollTop), { once: true });
          el.scrollTop = 0;
        }),
    );

    // Act
    await suite.demo.sendOverHttp('bob', chatId, 'Breaking: the build is green');

    // Assess: the message is in the list, the reader stays at the top, the pill shows.
    const fresh = messageItem(alice.page, 'Breaking: the build is green');
    await waitUntil(fresh, 'attached');
    const pill = alice.page.getByRole('button', { name: 'New messages ↓' });
    await waitUntil(pill);
    expect(top).toBe(0);
    expect(await scroller(alice.page).evaluate((el) => el.scrollTop)).toBe(0);
    expect(await isShown(messageItem(alice.page, line(1)))).toBe(true);
    expect(await isShown(fresh)).toBe(false);
    expect(await isShown(pill)).toBe(true);
    await screenshot(alice.page, 'new-messages-pill');

    // Act
    await pill.click();

    // Assess
    await waitUntil(pill, 'hidden');
    expect(await isShown(fresh)).toBe(true);
    expect(await isShown(composer(alice.page))).toBe(true);
  }, FILL_TIMEOUT_MS);

  it('loads older messages above the ones shown, with the keyboard, keeping the place', async () => {
    // Prepare: more history than one page.
    const total = HISTORY_PAGE + 10;
    const { chatId } = await suite.demo.createChat('carol', 'Archive', ['alice', 'bob', 'carol']);
    await fill(chatId, total, ['alice', 'bob', 'carol']);
    const alice = await suite.open('alice', { viewport: VIEWPORTS.desktop });
    await chatButton(alice.page, 'Archive').click();
    await waitUntil(messageItem(alice.page, line(total)));
    const firstShown = line(total - HISTORY_PAGE + 1);
    expect(await alice.page.locator('#messages li[data-message-id]').count()).toBe(HISTORY_PAGE);
    expect(await messageItem(alice.page, line(total - HISTORY_PAGE)).count()).toBe(0);
    const loadOlder = alice.page.getByRole('button', { name: 'Load older messages' });
    await loadOlder.scrollIntoViewIfNeeded();
    const before = await messageItem(alice.page, firstShown).evaluate((el) => el.getBoundingClientRect().top);

    // Act
    await loadOlder.focus();
    await alice.page.keyboard.press('Enter');

    // Assess: all of them in order, nothing older to load, the first message read stays put.
    await waitUntil(messageItem(alice.page, line(1)), 'attached');
    await waitUntil(loadOlder, 'hidden');
    const shown = await alice.page.locator('#messages li[data-message-id] .content').allTextContents();
    expect(shown).toEqual(Array.from({ length: total }, (_, i) => line(i + 1)));
    const after = await messageItem(alice.page, firstShown).evaluate((el) => el.getBoundingClientRect().top);
    expect(Math.abs(after - before)).toBeLessThanOrEqual(1);
    expect(await isShown(messageItem(alice.page, line(1)))).toBe(false);
    expect(await isShown(composer(alice.page))).toBe(true);
  }, FILL_TIMEOUT_MS);

  it('leaves a chat: it goes from the list and the server, and the next chat opens', async () => {
    // Prepare
    await suite.demo.createChat('bob', 'Leaving soon', ['alice', 'bob']);
    const alice = await suite.open('alice');
    await chatButton(alice.page, 'Leaving soon').click();
    await waitUntil(alice.page.locator('#chat-title', { hasText: 'Leaving soon' }));
    alice.page.once('dialog', (dialog) => void dialog.accept());

    // Act
    await alice.page.getByRole('button', { name: 'Leave Leaving soon' }).click();

    // Assess
    await waitUntil(chatButton(alice.page, 'Leaving soon'), 'detached');
    expect(await alice.page.locator('#chat-title').textContent()).not.toBe('Leaving soon');
    expect(await composer(alice.page).isEnabled()).toBe(true);
    expect((await suite.demo.chatsOf('alice')).map((chat) => chat.title)).not.toContain('Leaving soon');
    expect((await suite.demo.chatsOf('bob')).find((chat) => chat.title === 'Leaving soon')?.participants).toEqual(['bob']);
  });

  it('shows the others a participant who left (chat:member-removed) without a reload', async () => {
    // Prepare
    await suite.demo.createChat('bob', 'Watch me go', ['alice', 'bob']);
    const bob = await suite.open('bob');
    await chatButton(bob.page, 'Watch me go').click();
    await waitUntil(bob.page.locator('.participant[data-user-id="alice"]'));
    const alice = await suite.open('alice');
    await chatButton(alice.page, 'Watch me go').click();
    await waitUntil(alice.page.locator('#chat-title', { hasText: 'Watch me go' }));
    alice.page.once('dialog', (dialog) => void dialog.accept());

    // Act
    await alice.page.getByRole('button', { name: 'Leave Watch me go' }).click();

    // Assess
    await waitUntil(bob.page.locator('.participant[data-user-id="alice"]'), 'detached');
    expect(await bob.page.locator('.participant[data-user-id="bob"]').isVisible()).toBe(true);
  });

  it('blocks a participant from the list: the button turns to Unblock, and the blocked user can no longer start a chat with the blocker', async () => {
    // Prepare
    await suite.demo.createChat('alice', 'Blocking', ['alice', 'carol']);
    const alice = await suite.open('alice');
    await chatButton(alice.page, 'Blocking').click();
    const carolItem = alice.page.locator('.participant[data-user-id="carol"]');
    await waitUntil(carolItem);

    // Act
    await carolItem.getByRole('button', { name: /^Block / }).click();

    // Assess
    await waitUntil(alice.page.locator('.participant[data-user-id="carol"][data-blocked="true"]'));
    expect(await carolItem.getByRole('button', { name: /^Unblock / }).isVisible()).toBe(true);
    await expect(suite.demo.createChat('carol', 'Let me in', ['alice'])).rejects.toThrow(/403/);

    // Act: lift it
    await carolItem.getByRole('button', { name: /^Unblock / }).click();

    // Assess
    await waitUntil(alice.page.locator('.participant[data-user-id="carol"][data-blocked="false"]'));
    await expect(suite.demo.createChat('carol', 'Let me in', ['alice'])).resolves.toMatchObject({ chatId: expect.any(String) });
  });
});

reportSkippedSuite('Demo page layout and chat management in Chromium');
