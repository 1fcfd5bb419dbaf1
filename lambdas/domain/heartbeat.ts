/**
 * Keeping Socket.IO connections alive on API Gateway (see
 * docs/socketio-heartbeat.md): the Engine.IO open packet that announces the
 * heartbeat, and the scheduled sweep that pings every open connection and
 * drops connections that never completed their Socket.IO CONNECT.
 */
import { POST_CONCURRENCY } from '../commons/clients';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { countMetric } from '../commons/metrics';
import { encodeOpenPacket, PING_FRAME } from '../socketio/codec';
import type { HeartbeatConfig } from '../system/heartbeat';
import type { ConnectionLink, SweepStore } from './ports';
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
  /** Posts that failed for another reason (retried by the next sweep). */
  failed: number;
}

/**
 * One heartbeat sweep over every Socket.IO connection (a Scan of the
 * Connections table filtered on protocol; JSON connections keep themselves
 * alive): open connections get a ping `2`, whose pong `3` resets
 * socket.io-client's timer and API Gateway's idle timer; a connection gone
 * meanwhile is removed; a connection pending for longer than the connect
 * timeout gets `41` and is deleted, like Socket.IO's server does after
 * `connectTimeout`.
 */
export async function sweepSocketIoConnections(deps: SweepDeps): Promise<SweepResult> {
  const now = (deps.now ?? Date.now)();
  const cutoff = now - (deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
  const result: SweepResult = { pinged: 0, gone: 0, timedOut: 0, failed: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.sweep.socketIoPage(Math.floor(now / 1000), startKey);
    const { rows } = page;
    await mapWithConcurrency(rows, deps.concurrency ?? POST_CONCURRENCY, async (row) => {
      if (typeof row.connectionId !== 'string') return;
      const { connectionId } = row;
      const userId = typeof row.userId === 'string' ? row.userId : undefined;
      try {
        if (row.state === 'pending') {
          if (typeof row.connectedAt === 'number' && row.connectedAt < cutoff) {
            await deps.link.disconnect(connectionId, { notify: true });
            result.timedOut += 1;
          }
          return;
        }
        if (!deps.ping) return;
        if ((await deps.link.post(connectionId, PING_FRAME)) === 'delivered') {
          result.pinged += 1;
          return;
        }
        await deps.link.disconnect(connectionId, { notify: false, ...(userId !== undefined && { userId }) });
        result.gone += 1;
      } catch (err) {
        result.failed += 1;
        logger.warn('heartbeat post failed', { connectionId, error: err instanceof Error ? err.name : String(err) });
      }
    });
    startKey = page.lastKey;
  } while (startKey !== undefined);
  countMetric(METRIC.heartbeatRemovals, result.gone + result.timedOut);
  if (result.gone + result.timedOut + result.failed > 0) logger.info('heartbeat sweep', { ...result });
  return result;
}
