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
  MemberGate,
  MessageRow,
  MessageStore,
  MessageWrite,
  ReadMark,
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
    async membersAmong(chatId, userIds) {
      calls.push('membersAmong');
      return new Set(userIds.filter((userId) => rows.has(key(chatId, userId))));
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
    async whichExist(pairs) {
      calls.push('whichExist');
      return pairs.filter(({ chatId, userId }) => rows.has(key(chatId, userId))).map(({ chatId, userId }) => ({ chatId, userId }));
    },
    async moveRead(chatId, userId, mark) {
      calls.push('moveRead');
      return update(chatId, userId, (row) => row.readSeq === undefined || row.readSeq < mark.seq, (row) =>
        Object.assign(row, { readMessageId: mark.messageId, readSeq: mark.seq, readOrdinal: mark.ordinal, readAt: mark.readAt }),
      );
    },
    async readsOf(userId, chatIds) {
      calls.push('readsOf');
      const reads = new Map<string, ReadMark>();
      for (const chatId of chatIds) {
        const row = rows.get(key(chatId, userId));
        if (row?.readSeq !== undefined) {
          reads.set(chatId, { messageId: row.readMessageId as string, seq: row.readSeq, ordinal: row.readOrdinal ?? row.readSeq, readAt: row.readAt as string });
        }
      }
      return reads;
    },
    async countUpTo(chatId, cap) {
      calls.push('countUpTo');
      return Math.min(cap + 1, [...rows.values()].filter((row) => row.chatId === chatId).length);
    },
  };
}

export interface FakeMessageStore extends MessageStore {
  /** Message rows and markers by (chatId, messageId). */
  readonly rows: Map<string, MessageRow | MarkerRow>;
  /** Each chat's last position (the head rows). */
  readonly lastSeqs: Map<string, number>;
  /** Every commit, in order: what the domain wrote. */
  readonly commits: Array<{ chatId: string; userId: string; gate: MemberGate; write: MessageWrite }>;
  /** Each chat's message count (the heads' lastOrdinal). */
  readonly ordinals: Map<string, number>;
  /** Read markers by (chatId, userId): the position last shown and when. */
  readonly readMarks: Map<string, ReadMark & { shownAt: number }>;
}

/**
 * The Messages table with its heads. `commit` checks the gate against
 * `memberships` (the membership rows the transaction's first item reads)
 * and applies everything or nothing, as the transaction does.
 */
export function fakeMessageStore(initial: ReadonlyArray<MessageRow | MarkerRow> = [], memberships?: FakeMembershipStore): FakeMessageStore {
  const rows = new Map<string, MessageRow | MarkerRow>(initial.map((row) => [key(row.chatId, row.messageId), { ...row }]));
  const headOf = new Map<string, number>();
  for (const row of initial) if (row.kind === 'message') headOf.set(row.chatId, Math.max(headOf.get(row.chatId) ?? 0, row.seq));
  const commits: FakeMessageStore['commits'] = [];
  const ordinals = new Map<string, number>();
  for (const row of initial) if (row.kind === 'message') ordinals.set(row.chatId, Math.max(ordinals.get(row.chatId) ?? 0, row.ordinal ?? row.createdSeq));
  const readMarks: FakeMessageStore['readMarks'] = new Map();
  const messages = (chatId: string): MessageRow[] =>
    [...rows.values()].filter((row): row is MessageRow => row.chatId === chatId && row.kind === 'message');

  /** The gate's condition on the membership row, and its update (applied only if the whole write commits). */
  const checkGate = (chatId: string, userId: string, gate: MemberGate): { ok: true; apply: () => void } | { ok: false; old?: MembershipRow } => {
    const row = memberships?.rows.get(key(chatId, userId));
    if (row === undefined) return { ok: false };
    if (gate.kind === 'member') return { ok: true, apply: () => undefined };
    if (gate.kind === 'count') {
      if ((row.sendCount ?? 0) >= gate.limit) return { ok: false, old: { ...row } };
      return { ok: true, apply: () => { row.sendCount = (row.sendCount ?? 0) + 1; row.sendWindow ??= gate.nowMs; } };
    }
    if (row.sendWindow !== undefined && row.sendWindow > gate.nowMs - gate.windowMs) return { ok: false, old: { ...row } };
    return { ok: true, apply: () => { row.sendCount = 1; row.sendWindow = gate.nowMs; } };
  };

  const store: FakeMessageStore = {
    rows,
    lastSeqs: headOf,
    commits,
    ordinals,
    readMarks,
    async messageCounts(chatIds) {
      return new Map(chatIds.map((chatId) => [chatId, ordinals.get(chatId) ?? 0]));
    },
    async showRead(chatId, userId, mark, nowMs, throttleMs) {
      const shown = readMarks.get(key(chatId, userId));
      if (shown !== undefined && (shown.shownAt > nowMs - throttleMs || shown.seq >= mark.seq)) {
        return { outcome: 'refused', shownSeq: shown.seq, shownAt: shown.shownAt };
      }
      readMarks.set(key(chatId, userId), { ...mark, shownAt: nowMs });
      return { outcome: 'written' };
    },
    async heads(chatIds) {
      return new Map(chatIds.map((chatId) => [chatId, headOf.get(chatId) ?? 0]));
    },
    async getMessage(chatId, messageId) {
      const row = rows.get(key(chatId, messageId));
      return row?.kind === 'message' ? { ...row } : undefined;
    },
    async getMarker(chatId, markerId) {
      const row = rows.get(key(chatId, markerId));
      return row === undefined ? undefined : ({ ...row } as MarkerRow);
    },
    async commit(chatId, userId, gate, write) {
      commits.push({ chatId, userId, gate, write });
      const seq = (headOf.get(chatId) ?? 0) + 1;
      if (write.kind === 'create' && write.marker !== undefined) {
        const existing = rows.get(key(chatId, write.marker.messageId));
        if (existing !== undefined) return { outcome: 'refused', by: 'marker', existing: { ...existing } as MarkerRow };
      }
      const admitted = checkGate(chatId, userId, gate);
      if (!admitted.ok) return { outcome: 'refused', by: 'member', ...(admitted.old !== undefined && { old: admitted.old }) };
      if (write.kind === 'create') {
        if (rows.has(key(chatId, write.row.messageId))) return { outcome: 'refused', by: 'message', old: { ...rows.get(key(chatId, write.row.messageId)) } };
        const ordinal = (ordinals.get(chatId) ?? headOf.get(chatId) ?? 0) + 1;
        rows.set(key(chatId, write.row.messageId), { ...write.row, seq, createdSeq: seq, ordinal });
        if (write.marker !== undefined) rows.set(key(chatId, write.marker.messageId), { ...write.marker });
        ordinals.set(chatId, ordinal);
        // Sending reads the chat up to the new message (the transaction's membership item).
        const member = memberships?.rows.get(key(chatId, userId));
        if (member !== undefined) Object.assign(member, { readMessageId: write.row.messageId, readSeq: seq, readOrdinal: ordinal, readAt: write.row.createdAt });
      } else {
        const row = rows.get(key(chatId, write.messageId));
        if (row === undefined || row.kind !== 'message' || row.senderId !== userId || row.deletedAt !== undefined) {
          return { outcome: 'refused', by: 'message', ...(row !== undefined && { old: { ...row } as Record<string, unknown> }) };
        }
        if (write.kind === 'edit') Object.assign(row, { content: write.content, editedAt: write.editedAt, seq });
        else Object.assign(row, { content: '', deletedAt: write.deletedAt, deletedBy: userId, seq });
      }
      admitted.apply();
      headOf.set(chatId, seq);
      return { outcome: 'written', seq };
    },
    async listByMessageId(chatId, cursor, limit) {
      const sorted = messages(chatId).sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
      if (cursor.before !== undefined) return sorted.filter((row) => row.messageId < (cursor.before as string)).reverse().slice(0, limit);
      return sorted.filter((row) => cursor.after === undefined || row.messageId > cursor.after).slice(0, limit);
    },
    async changesAfter(chatId, afterSeq, limit): Promise<ChangesPage> {
      const sorted = messages(chatId).filter((row) => row.seq > afterSeq).sort((a, b) => a.seq - b.seq);
      return { rows: sorted.slice(0, limit).map((row) => ({ ...row })) };
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
