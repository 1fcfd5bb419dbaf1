/**
 * The ports of the domain: what it needs from delivery (broadcasts, posts to
 * one connection, token verification) and from storage (one store per
 * table), with the row types those carry. Adapters implement them
 * (adapters/api-gateway/, adapters/dynamodb/, adapters/jwt-verifier.ts); the
 * domain imports nothing of the adapters, so each part can be built and
 * tested with the others faked. Domain functions ask for the operations
 * they use (`Pick<Store, …>`), so a handler wires, and bundles, only those.
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

// ---------------------------------------------------------------------------
// Storage ports. The DynamoDB stores in adapters/dynamodb/ implement them;
// each method is one request (or one paginated query) the domain asks for,
// so the domain decides and the store only reads and writes.
// ---------------------------------------------------------------------------

/** A Memberships row as stored (the chat title is denormalised onto it). */
export interface MembershipRow {
  chatId: string;
  userId: string;
  title: string;
  addedAt: string;
  addedBy: string;
  /** Epoch ms of the last typing broadcast (throttle). */
  typingAt?: number;
  /** Epoch ms when the flood limit's current window opened (see admitMessage). */
  sendWindow?: number;
  /** Messages counted in that window. */
  sendCount?: number;
}

/**
 * What a conditional write on a membership row did: `written` returns the
 * row as updated; `refused` returns the row as it was (the condition
 * failed on an existing row); `absent` means there is no such row.
 */
export type MembershipWrite =
  | { outcome: 'written'; row: MembershipRow }
  | { outcome: 'refused'; old: MembershipRow }
  | { outcome: 'absent' };

/** Who participates in which chat, and the per-member counters kept on that row. */
export interface MembershipStore {
  /** One membership row, read strongly consistently. */
  get(chatId: string, userId: string): Promise<MembershipRow | undefined>;
  /** Counts a message in the open window: refused when the count is at `limit`. */
  countMessage(chatId: string, userId: string, nowMs: number, limit: number): Promise<MembershipWrite>;
  /** Opens a new window with this message: refused when a window opened after `nowMs - windowMs` exists. */
  reopenWindow(chatId: string, userId: string, nowMs: number, windowMs: number): Promise<MembershipWrite>;
  /** Stamps `typingAt = nowMs` unless one at or after `nowMs - throttleMs` exists. */
  markTyping(chatId: string, userId: string, nowMs: number, throttleMs: number): Promise<MembershipWrite['outcome']>;
  /** Clears `typingAt`; a row gone meanwhile is not an error (and not recreated). */
  clearTyping(chatId: string, userId: string): Promise<void>;
  /** The chat ids of a user (the byUser index, every page). */
  chatIdsOfUser(userId: string): Promise<string[]>;
  /** The membership rows of a user (the byUser index, every page). */
  rowsOfUser(userId: string): Promise<MembershipRow[]>;
  /** The user ids of a chat, every page. */
  participantsOf(chatId: string): Promise<string[]>;
  /** How many participants a chat has (a COUNT query). */
  countParticipants(chatId: string): Promise<number>;
  /** Writes new rows (a new chat), in batches, never dropping one. */
  putAll(rows: readonly MembershipRow[]): Promise<void>;
  /** Writes a row unless the user is already in the chat (then does nothing). */
  putIfAbsent(row: MembershipRow): Promise<void>;
  delete(chatId: string, userId: string): Promise<void>;
}

/** A Messages row of kind 'message'. */
export interface MessageRow {
  chatId: string;
  messageId: string;
  kind: 'message';
  senderId: string;
  content: string;
  createdAt: string;
  changeId: string;
  editedAt?: string;
  deletedAt?: string;
  deletedBy?: string;
  clientMessageId?: string;
  /**
   * The change id of the message's creation, when the message id is not one
   * (a publisher kept the app's own id): the `message:new` event id.
   */
  createdChangeId?: string;
}

/** A Messages row of kind 'idempotency': points a (sender, clientMessageId) at its message. */
export interface MarkerRow {
  chatId: string;
  messageId: string;
  kind: 'idempotency';
  targetMessageId: string;
  createdAt: string;
  contentHash: string;
  expiresAt: number;
}

/**
 * What a conditional change of a message did: `written` (with the row as
 * updated, when the store returns it) or `refused`, with the row as it was
 * (undefined when there was none) so the domain can say why.
 */
export type MessageChange =
  | { outcome: 'written'; row?: MessageRow }
  | { outcome: 'refused'; old?: Record<string, unknown> };

export interface ChangesPage {
  /** Message rows, oldest change first. */
  rows: MessageRow[];
  /** Where the next page starts; undefined on the last page. */
  lastKey?: Record<string, unknown>;
}

/** The Messages table: message rows and the idempotency markers beside them. */
export interface MessageStore {
  /** A message row (a marker is not one), read strongly consistently. */
  getMessage(chatId: string, messageId: string): Promise<MessageRow | undefined>;
  /** Puts a new message row; false when its id is taken. */
  putMessage(row: MessageRow): Promise<boolean>;
  /** Puts a new marker; when its id is taken, `taken` with the marker found there (if the store returned it). */
  putMarker(marker: MarkerRow): Promise<{ outcome: 'written' } | { outcome: 'taken'; existing?: MarkerRow }>;
  /** The row under a marker's id, read strongly consistently. */
  getMarker(chatId: string, markerId: string): Promise<MarkerRow | undefined>;
  /** Replaces the content of a message the user sent and has not deleted. */
  edit(key: { chatId: string; messageId: string }, userId: string, change: { content: string; editedAt: string; changeId: string }): Promise<MessageChange>;
  /** Clears the content of a message the user sent and has not deleted, marking it deleted. */
  softDelete(key: { chatId: string; messageId: string }, userId: string, change: { deletedAt: string; changeId: string }): Promise<MessageChange>;
  /**
   * Up to `limit` message rows of a chat by messageId: older than `before`
   * (newest first), newer than `after`, or from the oldest.
   */
  listByMessageId(chatId: string, cursor: { before?: string; after?: string }, limit: number): Promise<MessageRow[]>;
  /** One page of a chat's message rows written after `changeId`, oldest change first. */
  changesAfter(chatId: string, changeId: string, limit: number, startKey?: Record<string, unknown>): Promise<ChangesPage>;
}

/** API Gateway closes a connection after 2 h; rows outlive it by some slack, then TTL removes them. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 10 * 60;

/** A Connections row as stored. */
export interface ConnectionRow {
  connectionId: string;
  userId: string;
  /** Epoch ms. */
  connectedAt: number;
  /** Epoch s (TTL). */
  expiresAt: number;
  protocol: WireProtocol;
  rooms?: Set<string>;
  /** The token's `exp` (epoch s): actions after it are refused. */
  tokenExpiresAt?: number;
  /** Socket.IO only: the connection waits for its CONNECT packet while 'pending'. */
  state?: 'pending' | 'open';
  /** Socket.IO only: the recovery session id handed to the client (`40{"sid","pid"}`). */
  pid?: string;
}

/** The Connections row of a Socket.IO connection between `$connect` and its CONNECT packet. */
export interface PendingConnectionRow {
  connectionId: string;
  connectedAt: number;
  expiresAt: number;
  protocol: 'socket.io';
  state: 'pending';
}

/**
 * A Socket.IO recovery session, kept in the Connections table under
 * `session#{pid}`. The user is in `sessionUserId`, not `userId`, so
 * session rows stay out of the Connections byUser index (the Memberships
 * fan-out would otherwise take them for live connections).
 */
export interface SessionRow {
  connectionId: string;
  sessionUserId: string;
  /** Epoch s (TTL). */
  expiresAt: number;
}

/** The fields of a Connections row the heartbeat sweep reads, unvalidated. */
export interface SweptRow {
  connectionId?: unknown;
  state?: unknown;
  connectedAt?: unknown;
  userId?: unknown;
}

/** The Connections table: one row per connection. */
export interface ConnectionStore {
  /** A connection's row, read strongly consistently. */
  get(connectionId: string): Promise<ConnectionRow | PendingConnectionRow | undefined>;
  putPending(row: PendingConnectionRow): Promise<void>;
  /** Writes the row; with `ifPending`, only over a pending row (false when there is none). */
  put(row: ConnectionRow, options: { ifPending: boolean }): Promise<boolean>;
  delete(connectionId: string): Promise<void>;
  /** Deletes the row and returns it as it was. */
  deleteReturningOld(connectionId: string): Promise<ConnectionRow | undefined>;
  /** Adds a room to a connection's row; false when the connection is gone (nothing written). */
  addRoom(connectionId: string, room: string): Promise<boolean>;
  /** Takes a room out of a connection's row; a connection gone meanwhile is fine. */
  removeRoom(connectionId: string, room: string): Promise<void>;
  /** A user's connections (the byUser index, every page): id, protocol and expiry, unvalidated. */
  ofUser(userId: string): Promise<Array<{ connectionId?: unknown; protocol?: unknown; expiresAt?: unknown }>>;
}

/** The Connections table as the heartbeat sweep reads it (apart, so only the heartbeat function carries a Scan). */
export interface SweepStore {
  /** One page of the Socket.IO connections not expired at `nowSeconds`. */
  socketIoPage(nowSeconds: number, startKey?: Record<string, unknown>): Promise<{ rows: SweptRow[]; lastKey?: Record<string, unknown> }>;
}

/** The recovery sessions, kept in the Connections table beside the connections. */
export interface SessionStore {
  put(row: SessionRow): Promise<void>;
  /** A session row by its key (eventually consistent: the session was written by an earlier connection). */
  get(key: string): Promise<Partial<SessionRow> | undefined>;
}

/** A Rooms row: one per (room, connection). */
export interface RoomRow {
  room: string;
  connectionId: string;
  userId: string;
  protocol: WireProtocol;
  /** Epoch s (TTL). */
  expiresAt: number;
}

/** The Rooms table: who is connected in which room. */
export interface RoomStore {
  /** The live connections of a room (every page; rows past their expiresAt left out). */
  members(room: string, nowMs?: number): Promise<RoomMember[]>;
  /** Whether this connection joined this room. */
  has(room: string, connectionId: string): Promise<boolean>;
  put(row: RoomRow): Promise<void>;
  putAll(rows: readonly RoomRow[]): Promise<void>;
  delete(room: string, connectionId: string): Promise<void>;
  deleteAll(connectionId: string, rooms: Iterable<string>): Promise<void>;
}

/** The Presence table: the set of open connection ids per user. */
export interface PresenceStore {
  /** Adds a connection to the user's set and returns the set's size after. */
  addConnection(userId: string, connectionId: string, nowMs: number): Promise<number>;
  removeConnection(userId: string, connectionId: string, nowMs: number): Promise<void>;
}

/** Every store; each domain function asks for the ones (and the operations) it uses. */
export interface Stores {
  connections: ConnectionStore;
  sessions: SessionStore;
  sweep: SweepStore;
  rooms: RoomStore;
  presence: PresenceStore;
  memberships: MembershipStore;
  messages: MessageStore;
}
