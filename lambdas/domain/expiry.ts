/**
 * Connections whose token has expired: they receive nothing more and are
 * closed. The expiry travels with each room row (see roomRowOf), so the
 * broadcast that lists a room tells the expired members apart without
 * another read, skips them and hands them to the closer below.
 */
import type { ErrorFrame, WireProtocol } from '../../protocol';
import { mapWithConcurrency } from '../commons/concurrency';
import { logger } from '../commons/logger';
import { encodeDisconnect } from '../socketio/codec';
import { hasExpired, TOKEN_EXPIRED_MESSAGE } from './connections';
import type { ConnectionLink, RoomMember } from './ports';

/** The JSON protocol's notice: `{"event":"error","data":{"code":"TOKEN_EXPIRED",…}}`. */
export const TOKEN_EXPIRED_FRAME = JSON.stringify({
  event: 'error',
  data: { code: 'TOKEN_EXPIRED', message: TOKEN_EXPIRED_MESSAGE },
} satisfies ErrorFrame);

/**
 * What a connection is told before it is closed for an expired token:
 * Socket.IO's DISCONNECT `41` (socket.io-client fires 'io server disconnect'
 * and does not reconnect with the stale token), or the JSON error frame.
 */
export function tokenExpiredNotice(protocol: WireProtocol): string {
  return protocol === 'socket.io' ? encodeDisconnect() : TOKEN_EXPIRED_FRAME;
}

/** Splits a room's members into those still allowed to listen and those whose token has expired. */
export function splitExpired(members: readonly RoomMember[], nowMs: number): { live: RoomMember[]; expired: RoomMember[] } {
  const live: RoomMember[] = [];
  const expired: RoomMember[] = [];
  for (const member of members) (hasExpired(member.tokenExpiresAt, nowMs) ? expired : live).push(member);
  return { live, expired };
}

/** Closes at a time: a few, so closes never take the posting slots of live broadcasts. */
const CLOSE_CONCURRENCY = 8;

/** Closes members whose token expired; never throws (a failed close is retried by the next broadcast or sweep). */
export type ExpiredCloser = (members: readonly RoomMember[]) => Promise<void>;

/**
 * Returns the closer of expired connections: each gets its notice, then
 * DeleteConnection, then its rows are removed (presence included, with the
 * room row's userId). Runs after the broadcast's posts, so it never delays
 * delivery to the others; a connection expired in several rooms may be
 * closed by several broadcasts at once, which is harmless (every step is
 * idempotent).
 */
export function createExpiredCloser(deps: { link: Pick<ConnectionLink, 'disconnect'>; concurrency?: number }): ExpiredCloser {
  return async (members) => {
    await mapWithConcurrency(members, deps.concurrency ?? CLOSE_CONCURRENCY, async (member) => {
      const { connectionId, userId, protocol } = member;
      try {
        await deps.link.disconnect(connectionId, {
          notify: true,
          notice: tokenExpiredNotice(protocol),
          ...(userId !== '' && { userId }),
        });
      } catch (err) {
        logger.warn('closing an expired connection failed', { connectionId, error: err instanceof Error ? err.name : String(err) });
      }
    });
  };
}
