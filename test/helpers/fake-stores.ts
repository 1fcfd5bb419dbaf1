/**
 * In-memory stores with the semantics the DynamoDB stores promise (the
 * conditions included), for domain tests that check decisions, not
 * requests. The DynamoDB stores have their own tests asserting the exact
 * commands.
 */
import type {
  ChangesPage,
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
    async markTyping(chatId, userId, nowMs, throttleMs) {
      calls.push('markTyping');
      return update(chatId, userId, (row) => row.typingAt === undefined || row.typingAt <= nowMs - throttleMs, (row) => {
        row.typingAt = nowMs;
      }).outcome;
    },
    async clearTyping(chatId, userId) {
      calls.push('clearTyping');
      const row = rows.get(key(chatId, userId));
      if (row !== undefined) delete row.typingAt;
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
    async putIfAbsent(row) {
      calls.push('putIfAbsent');
      if (!rows.has(key(row.chatId, row.userId))) rows.set(key(row.chatId, row.userId), { ...row });
    },
    async delete(chatId, userId) {
      calls.push('delete');
      rows.delete(key(chatId, userId));
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
