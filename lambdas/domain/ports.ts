/**
 * Interfaces between the parts of the domain, so each part can be built and
 * tested with the others faked.
 */
import type { EventEnvelope, WireProtocol } from '../../protocol';

/** One recipient as a room row describes it. */
export interface RoomMember {
  connectionId: string;
  userId: string;
  protocol: WireProtocol;
}

export interface BroadcastOptions {
  /** Skip every connection of this user (typing: never echo to the sender's tabs). */
  exceptUserId?: string;
}

/** What a broadcast did; failures are posts that still failed after retries. */
export interface BroadcastResult {
  recipients: number;
  delivered: number;
  gone: number;
  failed: number;
}

/**
 * Sends one event to every connection of a room (all pages of the room's
 * rows), encoding it once per wire protocol, posting with bounded
 * concurrency, removing recipients that are gone.
 */
export interface RoomBroadcaster {
  toRoom(room: string, envelope: EventEnvelope, options?: BroadcastOptions): Promise<BroadcastResult>;
  toMembers(members: readonly RoomMember[], envelope: EventEnvelope): Promise<BroadcastResult>;
}

/**
 * Removes a connection everywhere: its Connections row, its room rows and its
 * presence entry. Idempotent: removing twice, or a connection whose rows are
 * already gone, is not an error. Used by $disconnect and by the fan-out on
 * GoneException. `hint.userId` (known to the fan-out from the room row) lets
 * the presence entry be removed even when the Connections row is gone.
 * `hint.reason: 'gone'` (a post answered 410) spares a connection younger
 * than CONNECT_GRACE_MS: API Gateway answers 410 while a connection's
 * $connect is still running, and such a connection is about to be live.
 */
export type ConnectionRemover = (connectionId: string, hint?: { userId?: string; reason?: 'gone' }) => Promise<void>;

/**
 * How long after connectedAt a 410 may only mean "$connect has not returned
 * yet": API Gateway's 29 s integration timeout, plus a second.
 */
export const CONNECT_GRACE_MS = 30_000;

/** What a verified token says about its bearer. */
export interface Identity {
  userId: string;
  /** The token's `exp`, epoch seconds. */
  expiresAt: number;
}

/** Verifies a bearer token; throws UnauthorizedError when it is not acceptable. */
export type TokenVerifier = (token: string) => Promise<Identity>;

/**
 * Posts to one connection outside a broadcast (open packet, ordered replies,
 * heartbeat pings, server-side disconnects); PostToConnection behind it.
 */
/** What a post did: `gone` means API Gateway does not know the connection (410). */
export type LinkOutcome = 'delivered' | 'gone';

export interface ConnectionLink {
  /** Posts one text frame; GoneException is an outcome, anything else throws. */
  post(connectionId: string, frame: string): Promise<LinkOutcome>;
  /** Posts frames one after the other (each waits for the previous), stopping at `gone`. */
  postInOrder(connectionId: string, frames: readonly string[]): Promise<LinkOutcome>;
  /** Posts a frame to a connection that may not be registered yet, retrying GoneException for a few seconds. */
  postWhenRegistered(connectionId: string, frame: string): Promise<LinkOutcome>;
  /**
   * Ends a connection from the server side: with `notify`, the Socket.IO
   * DISCONNECT `41` first (so socket.io-client fires 'io server disconnect'
   * and does not reconnect), then DeleteConnection, then the rows. A
   * connection already gone is fine at every step.
   */
  disconnect(connectionId: string, options: { notify: boolean; userId?: string }): Promise<void>;
}
