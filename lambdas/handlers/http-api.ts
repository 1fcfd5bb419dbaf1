/**
 * The HTTP API (payload format 2.0): chats and messages over the same domain
 * services as the WebSocket actions. API Gateway matches the request to one
 * of topology's route keys and answers CORS preflights itself; this function
 * dispatches on the event's `routeKey` and reads `pathParameters`. Errors
 * are `{"error": {code, message}}` with the status their class carries.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import {
  countMessage,
  countOwners,
  countParticipants,
  chatIdsOfMember,
  deleteMembership,
  existingMemberships,
  getMembership,
  membershipsPageOfChat,
  membershipsPageOfUser,
  countParticipantsUpTo,
  moveRead,
  putMembershipIfAbsent,
  readsOf,
  putMemberships,
  reopenWindow,
  setMemberRole,
} from '../adapters/dynamodb/membership-store';
import { roomJoinStores } from '../adapters/dynamodb/room-join-stores';
import { createUserStore } from '../adapters/dynamodb/user-store';
import { presenceOfUsers, setPresenceStatus } from '../adapters/dynamodb/presence-store';
import { createMessageStore } from '../adapters/dynamodb/message-store';
import { createTokenVerifierFromEnv } from '../adapters/token-verifier';
import { createDocumentClient } from '../commons/clients';
import { requireTableNames } from '../commons/env';
import { BadRequestError, ChatError, NotFoundError, RateLimitedError, toClientError, UnauthorizedError } from '../commons/errors';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { actions } from '../domain/actions';
import { bearerToken } from '../adapters/api-gateway/http-headers';
import { createBlockService, type BlockService } from '../domain/blocks';
import { createChatService, type ChatService, type PageInput } from '../domain/chats';
import { createMessageService, MAX_PAGE_SIZE, type MessageService } from '../domain/messages';
import { createRoomJoiner } from '../domain/room-joins';
import { createReadMarker, createReadQueries, type MarkRead, type ReadQueries } from '../domain/reads';
import { withMessageMetrics } from '../domain/message-metrics';
import { presenceQueryUserIdsOf, queryPresence, type PresenceQueryDeps } from '../domain/presence-query';
import { parseStatus, setStatus, type StatusDeps } from '../domain/status';
import { appMessageIdOf, chatIdOf, expectFields, isPlainObject, messageIdOf, titleOf, userIdOf } from '../domain/validation';
import { limitsFromEnv } from '../system/limits';
import type { HttpRouteKey } from '../system/topology';
import type { ChatRole } from '../../protocol';

export interface HttpApiDeps {
  chats: ChatService;
  blocks: BlockService;
  messages: MessageService;
  /** GET /presence. */
  presence: PresenceQueryDeps;
  /** PUT /users/me/status. */
  status: StatusDeps;
  markRead: MarkRead;
  reads: ReadQueries;
  verifyToken: (token: string) => Promise<{ userId: string }>;
}

interface RouteRequest {
  userId: string;
  /** Path parameters as API Gateway decoded them. */
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** The parsed JSON body (undefined when there is none). */
  body: unknown;
  /** Milliseconds the invocation has left (Lambda's context), when known. */
  remainingMs?: () => number;
}

/** Time kept back from the invocation's remaining time to answer after a wait. */
const ANSWER_MARGIN_MS = 2_000;

interface RouteResult {
  statusCode: number;
  body?: unknown;
}

type RouteHandler = (deps: HttpApiDeps, request: RouteRequest) => Promise<RouteResult>;

function pageSizeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const size = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(size >= 1 && size <= MAX_PAGE_SIZE)) throw new BadRequestError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  return size;
}

/** A chat position cursor: a non-negative integer. */
function positionOf(value: string, name: string): number {
  const seq = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(seq)) throw new BadRequestError(`${name} must be a non-negative integer (a chat position)`);
  return seq;
}

/** `?limit=&cursor=` of a list route; the cursor is the id (chat or user) the previous page ended at. */
function pageOf(query: RouteRequest['query'], cursorOf: (value: unknown, name: string) => string): PageInput {
  const limit = pageSizeOf(query.limit);
  return { ...(limit !== undefined && { limit }), ...(query.cursor !== undefined && { cursor: cursorOf(query.cursor, 'cursor') }) };
}

/** A role as a request body gives it. */
function roleOf(value: unknown): ChatRole {
  if (value !== 'owner' && value !== 'member') throw new BadRequestError('body.role must be "owner" or "member"');
  return value;
}

/**
 * A message route's payload is its WebSocket action's `data`: the ids from
 * the path, the rest from the body, parsed by the action itself. The body
 * may not carry a field the path already gives.
 */
function actionData(body: unknown, fromPath: Record<string, string | undefined>): unknown {
  if (!isPlainObject(body)) return body; // The action's parser refuses it with "body must be an object".
  const clash = Object.keys(fromPath).filter((key) => Object.hasOwn(body, key));
  if (clash.length > 0) throw new BadRequestError(`body has unknown field(s): ${clash.join(', ')}`);
  return { ...body, ...fromPath };
}

/** The dispatch table: one handler per topology route key (the compiler checks none is missing or extra). */
export const routes: { readonly [K in HttpRouteKey]: RouteHandler } = {
  async 'POST /chats'(deps, { userId, body, remainingMs }) {
    const fields = expectFields(body, ['title', 'participants'], ['participants'], 'body');
    if (!Array.isArray(fields.participants)) throw new BadRequestError('body.participants must be an array of user ids');
    const participants = fields.participants.map((id, i) => userIdOf(id, `participants[${i}]`));
    // The room join may take what the invocation can spare (the default budget when unknown).
    const options = remainingMs === undefined ? {} : { joinBudgetMs: Math.max(0, remainingMs() - ANSWER_MARGIN_MS) };
    return { statusCode: 201, body: await deps.chats.create(userId, { title: titleOf(fields.title), participants }, options) };
  },
  'GET /chats': async (deps, { userId, query }) => ({
    statusCode: 200,
    body: await deps.reads.withUnread(userId, await deps.chats.listForUser(userId, pageOf(query, chatIdOf))),
  }),
  async 'GET /chats/{chatId}/participants'(deps, { userId, params, query }) {
    return { statusCode: 200, body: await deps.chats.participants(userId, chatIdOf(params.chatId), pageOf(query, userIdOf)) };
  },
  async 'POST /chats/{chatId}/participants'(deps, { userId, params, body }) {
    const fields = expectFields(body, ['userId'], ['userId'], 'body');
    const { added: _added, ...added } = await deps.chats.addParticipant(userId, chatIdOf(params.chatId), userIdOf(fields.userId));
    return { statusCode: 201, body: added };
  },
  async 'PATCH /chats/{chatId}/participants/{userId}'(deps, { userId, params, body }) {
    const fields = expectFields(body, ['role'], ['role'], 'body');
    return { statusCode: 200, body: await deps.chats.setRole(userId, chatIdOf(params.chatId), userIdOf(params.userId), roleOf(fields.role)) };
  },
  async 'DELETE /chats/{chatId}/participants/{userId}'(deps, { userId, params }) {
    await deps.chats.removeParticipant(userId, chatIdOf(params.chatId), userIdOf(params.userId));
    return { statusCode: 204 };
  },
  async 'POST /chats/{chatId}/messages'(deps, { userId, params, body }) {
    const data = actions['message:send'].parse(actionData(body, { chatId: params.chatId }), 'body');
    return { statusCode: 201, body: await deps.messages.send(userId, data) };
  },
  async 'GET /chats/{chatId}/messages'(deps, { userId, params, query }) {
    if (query.changedAfter !== undefined) throw new BadRequestError('changedAfter is no longer supported: pass afterSeq, the last chat position you hold (the seq of a message or event)');
    const limit = pageSizeOf(query.limit);
    const page = await deps.messages.list(userId, {
      chatId: chatIdOf(params.chatId),
      ...(limit !== undefined && { limit }),
      // Published messages keep the app's ids: the history cursors take those too.
      ...(query.before !== undefined && { before: appMessageIdOf(query.before, 'before') }),
      ...(query.after !== undefined && { after: appMessageIdOf(query.after, 'after') }),
      ...(query.afterSeq !== undefined && { afterSeq: positionOf(query.afterSeq, 'afterSeq') }),
    });
    return { statusCode: 200, body: page };
  },
  async 'PATCH /chats/{chatId}/messages/{messageId}'(deps, { userId, params, body }) {
    const data = actions['message:edit'].parse(actionData(body, { chatId: params.chatId, messageId: params.messageId }), 'body');
    return { statusCode: 200, body: await deps.messages.edit(userId, data) };
  },
  async 'DELETE /chats/{chatId}/messages/{messageId}'(deps, { userId, params }) {
    await deps.messages.remove(userId, actions['message:delete'].parse({ chatId: params.chatId, messageId: params.messageId }, 'path'));
    return { statusCode: 204 };
  },
  async 'POST /chats/{chatId}/read'(deps, { userId, params, body }) {
    const data = actions['message:read'].parse(actionData(body, { chatId: params.chatId }), 'body');
    return { statusCode: 200, body: await deps.markRead(userId, data) };
  },
  async 'GET /chats/{chatId}/reads'(deps, { userId, params, query }) {
    return { statusCode: 200, body: await deps.reads.positions(userId, chatIdOf(params.chatId), pageOf(query, userIdOf)) };
  },
  'GET /users/me/blocks': async (deps, { userId, query }) => ({ statusCode: 200, body: await deps.blocks.list(userId, pageOf(query, userIdOf)) }),
  async 'PUT /users/me/blocks/{userId}'(deps, { userId, params }) {
    await deps.blocks.block(userId, userIdOf(params.userId));
    return { statusCode: 204 };
  },
  async 'DELETE /users/me/blocks/{userId}'(deps, { userId, params }) {
    await deps.blocks.unblock(userId, userIdOf(params.userId));
    return { statusCode: 204 };
  },
  async 'GET /presence'(deps, { userId, query }) {
    const unknown = Object.keys(query).filter((name) => name !== 'userIds');
    if (unknown.length > 0) throw new BadRequestError(`unknown query parameter(s): ${unknown.slice(0, 5).join(', ')}`);
    if (query.userIds === undefined) throw new BadRequestError('userIds is required (comma-separated user ids)');
    return { statusCode: 200, body: await queryPresence(deps.presence, userId, presenceQueryUserIdsOf(query.userIds)) };
  },
  'PUT /users/me/status': async (deps, { userId, body }) => ({ statusCode: 200, body: await setStatus(deps.status, userId, parseStatus(body, 'body')) }),
};

function parseBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequestError('Body is not valid JSON', { cause: err });
  }
}

/** `www-authenticate` on a 401; `retry-after` (whole seconds, rounded up) when a rate limit says when to come back. */
function errorHeaders(err: unknown, status: number): Record<string, string> {
  if (status === 401) return { 'www-authenticate': 'Bearer' };
  if (err instanceof RateLimitedError && err.retryAfterMs !== undefined) {
    return { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) };
  }
  return {};
}

/**
 * Runs one HTTP API event: the route its `routeKey` names, after the bearer
 * token is verified. Exported for tests.
 *
 * @example
 * const result = await routeHttpRequest(deps, event); // { statusCode: 201, body: '{"chatId":…}' }
 */
export async function routeHttpRequest(deps: HttpApiDeps, event: APIGatewayProxyEventV2, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<APIGatewayProxyStructuredResultV2> {
  const { routeKey } = event;
  const respond = (statusCode: number, body?: unknown, extra: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 =>
    body === undefined
      ? { statusCode, ...(Object.keys(extra).length > 0 && { headers: extra }) }
      : { statusCode, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) };
  try {
    // Object.hasOwn: a route key like 'constructor' must not reach the prototype.
    const route = Object.hasOwn(routes, routeKey) ? routes[routeKey as HttpRouteKey] : undefined;
    if (route === undefined) throw new NotFoundError(`No route ${routeKey}`);
    const token = bearerToken(event.headers);
    if (token === undefined) throw new UnauthorizedError('Authorization: Bearer <token> is required');
    const { userId } = await deps.verifyToken(token);
    const result = await route(deps, {
      userId,
      params: event.pathParameters ?? {},
      query: event.queryStringParameters ?? {},
      body: parseBody(event),
      ...(context !== undefined && { remainingMs: () => context.getRemainingTimeInMillis() }),
    });
    return respond(result.statusCode, result.body);
  } catch (err) {
    if (!(err instanceof ChatError)) logger.error('http request failed', { error: err as Error, routeKey });
    const status = err instanceof ChatError ? err.statusCode : 500;
    return respond(status, { error: toClientError(err) }, errorHeaders(err, status));
  }
}

const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'membershipsTable', 'messagesTable', 'usersTable', 'presenceTable');
const membershipRows = { documentClient, membershipsTable: tables.membershipsTable };
// Only the operations the HTTP API performs (not typing, not the connection-time chat list).
const memberships = {
  get: getMembership(membershipRows),
  countMessage: countMessage(membershipRows),
  reopenWindow: reopenWindow(membershipRows),
  pageOfUser: membershipsPageOfUser(membershipRows),
  pageOfChat: membershipsPageOfChat(membershipRows),
  countParticipants: countParticipants(membershipRows),
  countOwners: countOwners(membershipRows),
  putAll: putMemberships(membershipRows),
  putIfAbsent: putMembershipIfAbsent(membershipRows),
  setRole: setMemberRole(membershipRows),
  delete: deleteMembership(membershipRows),
  chatIdsOfUser: chatIdsOfMember(membershipRows),
  whichExist: existingMemberships(membershipRows),
  moveRead: moveRead(membershipRows),
  readsOf: readsOf(membershipRows),
  countUpTo: countParticipantsUpTo(membershipRows),
};
const users = createUserStore({ documentClient, usersTable: tables.usersTable });
const joiner = createRoomJoiner(roomJoinStores(documentClient, tables));
const messages = createMessageStore({ documentClient, messagesTable: tables.messagesTable, membershipsTable: tables.membershipsTable });
const limits = limitsFromEnv();
const deps: HttpApiDeps = {
  chats: createChatService({
    memberships,
    users,
    joiner,
    maxParticipants: limits.maxChatParticipants,
    maxChatsPerUser: limits.maxChatsPerUser,
    changeRateLimit: limits.chatChangeRateLimit,
    changeRateWindowMs: limits.chatChangeRateWindowMs,
  }),
  blocks: createBlockService({ users }),
  messages: withMessageMetrics(
    createMessageService({ messages, memberships, rateLimit: { limit: limits.messageRateLimit, windowMs: limits.messageRateWindowMs } }),
  ),
  presence: { memberships, users, presence: { statusOf: presenceOfUsers({ documentClient, presenceTable: tables.presenceTable }) } },
  status: { presence: { setStatus: setPresenceStatus({ documentClient, presenceTable: tables.presenceTable }) } },
  markRead: createReadMarker({ messages, memberships, broadcastMaxMembers: limits.presenceBroadcastMaxMembers }),
  reads: createReadQueries({ messages, memberships }),
  verifyToken: createTokenVerifierFromEnv(),
};

export const handler = instrumentHandler((event: APIGatewayProxyEventV2, context?: Context) => routeHttpRequest(deps, event, context), {
  correlationIdOf: (event) => event.requestContext.requestId,
});
