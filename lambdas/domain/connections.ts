/**
 * The life of a connection in DynamoDB: opening writes its Connections row,
 * its room rows and its presence entry; removing undoes all three. Shared by
 * $connect, $disconnect and the fan-out (which removes gone recipients).
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, isConditionFailure, queryAll, type WriteRequest } from '../adapters/dynamodb/commands';
import { TooManyConnectionsError, UnauthorizedError } from '../commons/errors';
import { MAX_CONNECTIONS_PER_USER, type WireProtocol } from '../../protocol';
import { roomOf } from '../system/schema';
import { CONNECT_GRACE_MS, type ConnectionRemover } from './ports';

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

/**
 * A Socket.IO connection between `$connect` and its CONNECT packet: no user
 * yet (the token comes in the CONNECT), so no `userId` attribute and no entry
 * in the byUser index, no rooms and no presence.
 */
export interface PendingConnectionRow {
  connectionId: string;
  connectedAt: number;
  expiresAt: number;
  protocol: 'socket.io';
  state: 'pending';
}

export interface ConnectionTables {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
  roomsTable: string;
  presenceTable: string;
}

export interface OpenConnectionDeps extends ConnectionTables {
  membershipsTable: string;
  /** Most open connections per user; one more is refused. @default MAX_CONNECTIONS_PER_USER */
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
  socketIo?: { pid: string };
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
 *
 * @example
 * await recordPendingConnection({ documentClient, connectionsTable }, { connectionId, connectedAt: Date.now() });
 */
export async function recordPendingConnection(
  deps: { documentClient: DynamoDBDocumentClient; connectionsTable: string },
  request: { connectionId: string; connectedAt: number },
): Promise<void> {
  const row: PendingConnectionRow = {
    connectionId: request.connectionId,
    connectedAt: request.connectedAt,
    expiresAt: Math.floor(request.connectedAt / 1000) + CONNECTION_TTL_SECONDS,
    protocol: 'socket.io',
    state: 'pending',
  };
  await deps.documentClient.send(new PutCommand({ TableName: deps.connectionsTable, Item: row }));
}

/** The chats a user participates in (Memberships GSI byUser, every page). */
export async function chatIdsOfUser(
  deps: { documentClient: DynamoDBDocumentClient; membershipsTable: string },
  userId: string,
): Promise<string[]> {
  const rows = await queryAll<{ chatId: string }>(deps.documentClient, {
    TableName: deps.membershipsTable,
    IndexName: 'byUser',
    KeyConditionExpression: 'userId = :userId',
    ExpressionAttributeValues: { ':userId': userId },
    ProjectionExpression: 'chatId',
  });
  return rows.map((row) => row.chatId);
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
 * the cap on connections per user (reliability C2) costs no extra call: a
 * connection that takes the user over the cap is undone like any failure
 * and refused with TooManyConnectionsError (RATE_LIMITED; `$connect` answers
 * 429). Two connects racing at the cap may both be refused; neither stays.
 *
 * @example
 * const { rooms } = await openConnection(deps, { connectionId, userId: 'alice', protocol: 'lettera.v1', connectedAt: Date.now() });
 * @throws {TooManyConnectionsError} the user already has `maxConnectionsPerUser` connections (nothing stays written).
 * @throws {ConnectionNotPendingError} Socket.IO: the connection is gone or already open.
 */
export async function openConnection(deps: OpenConnectionDeps, request: OpenConnectionRequest): Promise<{ rooms: string[] }> {
  const { documentClient } = deps;
  const { connectionId, userId, protocol, connectedAt } = request;
  const expiresAt = Math.floor(connectedAt / 1000) + CONNECTION_TTL_SECONDS;
  const chatIds = await chatIdsOfUser(deps, userId);
  const rooms = [roomOf.user(userId), ...new Set(chatIds.map(roomOf.chat))];

  const row: ConnectionRow = {
    connectionId,
    userId,
    connectedAt,
    expiresAt,
    protocol,
    rooms: new Set(rooms),
    ...(request.tokenExpiresAt !== undefined && { tokenExpiresAt: request.tokenExpiresAt }),
    ...(request.socketIo !== undefined && { state: 'open', pid: request.socketIo.pid }),
  };
  try {
    await documentClient.send(
      new PutCommand({
        TableName: deps.connectionsTable,
        Item: row,
        ...(request.socketIo !== undefined && {
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) throw new ConnectionNotPendingError(connectionId, { cause: err });
    throw err;
  }
  try {
    const roomRows: WriteRequest[] = rooms.map((room) => ({
      PutRequest: { Item: { room, connectionId, userId, protocol, expiresAt } },
    }));
    await batchWriteAll(documentClient, deps.roomsTable, roomRows);
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: deps.presenceTable,
        Key: { userId },
        UpdateExpression: 'ADD connectionIds :ids SET updatedAt = :now',
        ExpressionAttributeValues: { ':ids': new Set([connectionId]), ':now': connectedAt },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const cap = deps.maxConnectionsPerUser ?? MAX_CONNECTIONS_PER_USER;
    const open = (Attributes?.connectionIds as Set<string> | undefined)?.size ?? 1;
    if (open > cap) throw new TooManyConnectionsError(`At most ${cap} connections per user; close one first`);
  } catch (err) {
    await createConnectionRemover(deps)(connectionId).catch(() => undefined);
    throw err;
  }
  return { rooms };
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
 * const removeConnection = createConnectionRemover({ documentClient, connectionsTable, roomsTable, presenceTable });
 * await removeConnection('abc=');
 * await removeConnection('abc=', { userId: 'alice' }); // from a room row
 */
export function createConnectionRemover(deps: {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
  roomsTable: string;
  presenceTable: string;
}): ConnectionRemover {
  const { documentClient, connectionsTable, roomsTable, presenceTable } = deps;

  const deleteRooms = (connectionId: string, rooms: Iterable<string>): Promise<void> =>
    batchWriteAll(
      documentClient,
      roomsTable,
      [...rooms].map((room) => ({ DeleteRequest: { Key: { room, connectionId } } })),
    );

  const leavePresence = (connectionId: string, userId: string) =>
    documentClient.send(
      new UpdateCommand({
        TableName: presenceTable,
        Key: { userId },
        UpdateExpression: 'DELETE connectionIds :ids SET updatedAt = :now',
        ExpressionAttributeValues: { ':ids': new Set([connectionId]), ':now': Date.now() },
      }),
    );

  return async (connectionId, hint) => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: connectionsTable, Key: { connectionId }, ConsistentRead: true }),
    );
    const row = Item as ConnectionRow | PendingConnectionRow | undefined;
    if (row === undefined) {
      if (hint?.userId !== undefined) await leavePresence(connectionId, hint.userId);
      return;
    }
    // A 410 during the handshake: the rows were written by a $connect that has not returned yet.
    if (hint?.reason === 'gone' && row.connectedAt > Date.now() - CONNECT_GRACE_MS) return;
    if (!('userId' in row) || typeof row.userId !== 'string') {
      await documentClient.send(new DeleteCommand({ TableName: connectionsTable, Key: { connectionId } }));
      return;
    }
    const rooms = new Set([roomOf.user(row.userId), ...(row.rooms ?? [])]);

    await Promise.all([deleteRooms(connectionId, rooms), leavePresence(connectionId, row.userId)]);

    const { Attributes } = await documentClient.send(
      new DeleteCommand({ TableName: connectionsTable, Key: { connectionId }, ReturnValues: 'ALL_OLD' }),
    );
    const joinedMeanwhile = [...((Attributes as ConnectionRow | undefined)?.rooms ?? [])].filter((room) => !rooms.has(room));
    if (joinedMeanwhile.length > 0) await deleteRooms(connectionId, joinedMeanwhile);
  };
}

/**
 * The identity behind a connection, from its Connections row (never from a
 * frame's body). Throws UNAUTHORIZED for an unknown connection, one still
 * waiting for its Socket.IO CONNECT, or one whose token has expired since
 * $connect (API Gateway only authenticates the upgrade).
 *
 * @example
 * const { userId } = await loadCaller({ documentClient, connectionsTable }, event.requestContext.connectionId);
 */
export async function loadCaller(
  deps: { documentClient: DynamoDBDocumentClient; connectionsTable: string; now?: () => number },
  connectionId: string,
): Promise<ConnectionRow> {
  // Strongly consistent: the first frame can follow $connect within milliseconds.
  const { Item } = await deps.documentClient.send(
    new GetCommand({ TableName: deps.connectionsTable, Key: { connectionId }, ConsistentRead: true }),
  );
  return callerOf(Item as ConnectionRow | PendingConnectionRow | undefined, (deps.now ?? Date.now)());
}

/** Thrown by callerOf when the connection's token has expired since it was verified. */
export class TokenExpiredError extends UnauthorizedError {
  constructor() {
    super('Token expired; reconnect with a fresh token');
    this.name = 'TokenExpiredError';
  }
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
  const nowSeconds = Math.floor(nowMs / 1000);
  if (row.tokenExpiresAt !== undefined && row.tokenExpiresAt < nowSeconds) throw new TokenExpiredError();
  return row;
}
