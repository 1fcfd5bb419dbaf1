/**
 * Read receipts in the demo page (issue 14 item 1), in headless Chromium
 * against the whole local runtime: the unread count from the server, the
 * chat marked read once its newest message is on screen, and "Seen by"
 * for the sender.
 */
import { describe, expect, it } from 'vitest';
import { chatButton, messageItem, reportSkippedSuite, skipReason, waitUntil } from './browser';
import { useDemoSuite } from './demo-suite';

describe.skipIf(skipReason !== undefined)('Demo page in Chromium: read receipts', () => {
  const suite = useDemoSuite();

  it('shows the server\'s unread count, marks the chat read when it is on screen, and shows the sender "Seen by"', async () => {
    // Prepare: two messages from alice in a chat bob has not opened.
    const { chatId } = await suite.demo.createChat('alice', 'Reads side', ['bob']);
    await suite.demo.sendOverHttp('alice', chatId, 'first unread');
    await suite.demo.sendOverHttp('alice', chatId, 'second unread');
    const alice = await suite.open('alice');
    const bob = await suite.open('bob');
    await chatButton(alice.page, 'Reads side').click();
    await waitUntil(messageItem(alice.page, 'second unread'));

    // Assess: the count comes from GET /chats (no live event reached bob's page).
    await waitUntil(chatButton(bob.page, 'Reads side').locator('.badge', { hasText: '2' }));

    // Act
    await chatButton(bob.page, 'Reads side').click();

    // Assess
    await waitUntil(messageItem(bob.page, 'second unread'));
    await waitUntil(alice.page.locator('#seen', { hasText: 'Seen by Bob' }));
    await waitUntil(chatButton(bob.page, 'Reads side').locator('.badge'), 'detached');
    const chats = await fetch(`${suite.demo.runtime.httpUrl}/chats`, { headers: { authorization: `Bearer ${await suite.demo.runtime.token('bob')}` } });
    const side = ((await chats.json()) as { items: Array<{ chatId: string; unreadCount: number }> }).items.find((chat) => chat.chatId === chatId);
    expect(side?.unreadCount).toBe(0);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  });
});

reportSkippedSuite('Demo page in Chromium: read receipts');
