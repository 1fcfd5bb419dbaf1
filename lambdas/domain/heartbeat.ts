/**
 * Keeping Socket.IO connections alive on API Gateway (see
 * docs/socketio-heartbeat.md): the Engine.IO open packet that announces the
 * heartbeat, and the scheduled sweep that pings every open connection,
 * removes the ones that stopped answering, drops connections that never
 * completed their Socket.IO CONNECT and closes those whose token expired.
 */
import { POST_CONCURRENCY } from '../commons/clients';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { countMetric } from '../commons/metrics';
import { encodeOpenPacket, PING_FRAME } from '../socketio/codec';
import { SCHEDULED_PING_DEFAULTS, type HeartbeatConfig } from '../system/heartbeat';
import { hasExpired } from './connections';
import { tokenExpiredNotice } from './expiry';
import type { ConnectionLink, SweepStore, SweptRow } from './ports';
import { mapWithConcurrency } from '../commons/concurrency';

/**
 * How long a connection may stay pending (no Socket.IO CONNECT) before the
 * sweep drops it: Socket.IO's own `connectTimeout` default.
 */
export const CONNECT_TIMEOUT_MS = 45_000;

/**
 * Returns the sender of the Engine.IO open packet
 * `0{"sid","upgrades":[],"pingInterval","pingTimeout","maxPayload"}` for a
 * new connection. The connection id is the `sid`. A connection that is still
 * gone after the registration retries is removed (the client went away
 * during the handshake).
 */
export function createOpenPacketSender(deps: { link: ConnectionLink; heartbeat: HeartbeatConfig }): (connectionId: string) => Promise<void> {
  const { pingInterval, pingTimeout, maxPayload } = deps.heartbeat;
  return async (connectionId) => {
    const frame = encodeOpenPacket({ sid: connectionId, pingInterval, pingTimeout, maxPayload });
    if ((await deps.link.postWhenRegistered(connectionId, frame)) === 'gone') {
      logger.info('socket.io connection gone before its open packet', { connectionId });
      await deps.link.disconnect(connectionId, { notify: false });
    }
  };
}

export interface SweepDeps {
  sweep: SweepStore;
  link: ConnectionLink;
  /** Post `2` to open connections (`scheduled-ping`); false only cleans up. */
  ping: boolean;
  /** How long a ping may go unanswered: the announced `pingTimeout`. @default SCHEDULED_PING_DEFAULTS.pingTimeout */
  pingTimeoutMs?: number;
  /** @default POST_CONCURRENCY */
  concurrency?: number;
  /** @default CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  /** Injected for tests. @default Date.now */
  now?: () => number;
}

/** What one sweep did. */
export interface SweepResult {
  pinged: number;
  /** Connections API Gateway no longer knows (rows removed). */
  gone: number;
  /** Pending connections past the connect timeout, disconnected with `41`. */
  timedOut: number;
  /** Open connections that did not answer the previous sweep's ping within pingTimeout (closed, rows removed). */
  unresponsive: number;
  /** Connections whose token expired (told so, closed, rows removed). */
  expired: number;
  /** Posts that failed for another reason (retried by the next sweep). */
  failed: number;
}

type SweepOutcome = Exclude<keyof SweepResult, 'failed'> | undefined;

/**
 * One heartbeat sweep over the Connections table (a Scan of the Socket.IO
 * rows and of the rows whose token expired; JSON connections keep
 * themselves alive):
 *
 * - a connection whose token expired gets its notice (`41`, or the JSON
 *   TOKEN_EXPIRED error frame) and is closed, whatever keeps it busy;
 * - a connection pending for longer than the connect timeout gets `41` and
 *   is deleted, like Socket.IO's server does after `connectTimeout`;
 * - an open connection whose last pong (or CONNECT) is older than the
 *   previous sweep's pings, once pingTimeout has passed since them, did not
 *   answer: it is closed without a notice (Socket.IO's server closes the
 *   transport on a ping timeout; the client reconnects), and goes offline;
 * - every other open connection gets a ping `2`, whose pong `3` resets
 *   socket.io-client's timer and API Gateway's idle timer (and stamps
 *   `lastPongAt`, see handleIncomingFrame); one API Gateway no longer knows
 *   is removed.
 *
 * The previous sweep's time is read once and recorded at the end, only when
 * the sweep pinged every page: a sweep that failed half-way never makes the
 * next one take unpinged connections for unresponsive ones.
 */
export async function sweepSocketIoConnections(deps: SweepDeps): Promise<SweepResult> {
  const now = (deps.now ?? Date.now)();
  const cutoff = now - (deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
  const previousSweep = deps.ping ? await deps.sweep.lastSweepAt() : undefined;
  // Pings of a sweep that ran less than pingTimeout ago may still be answered.
  const unansweredBefore =
    previousSweep !== undefined && now - previousSweep >= (deps.pingTimeoutMs ?? SCHEDULED_PING_DEFAULTS.pingTimeout) ? previousSweep : undefined;
  const result: SweepResult = { pinged: 0, gone: 0, timedOut: 0, unresponsive: 0, expired: 0, failed: 0 };

  const sweepOne = async (row: SweptRow): Promise<SweepOutcome> => {
    if (typeof row.connectionId !== 'string') return undefined;
    const { connectionId } = row;
    const userId = typeof row.userId === 'string' ? row.userId : undefined;
    const withUser = userId === undefined ? {} : { userId };
    const protocol = row.protocol === 'socket.io' ? 'socket.io' : 'lettera.v1';
    if (row.state === 'pending') {
      if (typeof row.connectedAt !== 'number' || row.connectedAt >= cutoff) return undefined;
      await deps.link.disconnect(connectionId, { notify: true });
      return 'timedOut';
    }
    if (typeof row.tokenExpiresAt === 'number' && hasExpired(row.tokenExpiresAt, now)) {
      await deps.link.disconnect(connectionId, { notify: true, notice: tokenExpiredNotice(protocol), ...withUser });
      return 'expired';
    }
    if (protocol !== 'socket.io' || !deps.ping) return undefined;
    const lastSeen = typeof row.lastPongAt === 'number' ? row.lastPongAt : row.connectedAt;
    if (unansweredBefore !== undefined && typeof lastSeen === 'number' && lastSeen < unansweredBefore) {
      logger.info('socket.io connection did not answer its ping', { connectionId, lastSeen, pingedAt: unansweredBefore });
      await deps.link.disconnect(connectionId, { notify: false, ...withUser });
      return 'unresponsive';
    }
    if ((await deps.link.post(connectionId, PING_FRAME)) === 'delivered') return 'pinged';
    await deps.link.disconnect(connectionId, { notify: false, ...withUser });
    return 'gone';
  };

  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.sweep.sweptPage(Math.floor(now / 1000), startKey);
    await mapWithConcurrency(page.rows, deps.concurrency ?? POST_CONCURRENCY, async (row) => {
      try {
        const outcome = await sweepOne(row);
        if (outcome !== undefined) result[outcome] += 1;
      } catch (err) {
        result.failed += 1;
        logger.warn('heartbeat post failed', { connectionId: row.connectionId, error: err instanceof Error ? err.name : String(err) });
      }
    });
    startKey = page.lastKey;
  } while (startKey !== undefined);
  if (deps.ping) await deps.sweep.recordSweep(now);
  countMetric(METRIC.heartbeatRemovals, result.gone + result.timedOut + result.unresponsive + result.expired);
  if (result.gone + result.timedOut + result.unresponsive + result.expired + result.failed > 0) logger.info('heartbeat sweep', { ...result });
  return result;
}
