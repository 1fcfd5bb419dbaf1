/**
 * Socket.IO v5 over API Gateway: carries out the decisions of
 * socketio/protocol-session.ts for one frame, on the same domain as the JSON
 * protocol (openConnection for CONNECT, the action table for events), and
 * routes each frame of the actions function to the protocol it belongs to.
 *
 * Single-frame answers (`40`, `43`, `44`) go back as the `$default` route
 * response; several frames that must arrive in order (`40` then a recovery
 * replay) are posted one by one.
 */
import { ChatError, TooManyConnectionsError, UnauthorizedError } from '../commons/errors';
import { randomId } from '../commons/ids';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { countConnectionRefused, countMetric } from '../commons/metrics';
import { roomOf } from '../system/schema';
import { encodeEngineIoPacket } from '../socketio/codec';
import {
  ackReply,
  connectErrorReply,
  connectReply,
  decideFrame,
  errorEvent,
  type SessionDecision,
} from '../socketio/protocol-session';
import { handleFrame, runAction, type ActionDeps } from './actions';
import type { ConnectionLink, ConnectionStore, RoomStore, TokenVerifier } from './ports';
import {
  callerOf,
  ConnectionNotPendingError,
  openConnection,
  TokenExpiredError,
  type ConnectionRow,
  type OpenConnectionDeps,
  type PendingConnectionRow,
} from './connections';
import { missedEvents, replayStarts, saveSession, sessionOf, type RecoveryDeps, type ReplayRange } from './recovery';
import { TOKEN_EXPIRED_FRAME } from './expiry';
import { encodeEnvelope } from './wire';

export interface SocketIoDeps extends OpenConnectionDeps, RecoveryDeps {
  connections: OpenConnectionDeps['connections'] & Pick<ConnectionStore, 'recordPong' | 'putPendingOver'>;
  /** Chat rooms are joined at a position, after the replay (RoomStore.joinAt). */
  rooms: OpenConnectionDeps['rooms'] & Pick<RoomStore, 'joinAt'>;
  /** The JSON protocol's action deps: events run through the same table. */
  actions: ActionDeps;
  /** The verifier `$connect` uses for the JSON protocol. */
  verifyToken: TokenVerifier;
  link: ConnectionLink;
  /** Injected for tests. @default Date.now */
  now?: () => number;
}

/** The Engine.IO pong, the one frame answered without reading the connection (it is most of the traffic). */
const PONG_FRAME = encodeEngineIoPacket('pong');

type AnyConnectionRow = ConnectionRow | PendingConnectionRow;

/**
 * Handles one frame of the actions function (every custom route and
 * `$default`) and returns the route response body, if any.
 *
 * A frame that starts with `{` is a JSON-protocol frame (a Socket.IO frame
 * always starts with an Engine.IO type digit). Anything else is read in the
 * light of the connection's row: a Socket.IO connection gets Socket.IO's
 * behaviour, a JSON connection the JSON protocol's error frame (the same
 * one any unparseable JSON frame gets). The only frame decided without that read is the Socket.IO pong
 * `3` (a JSON client sending a bare `3` gets no error frame).
 *
 * @example
 * const body = await handleIncomingFrame(deps, connectionId, event.body, event.isBase64Encoded);
 * return body === undefined ? { statusCode: 200 } : { statusCode: 200, body };
 */
export async function handleIncomingFrame(
  deps: SocketIoDeps,
  connectionId: string,
  body: string | undefined,
  isBinary: boolean,
): Promise<string | undefined> {
  const text = isBinary ? undefined : body;
  if (text === PONG_FRAME) {
    // No read: one conditional write stamps the pong, which the heartbeat sweep checks. A failed
    // write is only logged: a route error would reach the client as a frame it cannot parse.
    await deps.connections.recordPong(connectionId, (deps.now ?? Date.now)()).catch((err: unknown) => {
      logger.warn('pong not recorded', { connectionId, error: err instanceof Error ? err.name : String(err) });
    });
    return undefined;
  }
  const asJson = async (): Promise<string | undefined> => {
    const reply = await handleFrame(deps.actions, connectionId, text);
    if (reply === undefined) return undefined;
    const error = reply.event === 'error' ? reply.data : 'error' in reply ? reply.error : undefined;
    if (error?.code !== 'TOKEN_EXPIRED') return JSON.stringify(reply);
    // The token ran out mid-connection: the refusal (an ack, if one was asked for), the
    // TOKEN_EXPIRED error frame, then the close. A route response would arrive after the close.
    if (reply.event === 'ack') await deps.link.post(connectionId, JSON.stringify(reply));
    await deps.link.disconnect(connectionId, { notify: true, notice: TOKEN_EXPIRED_FRAME });
    return undefined;
  };
  if (text?.startsWith('{')) return asJson();

  const row = await deps.connections.get(connectionId);
  if (row?.protocol !== 'socket.io') return asJson();
  return handleSocketIoFrame(deps, row, text);
}

/**
 * Carries out what one frame of a Socket.IO connection means (`text`
 * undefined: a binary frame). Returns the route response body, if any.
 *
 * @example
 * await handleSocketIoFrame(deps, row, '40{"token":"eyJ…"}'); // '40{"sid":"abc=","pid":"…"}'
 */
export async function handleSocketIoFrame(
  deps: SocketIoDeps,
  row: AnyConnectionRow,
  text: string | undefined,
): Promise<string | undefined> {
  const state = row.state === 'pending' ? 'pending' : 'open';
  const decision: SessionDecision =
    text === undefined ? { kind: 'close', reason: 'invalid packet format' } : decideFrame(state, text);
  const { connectionId } = row;
  switch (decision.kind) {
    case 'ignore':
      return undefined;
    case 'reply':
      if (decision.frames.length === 1) return decision.frames[0];
      await deps.link.postInOrder(connectionId, decision.frames);
      return undefined;
    case 'close':
      logger.info('socket.io connection closed', { connectionId, reason: decision.reason });
      await deps.link.disconnect(connectionId, { notify: false });
      return undefined;
    case 'disconnect':
      // The client left the only namespace: the engine connection stays, pending a new CONNECT.
      await leaveNamespace(deps, row);
      return undefined;
    case 'connect':
      return connect(deps, row, decision);
    case 'event':
      return event(deps, row, decision);
  }
}

/**
 * A client `41`: the connection leaves its rooms and the user's presence
 * (offline if it was the last one) and its row goes back to pending, as a
 * Socket.IO server keeps the engine connection open for another CONNECT.
 * `connectedAt` restarts, so the sweep's connect timeout counts from now
 * (a new CONNECT then sets the TTL from it: rows may outlive the 2-hour cap
 * by that much more, and `$disconnect` removes them anyway).
 *
 * A CONNECT processed while this runs (API Gateway does not order the
 * invocations of one connection) finds the row still open and is refused
 * as a second CONNECT, which closes the connection; the client reconnects.
 */
async function leaveNamespace(deps: SocketIoDeps, row: AnyConnectionRow): Promise<void> {
  const { connectionId } = row;
  const now = (deps.now ?? Date.now)();
  if (!('userId' in row) || typeof row.userId !== 'string') return;
  const rooms = new Set([roomOf.user(row.userId), ...(row.rooms ?? [])]);
  await Promise.all([deps.rooms.deleteAll(connectionId, rooms), deps.presence.removeConnection(row.userId, connectionId, now)]);
  await deps.connections.putPendingOver({ connectionId, connectedAt: now, expiresAt: row.expiresAt, protocol: 'socket.io', state: 'pending' });
  logger.info('socket.io connection left the namespace', { connectionId });
}

async function connect(
  deps: SocketIoDeps,
  row: AnyConnectionRow,
  intent: Extract<SessionDecision, { kind: 'connect' }>,
): Promise<string | undefined> {
  const { connectionId } = row;
  const now = (deps.now ?? Date.now)();
  const token = intent.auth.token;
  let identity;
  try {
    if (typeof token !== 'string' || token === '') throw new UnauthorizedError('auth.token is required');
    identity = await deps.verifyToken(token);
  } catch (err) {
    if (!(err instanceof ChatError)) logger.error('token verification failed', { error: err as Error });
    countConnectionRefused(err instanceof ChatError ? 'unauthorized' : 'internal');
    // 44 only: the connection stays pending (the heartbeat removes it after the connect timeout).
    return connectErrorReply(err);
  }
  const { userId } = identity;

  const session = intent.pid === undefined ? undefined : await sessionOf(deps, intent.pid, userId, now);
  // The session's pid, or a new one; a session that turns out not recoverable below gets another.
  const candidatePid = session === undefined ? randomId() : (intent.pid as string);

  let opened: { rooms: string[]; expiresAt: number };
  try {
    opened = await openConnection(deps, {
      connectionId,
      userId,
      protocol: 'socket.io',
      connectedAt: row.connectedAt,
      tokenExpiresAt: identity.expiresAt,
      socketIo: { pid: candidatePid, openedAt: now },
      deferChatRooms: true,
    });
  } catch (err) {
    // Over the cap of connections per user: openConnection undid its writes; the client gets
    // `44` with code RATE_LIMITED (socket.io-client then closes the connection itself).
    if (err instanceof TooManyConnectionsError) {
      countConnectionRefused('too_many_connections');
      return connectErrorReply(err);
    }
    if (!(err instanceof ConnectionNotPendingError)) throw err;
    // A second CONNECT raced the first, or the connection is gone: Socket.IO closes on "invalid state".
    await deps.link.disconnect(connectionId, { notify: false });
    return undefined;
  }
  countMetric(METRIC.connectionsOpened);

  const chatIds = chatIdsOf(opened.rooms);
  const heads = await deps.messages.heads(chatIds);
  // Where the client is in each chat: from its session and offset when that is exact, else at the heads (a new session).
  const starts = session === undefined ? undefined : replayStarts(session, intent.offset, heads);
  const replay = starts === undefined ? [] : await missedEvents(deps, rangesOf(starts, heads));
  const recovered = starts !== undefined && replay !== undefined;
  const pid = recovered || session === undefined ? candidatePid : randomId();

  // The replay goes out before any room row exists, so no live event can overtake it.
  const reply = connectReply({ sid: connectionId, pid });
  const first = [reply, ...(replay ?? []).map((envelope) => encodeEnvelope('socket.io', envelope))];
  if (first.length > 1 && (await deps.link.postInOrder(connectionId, first)) === 'gone') return undefined;

  const joined = await joinChatsAt(deps, { connectionId, userId, expiresAt: opened.expiresAt, tokenExpiresAt: identity.expiresAt }, heads);
  if (joined === undefined) {
    // A chat kept moving past every attempt: the client reconnects and recovers from what it has.
    logger.warn('socket.io connect could not join its chats at a position; closing', { connectionId });
    await deps.link.disconnect(connectionId, { notify: false, userId });
    return undefined;
  }
  await saveSession(deps, pid, userId, now, joined);
  return first.length > 1 ? undefined : reply;
}

/** Attempts to join a chat whose head keeps moving before the CONNECT gives up (the client then reconnects). */
export const JOIN_ATTEMPTS = 8;

/**
 * Joins every chat room at a position: a room row with `afterSeq` = the
 * chat's head, written only while the head is there (RoomStore.joinAt), so
 * the events up to it are the replay's (already posted) and every later one
 * is live. When the head moved since it was read, the events in between are
 * posted first and the join is tried at the new head. Returns the positions
 * joined at, or undefined when a chat moved past every attempt.
 */
async function joinChatsAt(
  deps: SocketIoDeps,
  connection: { connectionId: string; userId: string; expiresAt: number; tokenExpiresAt: number },
  heads: ReadonlyMap<string, number>,
): Promise<Map<string, number> | undefined> {
  const { connectionId, userId, expiresAt, tokenExpiresAt } = connection;
  const joined = new Map<string, number>();
  for (const [chatId, head] of heads) {
    let at = head;
    for (let attempt = 1; ; attempt++) {
      // The token's exp travels with the row, as with every room row: a broadcast after it closes the connection.
      const row = { room: roomOf.chat(chatId), connectionId, userId, protocol: 'socket.io' as const, expiresAt, tokenExpiresAt, afterSeq: at };
      if (await deps.rooms.joinAt(row, chatId)) break;
      if (attempt >= JOIN_ATTEMPTS) return undefined;
      const moved = (await deps.messages.heads([chatId])).get(chatId) ?? at;
      const caughtUp = await missedEvents(deps, [{ chatId, afterSeq: at, upTo: moved }]);
      if (caughtUp === undefined) return undefined;
      const frames = caughtUp.map((envelope) => encodeEnvelope('socket.io', envelope));
      if (frames.length > 0 && (await deps.link.postInOrder(connectionId, frames)) === 'gone') return undefined;
      at = moved;
    }
    joined.set(chatId, at);
  }
  return joined;
}

/** The replay ranges from where the client is to the heads just read. */
function rangesOf(starts: ReadonlyMap<string, number>, heads: ReadonlyMap<string, number>): ReplayRange[] {
  return [...starts].map(([chatId, afterSeq]) => ({ chatId, afterSeq, upTo: heads.get(chatId) ?? afterSeq }));
}

function chatIdsOf(rooms: readonly string[]): string[] {
  const prefix = roomOf.chat('');
  return rooms.filter((room) => room.startsWith(prefix)).map((room) => room.slice(prefix.length));
}

async function event(
  deps: SocketIoDeps,
  row: AnyConnectionRow,
  intent: Extract<SessionDecision, { kind: 'event' }>,
): Promise<string | undefined> {
  let caller: ConnectionRow;
  try {
    caller = callerOf(row, (deps.now ?? Date.now)());
  } catch (err) {
    if (!(err instanceof TokenExpiredError)) throw err;
    // The token ran out mid-connection: `41` first, so the client does not reconnect in a loop with it.
    await deps.link.disconnect(row.connectionId, { notify: true, userId: (row as ConnectionRow).userId });
    return undefined;
  }
  try {
    const data = await runAction(deps.actions, caller, intent.name, intent.data);
    return intent.ackId === undefined ? undefined : ackReply(intent.ackId, { data });
  } catch (err) {
    if (!(err instanceof ChatError)) logger.error('action failed', { error: err as Error, action: intent.name });
    return intent.ackId === undefined ? errorEvent(err) : ackReply(intent.ackId, { error: err });
  }
}
