/**
 * The one description of every DynamoDB table. The CDK constructs and the
 * local runtime (which creates the same tables in DynamoDB Local) both read
 * it, so the schema is never written twice.
 */

/** Key attribute types this project uses. */
export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /**
   * Non-key attributes copied into the index. An update that changes none
   * of them writes nothing to the index, so frequently updated attributes
   * (typing throttle, send counter, joined rooms) stay out.
   * @default - all attributes
   */
  readonly projectedAttributes?: readonly string[];
}

/** What a table's stream carries, when it has one. */
export type StreamView = 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';

export interface TableDefinition {
  /** Logical name; also the CDK construct id and the local table name. */
  readonly name: string;
  /** Environment variable that carries the physical table name to functions. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes?: readonly IndexDefinition[];
  /** Local indexes share the table's partition key. */
  readonly localIndexes?: readonly IndexDefinition[];
  readonly timeToLiveAttribute?: string;
  readonly stream?: StreamView;
}

/**
 * `Connections`: one row per live WebSocket connection.
 * Attributes: userId, connectedAt (epoch ms), expiresAt (epoch s, TTL),
 * protocol ('lettera.v1' | 'socket.io'), rooms (string set of joined rooms);
 * Socket.IO adds state ('pending' until its CONNECT, no userId yet; then
 * 'open') and pid. Socket.IO recovery sessions live here too, keyed
 * `session#{pid}`, with `sessionUserId` (not `userId`: they stay out of
 * byUser) and a TTL. The stream tells the fan-out that a Socket.IO
 * connection exists (new image: it sends the Engine.IO open packet) and that
 * TTL removed a connection whose `$disconnect` was lost (old image: its
 * userId, so the connection id leaves that user's presence set).
 *
 * Changing a table's StreamViewType replaces its stream (CloudFormation
 * disables the old one and enables a new one with a new ARN; records not yet
 * read are lost); NEW_AND_OLD_IMAGES was set before the first deployment.
 */
export const connectionsTable = {
  name: 'Connections',
  envVar: 'CONNECTIONS_TABLE',
  partitionKey: { name: 'connectionId', type: 'S' },
  globalIndexes: [
    {
      indexName: 'byUser',
      partitionKey: { name: 'userId', type: 'S' },
      sortKey: { name: 'connectionId', type: 'S' },
      projectedAttributes: ['protocol', 'expiresAt'],
    },
  ],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

/**
 * `Rooms`: one row per (room, connection). room is `chat:{chatId}` or
 * `user:{userId}`. Attributes: userId, protocol, expiresAt (TTL). One Query
 * lists a room's connections with everything the fan-out needs to encode.
 */
export const roomsTable = {
  name: 'Rooms',
  envVar: 'ROOMS_TABLE',
  partitionKey: { name: 'room', type: 'S' },
  sortKey: { name: 'connectionId', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
} as const satisfies TableDefinition;

/**
 * `Memberships`: who participates in which chat. Attributes: title, addedAt,
 * addedBy, role ('owner' | 'member'), addedWithChat, typingAt, typingShown,
 * typingWant, typingWantAt (typing throttle, see setTyping), sendWindow and
 * sendCount (flood limit on sends and edits, see admitMessage), readMessageId,
 * readSeq, readOrdinal and readAt (the read position, see ReadMark); changes to
 * those counters are MODIFYs, filtered out of the fan-out. The stream joins
 * or removes live connections to/from the room and announces adds,
 * removals and role changes to it.
 */
export const membershipsTable = {
  name: 'Memberships',
  envVar: 'MEMBERSHIPS_TABLE',
  partitionKey: { name: 'chatId', type: 'S' },
  sortKey: { name: 'userId', type: 'S' },
  globalIndexes: [
    // role: GET /chats pages this index and answers each chat's title and the caller's role from it.
    { indexName: 'byUser', partitionKey: { name: 'userId', type: 'S' }, sortKey: { name: 'chatId', type: 'S' }, projectedAttributes: ['title', 'role'] },
  ],
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

/**
 * `Messages`: pk chatId, sk messageId (sortable, see ids.ts). Message rows
 * have kind 'message'; idempotency markers for clientMessageId have kind
 * 'idempotency' and a TTL; each chat has one head row (kind 'head', sk
 * `seq#head`, `lastSeq`: the chat's last position). `seq` is the chat
 * position of a message's latest write (`createdSeq` of its create); the
 * `bySeq` local index (strongly consistent reads) serves the `afterSeq`
 * history and recovery. The head's `lastOrdinal` counts the chat's messages
 * (`ordinal` on each); read markers (kind 'read', sk `read#{userId}`, TTL)
 * carry the `message:read` broadcasts. A local index can only be created with its table:
 * a table deployed with the former `byChange` index is replaced.
 */
/**
 * Sort key of a chat's head row in Messages: after every ULID and every
 * marker (`idem#…`), so message queries never meet it.
 */
export const CHAT_HEAD_ID = 'seq#head';

/**
 * Sort key prefix of a reader's read marker in Messages (`read#{userId}`,
 * kind 'read'): written at most once a second per reader, its stream record
 * becomes `message:read`. The read position itself is on the Memberships row.
 */
export const READ_MARK_PREFIX = 'read#';
export const readMarkIdOf = (userId: string): string => `${READ_MARK_PREFIX}${userId}`;

export const messagesTable = {
  name: 'Messages',
  envVar: 'MESSAGES_TABLE',
  partitionKey: { name: 'chatId', type: 'S' },
  sortKey: { name: 'messageId', type: 'S' },
  localIndexes: [{ indexName: 'bySeq', partitionKey: { name: 'chatId', type: 'S' }, sortKey: { name: 'seq', type: 'N' } }],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

/**
 * `Presence`: pk userId; connectionIds is the string set of the user's open
 * connections (a set, not a counter, so a repeated connect or disconnect is
 * idempotent). The stream turns empty→non-empty into `user:online` and
 * non-empty→empty into `user:offline`.
 */
export const presenceTable = {
  name: 'Presence',
  envVar: 'PRESENCE_TABLE',
  partitionKey: { name: 'userId', type: 'S' },
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

/**
 * `Users`: pk userId, sk `sk`. The row `counters` holds chatCount (chats
 * the user is in, capped by maxChatsPerUser) and changeWindow/changeCount
 * (rate limit on chat creations and adds). A block is two rows:
 * `block#{blocked}` under the blocker and `blockedBy#{blocker}` under the
 * blocked (blockedAt on both), so either user's relations are one Query.
 * The stream turns a `block#` row inserted or removed into `user:blocked` /
 * `user:unblocked` for the blocker's connections.
 */
export const usersTable = {
  name: 'Users',
  envVar: 'USERS_TABLE',
  partitionKey: { name: 'userId', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDefinition;

/** Sort keys of the Users table. */
export const userItem = {
  counters: 'counters',
  block: (blockedId: string): string => `block#${blockedId}`,
  blockedBy: (blockerId: string): string => `blockedBy#${blockerId}`,
  /** Prefix shared by both kinds of block rows. */
  relationPrefix: 'block',
  blockPrefix: 'block#',
  blockedByPrefix: 'blockedBy#',
} as const;

export const allTables = [connectionsTable, roomsTable, membershipsTable, messagesTable, presenceTable, usersTable] as const;

/** Tables whose stream drives the fan-out function. */
export const fanOutSources = [messagesTable, presenceTable, membershipsTable, connectionsTable, usersTable] as const;

/** Names of the rooms a connection can be in. */
export const roomOf = {
  chat: (chatId: string): string => `chat:${chatId}`,
  user: (userId: string): string => `user:${userId}`,
} as const;
