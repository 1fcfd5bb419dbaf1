/**
 * In-memory stores with the semantics the DynamoDB stores promise (the
 * conditions included), for domain tests that check decisions, not
 * requests. The DynamoDB stores have their own tests asserting the exact
 * commands.
 */
import type {
  ChangesPage,
  CounterWrite,
  UserCounterRow,
  UserStore,
  MarkerRow,
  MembershipRow,
  MembershipStore,
  MembershipWrite,
  MessageChange,
  MessageRow,
  MessageStore,
} from '../../lambdas/domain/ports';

const key = (a: string, b: string): string => `${a}\u0000${b}`;

export interface FakeMembershipStore extends MembershipStore {
  readonly rows: Map<string, MembershipRow>;
  /** Every method called, in order, for asserting what the domain asked for. */
  readonly calls: string[];
}

export function fakeMembershipStore(initial: readonly MembershipRow[] = []): FakeMembershipStore {
  const rows = new Map(initial.map((row) => [key(row.chatId, row.userId), { ...row }]));
  const calls: string[] = [];
  const update = (chatId: string, userId: string, allowed: (row: MembershipRow) => boolean, change: (row: MembershipRow) => void): MembershipWrite => {
    const row = rows.get(key(chatId, userId));
    if (row === undefined) return { outcome: 'absent' };
    if (!allowed(row)) return { outcome: 'refused', old: { ...row } };
    change(row);
    return { outcome: 'written', row: { ...row } };
  };
  return {
    rows,
    calls,
    async get(chatId, userId) {
      calls.push('get');
      const row = rows.get(key(chatId, userId));
      return row === undefined ? undefined : { ...row };
    },
    async countMessage(chatId, userId, nowMs, limit) {
      calls.push('countMessage');
      return update(chatId, userId, (row) => (row.sendCount ?? 0) < limit, (row) => {
        row.sendCount = (row.sendCount ?? 0) + 1;
        row.sendWindow ??= nowMs;
      });
    },
    async reopenWindow(chatId, userId, nowMs, windowMs) {
      calls.push('reopenWindow');
      return update(chatId, userId, (row) => row.sendWindow === undefined || row.sendWindow <= nowMs - windowMs, (row) => {
        row.sendCount = 1;
        row.sendWindow = nowMs;
      });
    },
    async showTyping(chatId, userId, isTyping, nowMs, throttleMs, wantId) {
      calls.push('showTyping');
      return update(
        chatId,
        userId,
        (row) => (row.typingAt === undefined || row.typingAt <= nowMs - throttleMs) && (row.typingWantAt === undefined || row.typingWantAt <= nowMs),
        (row) => Object.assign(row, { typingAt: nowMs, typingShown: isTyping, typingWant: isTyping, typingWantAt: nowMs, typingWantId: wantId }),
      );
    },
    async wantTyping(chatId, userId, isTyping, nowMs, wantId) {
      calls.push('wantTyping');
      return update(chatId, userId, (row) => row.typingWantAt === undefined || row.typingWantAt <= nowMs, (row) =>
        Object.assign(row, { typingWant: isTyping, typingWantAt: nowMs, typingWantId: wantId }),
      );
    },
    async flushTyping(chatId, userId, isTyping, nowMs, wantId, throttleMs) {
      calls.push('flushTyping');
      return update(
        chatId,
        userId,
        (row) => row.typingWantId === wantId && (row.typingAt === undefined || row.typingAt <= nowMs - throttleMs),
        (row) => Object.assign(row, { typingAt: nowMs, typingShown: isTyping }),
      );
    },
    async chatIdsOfUser(userId) {
      calls.push('chatIdsOfUser');
      return [...rows.values()].filter((row) => row.userId === userId).map((row) => row.chatId);
    },
    async rowsOfUser(userId) {
      calls.push('rowsOfUser');
      return [...rows.values()].filter((row) => row.userId === userId).map((row) => ({ ...row }));
    },
    async participantsOf(chatId) {
      calls.push('participantsOf');
      return [...rows.values()].filter((row) => row.chatId === chatId).map((row) => row.userId);
    },
    async countParticipants(chatId) {
      calls.push('countParticipants');
      return [...rows.values()].filter((row) => row.chatId === chatId).length;
    },
    async putAll(newRows) {
      calls.push('putAll');
      for (const row of newRows) rows.set(key(row.chatId, row.userId), { ...row });
    },
    async pageOfUser(userId, limit, cursor) {
      calls.push('pageOfUser');
      const all = [...rows.values()].filter((row) => row.userId === userId && (cursor === undefined || row.chatId > cursor)).sort((a, b) => (a.chatId < b.chatId ? -1 : 1));
      const page = all.slice(0, limit).map((row) => ({ chatId: row.chatId, userId: row.userId, title: row.title, ...(row.role !== undefined && { role: row.role }) }) as MembershipRow);
      return { rows: page, ...(all.length > limit && { next: page[page.length - 1]?.chatId }) };
    },
    async pageOfChat(chatId, limit, cursor) {
      calls.push('pageOfChat');
      const all = [...rows.values()].filter((row) => row.chatId === chatId && (cursor === undefined || row.userId > cursor)).sort((a, b) => (a.userId < b.userId ? -1 : 1));
      const page = all.slice(0, limit).map((row) => ({ ...row }));
      return { rows: page, ...(all.length > limit && { next: page[page.length - 1]?.userId }) };
    },
    async countOwners(chatId) {
      calls.push('countOwners');
      return [...rows.values()].filter((row) => row.chatId === chatId && (row.role ?? 'owner') === 'owner').length;
    },
    async putIfAbsent(row) {
      calls.push('putIfAbsent');
      if (rows.has(key(row.chatId, row.userId))) return false;
      rows.set(key(row.chatId, row.userId), { ...row });
      return true;
    },
    async setRole(chatId, userId, role) {
      calls.push('setRole');
      const row = rows.get(key(chatId, userId));
      if (row === undefined) return false;
      row.role = role;
      return true;
    },
    async delete(chatId, userId) {
      calls.push('delete');
      return rows.delete(key(chatId, userId));
    },
  };
}

export interface FakeMessageStore extends MessageStore {
  /** Message rows and markers by (chatId, messageId). */
  readonly rows: Map<string, MessageRow | MarkerRow>;
  /** Makes the next putMarker that finds its id taken not return the marker (as ALL_OLD may not). */
  hideTakenMarker: boolean;
}

export function fakeMessageStore(initial: ReadonlyArray<MessageRow | MarkerRow> = []): FakeMessageStore {
  const rows = new Map<string, MessageRow | MarkerRow>(initial.map((row) => [key(row.chatId, row.messageId), { ...row }]));
  const messages = (chatId: string): MessageRow[] =>
    [...rows.values()].filter((row): row is MessageRow => row.chatId === chatId && row.kind === 'message');
  const change = (k: { chatId: string; messageId: string }, userId: string, apply: (row: MessageRow) => void): MessageChange => {
    const row = rows.get(key(k.chatId, k.messageId));
    if (row === undefined || row.kind !== 'message' || row.senderId !== userId || row.deletedAt !== undefined) {
      return { outcome: 'refused', ...(row !== undefined && { old: { ...row } as Record<string, unknown> }) };
    }
    apply(row);
    return { outcome: 'written', row: { ...row } };
  };
  const store: FakeMessageStore = {
    rows,
    hideTakenMarker: false,
    async getMessage(chatId, messageId) {
      const row = rows.get(key(chatId, messageId));
      return row?.kind === 'message' ? { ...row } : undefined;
    },
    async putMessage(row) {
      if (rows.has(key(row.chatId, row.messageId))) return false;
      rows.set(key(row.chatId, row.messageId), { ...row });
      return true;
    },
    async putMarker(marker) {
      const existing = rows.get(key(marker.chatId, marker.messageId));
      if (existing === undefined) {
        rows.set(key(marker.chatId, marker.messageId), { ...marker });
        return { outcome: 'written' };
      }
      if (store.hideTakenMarker) return { outcome: 'taken' };
      return { outcome: 'taken', existing: { ...existing } as MarkerRow };
    },
    async getMarker(chatId, markerId) {
      const row = rows.get(key(chatId, markerId));
      return row === undefined ? undefined : ({ ...row } as MarkerRow);
    },
    edit: async (k, userId, c) =>
      change(k, userId, (row) => {
        row.content = c.content;
        row.editedAt = c.editedAt;
        row.changeId = c.changeId;
      }),
    softDelete: async (k, userId, c) => {
      const result = change(k, userId, (row) => {
        row.content = '';
        row.deletedAt = c.deletedAt;
        row.deletedBy = userId;
        row.changeId = c.changeId;
      });
      // Like the DynamoDB store, a soft delete returns no row.
      return result.outcome === 'written' ? { outcome: 'written' } : result;
    },
    async listByMessageId(chatId, cursor, limit) {
      const sorted = messages(chatId).sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
      if (cursor.before !== undefined) return sorted.filter((row) => row.messageId < (cursor.before as string)).reverse().slice(0, limit);
      return sorted.filter((row) => cursor.after === undefined || row.messageId > cursor.after).slice(0, limit);
    },
    async changesAfter(chatId, changeId, limit): Promise<ChangesPage> {
      const sorted = messages(chatId).filter((row) => row.changeId > changeId).sort((a, b) => (a.changeId < b.changeId ? -1 : 1));
      return { rows: sorted.slice(0, limit) };
    },
  };
  return store;
}

export interface FakeUserStore extends UserStore {
  readonly counters: Map<string, UserCounterRow>;
  /** Blocks as `blocker\u0000blocked` → blockedAt. */
  readonly blocks: Map<string, string>;
  readonly calls: string[];
}

export function fakeUserStore(options: { blocks?: ReadonlyArray<[blocker: string, blocked: string]>; chatCounts?: Record<string, number> } = {}): FakeUserStore {
  const counters = new Map<string, UserCounterRow>(Object.entries(options.chatCounts ?? {}).map(([userId, chatCount]) => [userId, { userId, chatCount }]));
  const blocks = new Map((options.blocks ?? []).map(([a, b]) => [key(a, b), '2025-11-27T00:00:00.000Z']));
  const calls: string[] = [];
  const counterRow = (userId: string): UserCounterRow => {
    const row = counters.get(userId) ?? { userId };
    counters.set(userId, row);
    return row;
  };
  const update = (userId: string, allowed: (row: UserCounterRow) => boolean, change: (row: UserCounterRow) => void): CounterWrite => {
    const row = counters.get(userId) ?? { userId };
    if (!allowed(row)) return { outcome: 'refused', old: { ...row } };
    change(row);
    counters.set(userId, row);
    return { outcome: 'written', row: { ...row } };
  };
  const pairs = (): Array<[string, string]> => [...blocks.keys()].map((k) => k.split('\u0000') as [string, string]);
  return {
    counters,
    blocks,
    calls,
    async countChange(userId, nowMs, limit) {
      calls.push('countChange');
      return update(userId, (row) => (row.changeCount ?? 0) < limit, (row) => {
        row.changeCount = (row.changeCount ?? 0) + 1;
        row.changeWindow ??= nowMs;
      });
    },
    async reopenChanges(userId, nowMs, windowMs) {
      calls.push('reopenChanges');
      return update(userId, (row) => row.changeWindow === undefined || row.changeWindow <= nowMs - windowMs, (row) => {
        row.changeCount = 1;
        row.changeWindow = nowMs;
      });
    },
    async reserveChat(userId, cap) {
      calls.push('reserveChat');
      return update(userId, (row) => (row.chatCount ?? 0) < cap, (row) => {
        row.chatCount = (row.chatCount ?? 0) + 1;
      }).outcome === 'written';
    },
    async releaseChat(userId) {
      calls.push('releaseChat');
      const row = counterRow(userId);
      if ((row.chatCount ?? 0) > 0) row.chatCount = (row.chatCount ?? 0) - 1;
    },
    async putBlock(blockerId, blockedId, blockedAt) {
      calls.push('putBlock');
      if (blocks.has(key(blockerId, blockedId))) return false;
      blocks.set(key(blockerId, blockedId), blockedAt);
      return true;
    },
    async deleteBlock(blockerId, blockedId) {
      calls.push('deleteBlock');
      return blocks.delete(key(blockerId, blockedId));
    },
    async hasBlocked(blockerId, blockedId) {
      calls.push('hasBlocked');
      return blocks.has(key(blockerId, blockedId));
    },
    async blockersOf(userId) {
      calls.push('blockersOf');
      return pairs().filter(([, blocked]) => blocked === userId).map(([blocker]) => blocker);
    },
    async blocksPage(userId, limit, cursor) {
      calls.push('blocksPage');
      const all = pairs().filter(([blocker, blocked]) => blocker === userId && (cursor === undefined || blocked > cursor)).map(([, blocked]) => blocked).sort();
      const page = all.slice(0, limit).map((blocked) => ({ userId: blocked, blockedAt: blocks.get(key(userId, blocked)) as string }));
      return { items: page, ...(all.length > limit && { next: page[page.length - 1]?.userId }) };
    },
    async relationsOf(userId) {
      calls.push('relationsOf');
      return new Set(pairs().flatMap(([a, b]) => (a === userId ? [b] : b === userId ? [a] : [])));
    },
  };
}
