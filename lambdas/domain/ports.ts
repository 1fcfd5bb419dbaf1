/**
 * The ports of the domain: what it needs from delivery (broadcasts, posts to
 * one connection, token verification) and from storage (one store per
 * table), with the row types those carry. Adapters implement them
 * (adapters/api-gateway/, adapters/dynamodb/, adapters/jwt-verifier.ts); the
 * domain imports nothing of the adapters, so each part can be built and
 * tested with the others faked. Domain functions ask for the operations
 * they use (`Pick<Store, …>`), so a handler wires, and bundles, only those.
 */
import type { CallMedia, CallState, ChatRole, EventEnvelope, PresenceState, WireProtocol } from '../../protocol';

export type { ChatRole } from '../../protocol';

/** One recipient as a room row describes it. */
export interface RoomMember {
  connectionId: string;
  userId: string;
  protocol: WireProtocol;
  /** The connection's token `exp` (epoch s), copied onto its room rows: past it, the member gets nothing and is closed. */
  tokenExpiresAt?: number;
  /**
   * Chat rooms only: the connection receives live only the message events
   * after this position (it was replayed the ones up to it; see
   * RoomStore.joinAt). Undefined: every event.
   */
  afterSeq?: number;
}

export interface BroadcastOptions {
  /** Skip every connection of this user (typing: never echo to the sender's tabs). */
  exceptUserId?: string;
}

/**
 * What a broadcast did, per recipient: delivered; gone (410, removed);
 * disconnected (kept failing after retries: ended so it reconnects and
 * recovers); undeliverable (our frame is too big); failed (a fault that is
 * not the recipient's, e.g. a missing permission: the caller retries).
 */
export interface BroadcastResult {
  recipients: number;
  delivered: number;
  gone: number;
  disconnected: number;
  undeliverable: number;
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

/** One slice of a big room's broadcast: the event and the recipients one slice worker posts it to. */
export interface BroadcastSlice {
  envelope: EventEnvelope;
  members: RoomMember[];
}

/**
 * Posts one slice in a worker of its own (a synchronous Lambda invoke in
 * AWS, a worker thread locally) and resolves with what its broadcast did;
 * throws when the worker could not run or failed (the slice may be retried).
 */
export type SliceWorker = (slice: BroadcastSlice) => Promise<BroadcastResult>;

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
   * Ends a connection from the server side: with `notify`, a notice first
   * (`notice`, by default the Socket.IO DISCONNECT `41`, so socket.io-client
   * fires 'io server disconnect' and does not reconnect), then
   * DeleteConnection, then the rows. A connection already gone is fine at
   * every step.
   */
  disconnect(connectionId: string, options: { notify: boolean; notice?: string; userId?: string }): Promise<void>;
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
  /** 'owner' adds, removes and promotes; absent on rows written before roles existed, which count as owners. */
  role?: ChatRole;
  /** Written by the chat's creation (no `chat:member-added` for these rows). */
  addedWithChat?: boolean;
  /** Epoch ms of the last typing broadcast (throttle). */
  typingAt?: number;
  /** The state that broadcast carried (isTyping); absent on rows older than it, which only stamped typing. */
  typingShown?: boolean;
  /** The latest typing state asked for, when (epoch ms) and by which call: the last asked wins (see setTyping). */
  typingWant?: boolean;
  typingWantAt?: number;
  typingWantId?: string;
  /** Epoch ms when the flood limit's current window opened (see admitMessage). */
  sendWindow?: number;
  /** Messages counted in that window. */
  sendCount?: number;
  /** The read position (see ReadMark): moved forward only, by a read or by the participant's own send. */
  readMessageId?: string;
  readSeq?: number;
  readOrdinal?: number;
  readAt?: string;
}

/**
 * A read position: the message read up to (and every one before it), the
 * chat position of its create, and its ordinal (how many messages the chat
 * had once it was created: the head's `lastOrdinal` then), so that the
 * unread count is the head's ordinal minus this one, with no scan.
 */
export interface ReadMark {
  messageId: string;
  seq: number;
  ordinal: number;
  readAt: string;
}

/** What a read-marker write did: `written`, or refused with the marker's last shown position and time (undefined: none yet). */
export type ReadShow = { outcome: 'written' } | { outcome: 'refused'; shownSeq?: number; shownAt?: number };

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
  /**
   * Records a typing state as broadcast now (`typingAt`, `typingShown`, and
   * as the latest asked for, by call `wantId`): refused when a broadcast
   * happened after `nowMs - throttleMs` or a state was asked for after `nowMs`.
   */
  showTyping(chatId: string, userId: string, isTyping: boolean, nowMs: number, throttleMs: number, wantId: string): Promise<MembershipWrite>;
  /** Records a typing state as the latest asked for (`typingWant*`): refused when one was asked for after `nowMs`; returns the row as updated. */
  wantTyping(chatId: string, userId: string, isTyping: boolean, nowMs: number, wantId: string): Promise<MembershipWrite>;
  /**
   * Broadcasts a pending state: stamps `typingAt`/`typingShown` only while
   * call `wantId`'s state is still the latest asked for and the throttle window is over.
   */
  flushTyping(chatId: string, userId: string, isTyping: boolean, nowMs: number, wantId: string, throttleMs: number): Promise<MembershipWrite>;
  /** The chat ids of a user (the byUser index, every page). */
  chatIdsOfUser(userId: string): Promise<string[]>;
  /** The membership rows of a user (the byUser index, every page). */
  rowsOfUser(userId: string): Promise<MembershipRow[]>;
  /** The user ids of a chat, every page. */
  participantsOf(chatId: string): Promise<string[]>;
  /** Which of these users are in the chat now (read strongly consistently, in batches). */
  membersAmong(chatId: string, userIds: readonly string[]): Promise<Set<string>>;
  /** How many participants a chat has (a COUNT query). */
  countParticipants(chatId: string): Promise<number>;
  /** One page of a user's membership rows (byUser index: chatId, title, role), from after `cursor` (a chatId). */
  pageOfUser(userId: string, limit: number, cursor?: string): Promise<{ rows: MembershipRow[]; next?: string }>;
  /** One page of a chat's membership rows, from after `cursor` (a userId). */
  pageOfChat(chatId: string, limit: number, cursor?: string): Promise<{ rows: MembershipRow[]; next?: string }>;
  /** How many owners a chat has (rows without a role count as owners). */
  countOwners(chatId: string): Promise<number>;
  /** Writes new rows (a new chat), in batches, never dropping one. */
  putAll(rows: readonly MembershipRow[]): Promise<void>;
  /** Writes a row unless the user is already in the chat; false when they were (nothing written). */
  putIfAbsent(row: MembershipRow): Promise<boolean>;
  /** Sets a participant's role; false when they are not in the chat (nothing written). */
  setRole(chatId: string, userId: string, role: ChatRole): Promise<boolean>;
  /** Deletes a row; false when there was none. */
  delete(chatId: string, userId: string): Promise<boolean>;
  /** Which of these (chat, user) pairs are memberships (BatchGetItem, 100 keys a request, eventually consistent). */
  whichExist(pairs: readonly { chatId: string; userId: string }[]): Promise<Array<{ chatId: string; userId: string }>>;
  /** Moves a participant's read position to `mark` when it is further than theirs (refused: it is not; absent: no such participant). */
  moveRead(chatId: string, userId: string, mark: ReadMark): Promise<MembershipWrite>;
  /** The read positions of a user in these chats (BatchGetItem, eventually consistent); chats without one are left out. */
  readsOf(userId: string, chatIds: readonly string[]): Promise<Map<string, ReadMark>>;
  /** How many participants a chat has, counting no further than `cap` + 1 (a COUNT Query with a Limit: its cost is bounded by `cap`). */
  countUpTo(chatId: string, cap: number): Promise<number>;
}

/** What a conditional write on a user's counter row did (see MembershipWrite). */
export type CounterWrite = { outcome: 'written'; row: UserCounterRow } | { outcome: 'refused'; old: UserCounterRow };

/** A user's counters, in the Users table under `sk = 'counters'`. */
export interface UserCounterRow {
  userId: string;
  /** Chats the user is in (reserved before a membership is written, released after one is deleted). */
  chatCount?: number;
  /** Epoch ms when the rate limit's current window on chat creations and adds opened. */
  changeWindow?: number;
  /** Creations and adds counted in that window. */
  changeCount?: number;
}

/**
 * The Users table: per-user counters and blocks. A block is two rows, one
 * under each user (`block#{blocked}` under the blocker, `blockedBy#{blocker}`
 * under the blocked), so either side's relations are one Query.
 */
export interface UserStore {
  /** Counts a creation or add in the open window (creating the row if needed): refused when the count is at `limit`. */
  countChange(userId: string, nowMs: number, limit: number): Promise<CounterWrite>;
  /** Opens a new window with this change: refused when a window opened after `nowMs - windowMs` exists. */
  reopenChanges(userId: string, nowMs: number, windowMs: number): Promise<CounterWrite>;
  /** Counts one more chat for the user unless they are in `cap` already; false when refused (nothing written). */
  reserveChat(userId: string, cap: number): Promise<boolean>;
  /** Counts one chat less (never below zero). */
  releaseChat(userId: string): Promise<void>;
  /** Writes both rows of a block; false when the block existed (nothing changed). */
  putBlock(blockerId: string, blockedId: string, blockedAt: string): Promise<boolean>;
  /** Deletes both rows of a block; false when there was none. */
  deleteBlock(blockerId: string, blockedId: string): Promise<boolean>;
  /** Whether `blockerId` blocked `blockedId` (one strongly consistent GetItem). */
  hasBlocked(blockerId: string, blockedId: string): Promise<boolean>;
  /** The users who blocked `userId` (every page). */
  blockersOf(userId: string): Promise<string[]>;
  /** One page of the users `userId` blocked, from after `cursor` (a userId). */
  blocksPage(userId: string, limit: number, cursor?: string): Promise<{ items: Array<{ userId: string; blockedAt: string }>; next?: string }>;
  /** Every user `userId` blocked or was blocked by (one Query, every page): those never see each other's presence or typing. */
  relationsOf(userId: string): Promise<Set<string>>;
}

/** A Messages row of kind 'message'. */
export interface MessageRow {
  chatId: string;
  messageId: string;
  kind: 'message';
  senderId: string;
  content: string;
  createdAt: string;
  /** The chat position of the row's latest write (the `bySeq` index's sort key). */
  seq: number;
  /** The chat position of the create: replay tells a message new to a client from one it has. */
  createdSeq: number;
  /** How many messages the chat had once this one was created (1, 2, 3, …); absent on rows written before it (use createdSeq). */
  ordinal?: number;
  editedAt?: string;
  deletedAt?: string;
  deletedBy?: string;
  clientMessageId?: string;
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
 * The membership check a sequenced write carries, on the writer's
 * Memberships row, in the same transaction: `count` authorizes and counts
 * the write in the open flood-limit window (refused at `limit`), `reopen`
 * opens a new window with it (refused while a window opened after
 * `nowMs - windowMs` exists), `member` only authorizes.
 */
export type MemberGate =
  | { kind: 'count'; nowMs: number; limit: number }
  | { kind: 'reopen'; nowMs: number; windowMs: number }
  | { kind: 'member' };

/** A write of a chat's messages; the store gives it the chat's next position. */
export type MessageWrite =
  /** A new message, with its idempotency marker when the send has a clientMessageId. */
  | { kind: 'create'; row: Omit<MessageRow, 'seq' | 'createdSeq' | 'ordinal'>; marker?: MarkerRow }
  /** New content for a live message of the writer. */
  | { kind: 'edit'; messageId: string; content: string; editedAt: string }
  /** Soft delete of a live message of the writer. */
  | { kind: 'delete'; messageId: string; deletedAt: string };

/**
 * What a sequenced write did: `written` at position `seq`, or refused by
 * one of its conditions, with the row as it was (undefined: no such row):
 * the writer's membership row, the idempotency marker (the send was
 * already stored), or the message (not the writer's, deleted, absent).
 * A refused write takes no position and changes nothing.
 */
export type SequencedWrite =
  | { outcome: 'written'; seq: number }
  | { outcome: 'refused'; by: 'member'; old?: MembershipRow }
  | { outcome: 'refused'; by: 'marker'; existing: MarkerRow }
  | { outcome: 'refused'; by: 'message'; old?: Record<string, unknown> };

export interface ChangesPage {
  /** Message rows, oldest position first. */
  rows: MessageRow[];
  /** Where the next page starts; undefined on the last page. */
  lastKey?: Record<string, unknown>;
}

/** The Messages table: message rows, the idempotency markers beside them, and each chat's head (its last position). */
export interface MessageStore {
  /** A message row (a marker is not one), read strongly consistently. */
  getMessage(chatId: string, messageId: string): Promise<MessageRow | undefined>;
  /** The row under a marker's id, read strongly consistently. */
  getMarker(chatId: string, markerId: string): Promise<MarkerRow | undefined>;
  /**
   * Commits one write of a chat at the chat's next position, atomically
   * with the writer's membership gate (and the marker of a create): all of
   * it or nothing. Positions are taken without holes, in commit order.
   */
  commit(chatId: string, userId: string, gate: MemberGate, write: MessageWrite): Promise<SequencedWrite>;
  /** The last position of each chat (0 when it has none), read strongly consistently. */
  heads(chatIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Up to `limit` message rows of a chat by messageId: older than `before`
   * (newest first), newer than `after`, or from the oldest.
   */
  listByMessageId(chatId: string, cursor: { before?: string; after?: string }, limit: number): Promise<MessageRow[]>;
  /** One page of a chat's message rows whose latest write is after position `afterSeq`, oldest position first (strongly consistent). */
  changesAfter(chatId: string, afterSeq: number, limit: number, startKey?: Record<string, unknown>): Promise<ChangesPage>;
  /** How many messages each chat has had (its head's `lastOrdinal`; 0 for none), by BatchGetItem, eventually consistent. */
  messageCounts(chatIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Writes the reader's read marker (`read#{userId}`, whose stream record
   * the fan-out sends as `message:read`) with `mark`, unless one was written
   * less than `throttleMs` before `nowMs` or already shows this position or a later one.
   */
  showRead(chatId: string, userId: string, mark: ReadMark, nowMs: number, throttleMs: number): Promise<ReadShow>;
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
  /** Socket.IO only: the recovery session id the CONNECT recovers or creates (a session found not recoverable then gets a new one, not written here). */
  pid?: string;
  /** Socket.IO only: epoch ms of the last pong `3` (the CONNECT's time until the first one); the sweep removes a connection that stops answering. */
  lastPongAt?: number;
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
  /** The chat positions the session's client held when the session was created or last recovered. */
  positions?: Record<string, number>;
  /** Epoch s (TTL). */
  expiresAt: number;
}

/** The fields of a Connections row the heartbeat sweep reads, unvalidated. */
export interface SweptRow {
  connectionId?: unknown;
  protocol?: unknown;
  state?: unknown;
  connectedAt?: unknown;
  userId?: unknown;
  tokenExpiresAt?: unknown;
  lastPongAt?: unknown;
}

/** The Connections table: one row per connection. */
export interface ConnectionStore {
  /** A connection's row, read strongly consistently. */
  get(connectionId: string): Promise<ConnectionRow | PendingConnectionRow | undefined>;
  /** The rows of these connections that exist, read strongly consistently, in batches (no particular order). */
  getMany(connectionIds: readonly string[]): Promise<Array<ConnectionRow | PendingConnectionRow>>;
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
  /** Stamps `lastPongAt` on a connection's row (a Socket.IO pong); a connection gone meanwhile is fine (nothing written). */
  recordPong(connectionId: string, nowMs: number): Promise<void>;
  /** Puts an open Socket.IO connection back to pending (it left the namespace with `41`): only its row, over the open one. */
  putPendingOver(row: PendingConnectionRow): Promise<void>;
  /** A user's connections (the byUser index, every page): id, protocol and expiry, unvalidated. */
  ofUser(userId: string): Promise<Array<{ connectionId?: unknown; protocol?: unknown; expiresAt?: unknown }>>;
}

/** The Connections table as the heartbeat sweep reads it (apart, so only the heartbeat function carries a Scan). */
export interface SweepStore {
  /**
   * One page of the connections the sweep acts on, among those whose TTL has
   * not passed at `nowSeconds`: every Socket.IO connection, and any
   * connection whose token expired before `nowSeconds`.
   */
  sweptPage(nowSeconds: number, startKey?: Record<string, unknown>): Promise<{ rows: SweptRow[]; lastKey?: Record<string, unknown> }>;
  /** When the last completed sweep started pinging (epoch ms), if one was recorded. */
  lastSweepAt(): Promise<number | undefined>;
  /** Records that a sweep that started at `atMs` pinged every open connection. */
  recordSweep(atMs: number): Promise<void>;
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
  /** The connection's token `exp` (epoch s): the fan-out skips and closes the member after it. */
  tokenExpiresAt?: number;
  /** See RoomMember.afterSeq. */
  afterSeq?: number;
}

/** The Rooms table: who is connected in which room. */
export interface RoomStore {
  /** The live connections of a room (every page; rows past their expiresAt left out). */
  members(room: string, nowMs?: number): Promise<RoomMember[]>;
  /** Whether this connection joined this room. */
  has(room: string, connectionId: string): Promise<boolean>;
  put(row: RoomRow): Promise<void>;
  putAll(rows: readonly RoomRow[]): Promise<void>;
  /**
   * Writes a chat room row with `afterSeq: seq` only while the chat's head
   * is at `seq` (a transaction with a condition on the head): every later
   * write of the chat commits after the row and so reaches the connection
   * live. False, writing nothing, when the head has moved on.
   */
  joinAt(row: RoomRow & { afterSeq: number }, chatId: string): Promise<boolean>;
  delete(room: string, connectionId: string): Promise<void>;
  deleteAll(connectionId: string, rooms: Iterable<string>): Promise<void>;
}

/** The Presence table: the set of open connection ids per user. */
export interface PresenceStore {
  /** Adds a connection to the user's set and returns the set's size after. */
  addConnection(userId: string, connectionId: string, nowMs: number): Promise<number>;
  removeConnection(userId: string, connectionId: string, nowMs: number): Promise<void>;
  /** The presence rows of up to 100 users (one BatchGetItem, eventually consistent); users without a row are left out. */
  statusOf(userIds: readonly string[]): Promise<PresenceRow[]>;
  /**
   * Sets a user's state and status text (no text: removed) at `nowMs`,
   * unless their last change was less than `throttleMs` before: then
   * nothing is written and `retryAfterMs` says when a change will pass.
   */
  setStatus(userId: string, status: { state: PresenceState; text?: string }, nowMs: number, throttleMs: number): Promise<StatusWrite>;
}

/** What setStatus did. */
export type StatusWrite = { outcome: 'written' } | { outcome: 'refused'; retryAfterMs: number };

/** A user's Presence row as a query reads it. */
export interface PresenceRow {
  userId: string;
  /** Open connections (the size of the set). */
  connections: number;
  /** Epoch ms of the set's last change: while it is empty, when the user was last seen. */
  updatedAt?: number;
  /** The state the user set (absent: never set, which reads as online). */
  state?: PresenceState;
  /** The user's status text. */
  text?: string;
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
  users: UserStore;
}

/**
 * A call, in the Connections table under `call#{callId}` beside the
 * connections it joins (like the recovery sessions): no `userId` attribute,
 * so it stays out of the byUser index, and a TTL. Times are epoch ms.
 */
export interface CallRow {
  /** `call#{callId}` (the table's key). */
  connectionId: string;
  callId: string;
  chatId: string;
  callerId: string;
  calleeId: string;
  media: CallMedia;
  state: CallState;
  /** The caller's inviting connection: the only one of the caller's that signals. */
  callerConnectionId: string;
  callerProtocol: WireProtocol;
  /** The token `exp` (epoch s) of each side's connection: past it, that side receives nothing more and is closed (like a room member). */
  callerTokenExpiresAt?: number;
  /** The callee's accepting connection (set by the accept). */
  calleeConnectionId?: string;
  calleeProtocol?: WireProtocol;
  calleeTokenExpiresAt?: number;
  createdAt: number;
  /** The ring window's end: a ringing call is missed from then on. */
  ringsUntil: number;
  answeredAt?: number;
  endedAt?: number;
  /** The signal rate limit's window and count (both parties together). */
  signalWindow?: number;
  signalCount?: number;
  /** Epoch s (TTL). */
  expiresAt: number;
}

/** A user's call-invite counter, in the Connections table under `calls#{userId}`. */
export interface InviteCounterRow {
  inviteWindow?: number;
  inviteCount?: number;
}

/** What a conditional write on a call row did (see MembershipWrite). */
export type CallWrite = { outcome: 'written'; row: CallRow } | { outcome: 'refused'; old: CallRow } | { outcome: 'absent' };

/** The fields a call's state change may set. */
export type CallChange = Partial<Pick<CallRow, 'state' | 'calleeConnectionId' | 'calleeProtocol' | 'calleeTokenExpiresAt' | 'answeredAt' | 'endedAt' | 'expiresAt'>>;

/** The calls and the invite counters (Connections table). */
export interface CallStore {
  /** Writes a new call (call ids are random: an existing one is an error). */
  put(row: CallRow): Promise<void>;
  /** A call, read strongly consistently. */
  get(callId: string): Promise<CallRow | undefined>;
  /** Applies `change` only while the call is still in state `from` (an optimistic write after a read). */
  transition(callId: string, from: CallState, change: CallChange): Promise<CallWrite>;
  /** Counts a signal from `connectionId` in the open window: refused unless the call is connected, the connection is one of its two, and the count is under `limit`. */
  countSignal(callId: string, connectionId: string, nowMs: number, limit: number): Promise<CallWrite>;
  /** Opens a new signal window with this signal: refused unless connected, a party, and the window opened at or before `nowMs - windowMs`. */
  reopenSignals(callId: string, connectionId: string, nowMs: number, windowMs: number): Promise<CallWrite>;
  /** Counts an invite of `userId` in the open window (creating the counter): refused at `limit`. */
  countInvite(userId: string, nowMs: number, limit: number): Promise<{ outcome: 'written'; row: InviteCounterRow } | { outcome: 'refused'; old: InviteCounterRow }>;
  /** Opens a new invite window with this invite: refused while a window opened after `nowMs - windowMs`. */
  reopenInvites(userId: string, nowMs: number, windowMs: number): Promise<{ outcome: 'written'; row: InviteCounterRow } | { outcome: 'refused'; old: InviteCounterRow }>;
}
