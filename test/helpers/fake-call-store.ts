/**
 * An in-memory CallStore with the conditions the DynamoDB store promises
 * (state, party and window checks), for domain tests of the call service.
 */
import type { CallRow, CallStore, CallWrite, InviteCounterRow } from '../../lambdas/domain/ports';

export interface FakeCallStore extends CallStore {
  readonly rows: Map<string, CallRow>;
  readonly counters: Map<string, InviteCounterRow>;
  /** Every method called, in order. */
  readonly calls: string[];
}

export function fakeCallStore(initial: readonly CallRow[] = []): FakeCallStore {
  const rows = new Map(initial.map((row) => [row.callId, { ...row }]));
  const counters = new Map<string, InviteCounterRow>();
  const calls: string[] = [];
  const update = (callId: string, allowed: (row: CallRow) => boolean, change: (row: CallRow) => void): CallWrite => {
    const row = rows.get(callId);
    if (row === undefined) return { outcome: 'absent' };
    if (!allowed(row)) return { outcome: 'refused', old: { ...row } };
    change(row);
    return { outcome: 'written', row: { ...row } };
  };
  const party = (row: CallRow, connectionId: string): boolean =>
    row.state === 'connected' && (row.callerConnectionId === connectionId || row.calleeConnectionId === connectionId);
  const counter = (userId: string, allowed: (row: InviteCounterRow) => boolean, change: (row: InviteCounterRow) => void) => {
    const row = counters.get(userId) ?? {};
    if (!allowed(row)) return { outcome: 'refused' as const, old: { ...row } };
    change(row);
    counters.set(userId, row);
    return { outcome: 'written' as const, row: { ...row } };
  };
  return {
    rows,
    counters,
    calls,
    async put(row) {
      calls.push('put');
      if (rows.has(row.callId)) throw new Error(`call ${row.callId} exists`);
      rows.set(row.callId, { ...row });
    },
    async get(callId) {
      calls.push('get');
      const row = rows.get(callId);
      return row === undefined ? undefined : { ...row };
    },
    async transition(callId, from, change) {
      calls.push('transition');
      return update(callId, (row) => row.state === from, (row) => Object.assign(row, change));
    },
    async countSignal(callId, connectionId, nowMs, limit) {
      calls.push('countSignal');
      return update(
        callId,
        (row) => party(row, connectionId) && (row.signalCount ?? 0) < limit,
        (row) => {
          row.signalCount = (row.signalCount ?? 0) + 1;
          row.signalWindow ??= nowMs;
        },
      );
    },
    async reopenSignals(callId, connectionId, nowMs, windowMs) {
      calls.push('reopenSignals');
      return update(
        callId,
        (row) => party(row, connectionId) && (row.signalWindow === undefined || row.signalWindow <= nowMs - windowMs),
        (row) => {
          row.signalCount = 1;
          row.signalWindow = nowMs;
        },
      );
    },
    async countInvite(userId, nowMs, limit) {
      calls.push('countInvite');
      return counter(userId, (row) => (row.inviteCount ?? 0) < limit, (row) => {
        row.inviteCount = (row.inviteCount ?? 0) + 1;
        row.inviteWindow ??= nowMs;
      });
    },
    async reopenInvites(userId, nowMs, windowMs) {
      calls.push('reopenInvites');
      return counter(userId, (row) => row.inviteWindow === undefined || row.inviteWindow <= nowMs - windowMs, (row) => {
        row.inviteCount = 1;
        row.inviteWindow = nowMs;
      });
    },
  };
}
