/**
 * `POST /publish` (HTTP API payload 2.0): what an existing backend
 * publishes, authorized by IAM (SigV4) at the gateway, so an unsigned or
 * wrongly signed call never reaches this function. The body is
 * `{type, data}` (domain/publisher.ts); errors are `{"error": {code, message}}`
 * with the status their class carries.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import { deleteConnection, deleteConnectionReturningOld, getConnection } from '../adapters/dynamodb/connection-store';
import { countParticipants, deleteMembership, getMembership, participantsOf, putMembershipIfAbsent } from '../adapters/dynamodb/membership-store';
import { createMessageStore } from '../adapters/dynamodb/message-store';
import { createPresenceStore } from '../adapters/dynamodb/presence-store';
import { roomJoinStores } from '../adapters/dynamodb/room-join-stores';
import { deleteRoomRows, roomMembers } from '../adapters/dynamodb/room-store';
import { createDocumentClient, createManagementClient } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { BadRequestError, ChatError, NotFoundError, PayloadTooLargeError, toClientError } from '../commons/errors';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { countPublisherCall } from '../commons/metrics';
import { createConnectionRemover } from '../domain/connections';
import { createUserStore } from '../adapters/dynamodb/user-store';
import { createPublisher, parsePublishRequest, publish, type Publisher } from '../domain/publisher';
import { createRoomJoiner } from '../domain/room-joins';
import { limitsFromEnv } from '../system/limits';
import type { PublishRouteKey } from '../system/topology';

/**
 * Largest publish body, in bytes: a message's content (4000 UTF-16 units,
 * up to 12 000 bytes of UTF-8) or 100 user ids, with the envelope around them.
 */
export const MAX_PUBLISH_BODY_BYTES = 32 * 1024;

const PUBLISH_ROUTE: PublishRouteKey = 'POST /publish';

function bodyOf(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '') throw new BadRequestError('A JSON body {type, data} is required');
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_PUBLISH_BODY_BYTES) throw new PayloadTooLargeError(`Body is ${bytes.length} bytes; at most ${MAX_PUBLISH_BODY_BYTES}`);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new BadRequestError('Body is not valid JSON', { cause: err });
  }
}

/**
 * Runs one publish request. Exported for tests.
 *
 * @example
 * await routePublishRequest(publisher, event); // { statusCode: 200, body: '{"messageId":"65f…",…}' }
 */
export async function routePublishRequest(publisher: Publisher, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const respond = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  try {
    if (event.routeKey !== PUBLISH_ROUTE) throw new NotFoundError(`No route ${event.routeKey}`);
    const request = parsePublishRequest(bodyOf(event), limits.maxChatParticipants);
    countPublisherCall(request.type);
    const result = await publish(publisher, request);
    return respond(200, result);
  } catch (err) {
    if (!(err instanceof ChatError)) logger.error('publish failed', { error: err as Error });
    return respond(err instanceof ChatError ? err.statusCode : 500, { error: toClientError(err) });
  }
}

const limits = limitsFromEnv();
const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'presenceTable', 'usersTable');
const connectionRows = { documentClient, connectionsTable: tables.connectionsTable };
const roomRows = { documentClient, roomsTable: tables.roomsTable };
const membershipRows = { documentClient, membershipsTable: tables.membershipsTable };
// Only what publishing performs: membership sync, message writes, and a broadcaster that removes gone connections.
const rooms = { members: roomMembers(roomRows), deleteAll: deleteRoomRows(roomRows) };
const removeConnection = createConnectionRemover({
  connections: { get: getConnection(connectionRows), delete: deleteConnection(connectionRows), deleteReturningOld: deleteConnectionReturningOld(connectionRows) },
  rooms,
  presence: createPresenceStore({ documentClient, presenceTable: tables.presenceTable }),
});
const publisher = createPublisher({
  messages: createMessageStore({ documentClient, messagesTable: tables.messagesTable, membershipsTable: tables.membershipsTable }),
  memberships: {
    get: getMembership(membershipRows),
    participantsOf: participantsOf(membershipRows),
    countParticipants: countParticipants(membershipRows),
    putIfAbsent: putMembershipIfAbsent(membershipRows),
    delete: deleteMembership(membershipRows),
  },
  users: createUserStore({ documentClient, usersTable: tables.usersTable }),
  broadcaster: new ManagementApiBroadcaster({ managementClient: createManagementClient(requireEnv(ENV.callbackUrl)), rooms, removeConnection }),
  maxChatsPerUser: limits.maxChatsPerUser,
  joiner: createRoomJoiner(roomJoinStores(documentClient, tables)),
});

export const handler = instrumentHandler((event: APIGatewayProxyEventV2) => routePublishRequest(publisher, event), {
  correlationIdOf: (event) => event.requestContext.requestId,
});
