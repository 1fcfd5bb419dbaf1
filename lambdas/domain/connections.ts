/**
 * The life of a connection in DynamoDB: opening writes its Connections row,
 * its room rows and its presence entry; removing undoes all three. Shared by
 * $connect, $disconnect and the fan-out (which removes gone recipients).
 */
import { ChatError, TooManyConnectionsError, UnauthorizedError } from '../commons/errors';
import type { WireProtocol } from '../../protocol';
import { DEFAULT_LIMITS } from '../system/limits';
import { roomOf } from '../system/schema';
import {
  CONNECT_GRACE_MS,
  CONNECTION_TTL_SECONDS,
  type ConnectionRemover,
  type ConnectionRow,
  type PendingConnectionRow,
  type ConnectionStore,
  type MembershipStore,
  type PresenceStore,
  type RoomRow,
  type RoomStore,
} from './ports';

export { CONNECTION_TTL_SECONDS, type ConnectionRow, type PendingConnectionRow } from './ports';

/** What removing a connection touches: its row, its room rows, its presence entry. */
export interface RemoverStores {
  connections: Pick<ConnectionStore, 'get' | 'delete' | 'deleteReturningOld'>;
  rooms: Pick<RoomStore, 'deleteAll'>;
  presence: Pick<PresenceStore, 'removeConnection'>;
}

/** What opening a connection touches: the same, written, and the user's chats; a failure part-way removes it. */
export interface OpenConnectionDeps extends RemoverStores {
  connections: RemoverStores['connections'] & Pick<ConnectionStore, 'put'>;
  rooms: RemoverStores['rooms'] & Pick<RoomStore, 'putAll'>;
  presence: RemoverStores['presence'] & Pick<PresenceStore, 'addConnection'>;
  memberships: Pick<MembershipStore, 'chatIdsOfUser'>;
  /** Most open connections per user; one more is refused. @default the maxConnectionsPerUser setting's default */
  maxConnectionsPerUser?: number;
}

export interface OpenConnectionRequest {
  connectionId: string;
  userId: string;
  protocol: WireProtocol;
  /** Epoch ms. */
  connectedAt: number;
  /** The token's `exp`, epoch s. */
  tokenExpiresAt?: number;
  /**
   * Socket.IO: open the pending row written at `$connect` (state 'open',
   * `pid`). The write is conditional on the row still being pending, so a
   * connection removed meanwhile is not resurrected and a second CONNECT
   * racing the first fails with ConnectionNotPendingError.
   */
  socketIo?: { pid: string; /** Epoch ms of the CONNECT: the first `lastPongAt`. */ openedAt: number };
  /**
   * Write only the `user:{id}` room row: the caller joins the chat rooms
   * itself (Socket.IO recovery joins each at a position, after its replay).
   * The Connections row lists them all anyway, so the remover finds them.
   */
  deferChatRooms?: boolean;
}

/** A Socket.IO CONNECT for a connection that is gone or already open. */
export class ConnectionNotPendingError extends Error {
  constructor(connectionId: string, options?: ErrorOptions) {
    super(`Connection ${connectionId} is not pending`, options);
    this.name = 'ConnectionNotPendingError';
  }
}

/**
 * Records a Socket.IO connection at `$connect`, pending until its CONNECT
 * packet. Its INSERT on the Connections stream is what makes the fan-out
 * send the Engine.IO open packet (a post from `$connect` itself would fail).
 */
export async function recordPendingConnection(
  deps: { connections: Pick<ConnectionStore, 'putPending'> },
  request: { connectionId: string; connectedAt: number },
): Promise<void> {
  const row: PendingConnectionRow = {
    connectionId: request.connectionId,
    connectedAt: request.connectedAt,
    expiresAt: Math.floor(request.connectedAt / 1000) + CONNECTION_TTL_SECONDS,
    protocol: 'socket.io',
    state: 'pending',
  };
  await deps.connections.putPending(row);
}

/**
 * Opens a connection: its Connections row (written first, so a failure
 * later leaves a row the remover can find), a room row for `user:{id}` and
 * for every chat of the user, and the connection id in the user's presence
 * set. On a failure part-way, what was written is removed again.
 *
 * A membership added or removed between the byUser query and the writes is
 * caught up by the Memberships stream only if the Connections row is
 * already visible then; the window is the duration of this call.
 *
 * The presence update returns the set it leaves (UPDATED_NEW), which is how
 * the cap on connections per user costs no extra call: a
 * connection that takes the user over the cap is undone like any failure
 * and refused with TooManyConnectionsError (RATE_LIMITED; `$connect` answers
 * 429). Two connects racing at the cap may both be refused; neither stays.
 *
 * @throws {TooManyConnectionsError} the user already has `maxConnectionsPerUser` connections (nothing stays written).
 * @throws {ConnectionNotPendingError} Socket.IO: the connection is gone or already open.
 */
export async function openConnection(deps: OpenConnectionDeps, request: OpenConnectionRequest): Promise<{ rooms: string[]; expiresAt: number }> {
  const { connectionId, userId, protocol, connectedAt } = request;
  const expiresAt = Math.floor(connectedAt / 1000) + CONNECTION_TTL_SECONDS;
  const chatIds = await deps.memberships.chatIdsOfUser(userId);
  // The user's own room `user:{id}` is written for every connection although
  // nothing broadcasts to it yet: it is where events addressed to one user
  // (the publisher's emitToUser, per-user events) will go.
  const rooms = [roomOf.user(userId), ...new Set(chatIds.map(roomOf.chat))];

  const row: ConnectionRow = {
    connectionId,
    userId,
    connectedAt,
    expiresAt,
    protocol,
    rooms: new Set(rooms),
    ...(request.tokenExpiresAt !== undefined && { tokenExpiresAt: request.tokenExpiresAt }),
    ...(request.socketIo !== undefined && { state: 'open', pid: request.socketIo.pid, lastPongAt: request.socketIo.openedAt }),
  };
  if (!(await deps.connections.put(row, { ifPending: request.socketIo !== undefined }))) {
    throw new ConnectionNotPendingError(connectionId);
  }
  try {
    const written = request.deferChatRooms === true ? rooms.slice(0, 1) : rooms;
    await deps.rooms.putAll(written.map((room) => roomRowOf(row, room)));
    const cap = deps.maxConnectionsPerUser ?? DEFAULT_LIMITS.maxConnectionsPerUser;
    const open = await deps.presence.addConnection(userId, connectionId, connectedAt);
    if (open > cap) throw new TooManyConnectionsError(`At most ${cap} connections per user; close one first`);
  } catch (err) {
    await createConnectionRemover(deps)(connectionId).catch(() => undefined);
    throw err;
  }
  return { rooms, expiresAt };
}

/**
 * The room row of a connection: who to post to and how (user, protocol),
 * until when (expiresAt, the TTL) and the token's expiry, which travels
 * with the row so a broadcast skips and closes an expired connection
 * without reading its Connections row. Every writer of room rows (connect,
 * the Memberships stream's joins) builds them here.
 */
export function roomRowOf(connection: Pick<ConnectionRow, 'connectionId' | 'userId' | 'protocol' | 'expiresAt' | 'tokenExpiresAt'>, room: string): RoomRow {
  const { connectionId, userId, protocol, expiresAt, tokenExpiresAt } = connection;
  return { room, connectionId, userId, protocol, expiresAt, ...(tokenExpiresAt !== undefined && { tokenExpiresAt }) };
}

/**
 * Creates the remover of connections (see ConnectionRemover). Order matters
 * for idempotency: the Connections row is read first and deleted last, so a
 * remover that fails part-way can be run again and still finds the rooms and
 * the user to clean up. The final Delete returns the row as it was
 * (ALL_OLD), which catches rooms the fan-out added in the meantime.
 *
 * A connection whose Connections row is already gone (removed before, or
 * expired by TTL) leaves only what the caller's `hint` names: with a userId
 * (the fan-out knows it from the room row) the connection id is still taken
 * out of that user's presence set, so the user can go offline; room rows
 * expire by TTL. A pending Socket.IO row (no user yet) only has itself to delete.
 *
 * @example
 * const removeConnection = createConnectionRemover(stores);
 * await removeConnection('abc=');
 * await removeConnection('abc=', { userId: 'alice' }); // from a room row
 */
export function createConnectionRemover(deps: RemoverStores): ConnectionRemover {
  const { connections, rooms: roomRows, presence } = deps;

  return async (connectionId, hint) => {
    const row = await connections.get(connectionId);
    if (row === undefined) {
      if (hint?.userId !== undefined) await presence.removeConnection(hint.userId, connectionId, Date.now());
      return;
    }
    // A 410 during the handshake: the rows were written by a $connect that has not returned yet.
    if (hint?.reason === 'gone' && row.connectedAt > Date.now() - CONNECT_GRACE_MS) return;
    if (!('userId' in row) || typeof row.userId !== 'string') {
      await connections.delete(connectionId);
      return;
    }
    // Every connection has a room row for its user's own room, whether or not its row lists it.
    const rooms = new Set([roomOf.user(row.userId), ...(row.rooms ?? [])]);

    await Promise.all([roomRows.deleteAll(connectionId, rooms), presence.removeConnection(row.userId, connectionId, Date.now())]);

    const old = await connections.deleteReturningOld(connectionId);
    const joinedMeanwhile = [...(old?.rooms ?? [])].filter((room) => !rooms.has(room));
    if (joinedMeanwhile.length > 0) await roomRows.deleteAll(connectionId, joinedMeanwhile);
  };
}

/**
 * The identity behind a connection, from its Connections row (never from a
 * frame's body). Throws UNAUTHORIZED for an unknown connection, one still
 * waiting for its Socket.IO CONNECT, or one whose token has expired since
 * $connect (API Gateway only authenticates the upgrade).
 */
export async function loadCaller(
  deps: { connections: Pick<ConnectionStore, 'get'>; now?: () => number },
  connectionId: string,
): Promise<ConnectionRow> {
  // Strongly consistent: the first frame can follow $connect within milliseconds.
  const row = await deps.connections.get(connectionId);
  return callerOf(row, (deps.now ?? Date.now)());
}

/** What a connection is told when its token expires, before it is closed. */
export const TOKEN_EXPIRED_MESSAGE = 'Token expired; reconnect with a fresh token';

/** Thrown by callerOf when the connection's token has expired since it was verified (code TOKEN_EXPIRED, 401). */
export class TokenExpiredError extends ChatError {
  constructor() {
    super('TOKEN_EXPIRED', 401, TOKEN_EXPIRED_MESSAGE);
    this.name = 'TokenExpiredError';
  }
}

/** Whether a token expiry (epoch s) has passed at `nowMs`; no expiry never passes. */
export function hasExpired(tokenExpiresAt: number | undefined, nowMs: number): boolean {
  return tokenExpiresAt !== undefined && tokenExpiresAt < Math.floor(nowMs / 1000);
}

/**
 * loadCaller's checks on a row already read (the Socket.IO path reads the
 * row once for its state and reuses it).
 *
 * @throws {UnauthorizedError} unknown or pending connection; {@link TokenExpiredError} past the token's `exp`.
 */
export function callerOf(row: ConnectionRow | PendingConnectionRow | undefined, nowMs: number = Date.now()): ConnectionRow {
  if (row === undefined) throw new UnauthorizedError('Connection is not registered; reconnect');
  if (row.state === 'pending' || !('userId' in row)) throw new UnauthorizedError('Connection is not open yet');
  if (hasExpired(row.tokenExpiresAt, nowMs)) throw new TokenExpiredError();
  return row;
}
