/**
 * The HTTP API (payload format 2.0): chats and messages over the same domain
 * services as the WebSocket actions. Errors are `{"error": {code, message}}`
 * with the status their class carries.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  countMessage,
  countParticipants,
  deleteMembership,
  getMembership,
  membershipsOfUser,
  participantsOf,
  putMembershipIfAbsent,
  putMemberships,
  reopenWindow,
} from '../adapters/dynamodb/membership-store';
import { createMessageStore } from '../adapters/dynamodb/message-store';
import { createTokenVerifierFromEnv } from '../adapters/token-verifier';
import { createDocumentClient } from '../commons/clients';
import { ENV, optionalEnv, requireTableNames } from '../commons/env';
import { BadRequestError, ChatError, NotFoundError, RateLimitedError, toClientError, UnauthorizedError } from '../commons/errors';
import { logger } from '../commons/logger';
import { bearerToken } from '../adapters/api-gateway/http-headers';
import { createChatService, type ChatService } from '../domain/chats';
import { createMessageService, MAX_PAGE_SIZE, type MessageService } from '../domain/messages';
import {
  chatIdOf,
  clientMessageIdOf,
  contentOf,
  expectFields,
  messageIdOf,
  titleOf,
  userIdOf,
} from '../domain/validation';

export interface HttpApiDeps {
  chats: ChatService;
  messages: MessageService;
  verifyToken: (token: string) => Promise<{ userId: string }>;
  /** Allowed browser origin for CORS; unset: no CORS headers. */
  frontendUrl?: string;
}

interface RouteRequest {
  userId: string;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** The parsed JSON body (undefined when there is none). */
  body: unknown;
}

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

/** Route table: method, path pattern (named groups become params), handler. */
const routes: readonly { method: string; pattern: RegExp; run: RouteHandler }[] = [
  {
    method: 'POST',
    pattern: /^\/chats$/,
    async run(deps, { userId, body }) {
      const fields = expectFields(body, ['title', 'participants'], ['participants'], 'body');
      if (!Array.isArray(fields.participants)) throw new BadRequestError('body.participants must be an array of user ids');
      const participants = fields.participants.map((id, i) => userIdOf(id, `participants[${i}]`));
      return { statusCode: 201, body: await deps.chats.create(userId, { title: titleOf(fields.title), participants }) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/chats$/,
    run: async (deps, { userId }) => ({ statusCode: 200, body: { items: await deps.chats.listForUser(userId) } }),
  },
  {
    method: 'POST',
    pattern: /^\/chats\/(?<chatId>[^/]+)\/participants$/,
    async run(deps, { userId, params, body }) {
      const fields = expectFields(body, ['userId'], ['userId'], 'body');
      const added = await deps.chats.addParticipant(userId, chatIdOf(params.chatId), userIdOf(fields.userId));
      return { statusCode: 201, body: added };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/chats\/(?<chatId>[^/]+)\/participants\/(?<userId>[^/]+)$/,
    async run(deps, { userId, params }) {
      await deps.chats.removeParticipant(userId, chatIdOf(params.chatId), userIdOf(params.userId));
      return { statusCode: 204 };
    },
  },
  {
    method: 'POST',
    pattern: /^\/chats\/(?<chatId>[^/]+)\/messages$/,
    async run(deps, { userId, params, body }) {
      const fields = expectFields(body, ['content', 'clientMessageId'], ['content'], 'body');
      const message = await deps.messages.send(userId, {
        chatId: chatIdOf(params.chatId),
        content: contentOf(fields.content),
        ...(fields.clientMessageId !== undefined && { clientMessageId: clientMessageIdOf(fields.clientMessageId) }),
      });
      return { statusCode: 201, body: message };
    },
  },
  {
    method: 'GET',
    pattern: /^\/chats\/(?<chatId>[^/]+)\/messages$/,
    async run(deps, { userId, params, query }) {
      const limit = pageSizeOf(query.limit);
      const page = await deps.messages.list(userId, {
        chatId: chatIdOf(params.chatId),
        ...(limit !== undefined && { limit }),
        ...(query.before !== undefined && { before: messageIdOf(query.before, 'before') }),
        ...(query.after !== undefined && { after: messageIdOf(query.after, 'after') }),
        ...(query.changedAfter !== undefined && { changedAfter: messageIdOf(query.changedAfter, 'changedAfter') }),
      });
      return { statusCode: 200, body: page };
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/chats\/(?<chatId>[^/]+)\/messages\/(?<messageId>[^/]+)$/,
    async run(deps, { userId, params, body }) {
      const fields = expectFields(body, ['content'], ['content'], 'body');
      const message = await deps.messages.edit(userId, {
        chatId: chatIdOf(params.chatId),
        messageId: messageIdOf(params.messageId),
        content: contentOf(fields.content),
      });
      return { statusCode: 200, body: message };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/chats\/(?<chatId>[^/]+)\/messages\/(?<messageId>[^/]+)$/,
    async run(deps, { userId, params }) {
      await deps.messages.remove(userId, { chatId: chatIdOf(params.chatId), messageId: messageIdOf(params.messageId) });
      return { statusCode: 204 };
    },
  },
];

function parseBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequestError('Body is not valid JSON', { cause: err });
  }
}

function decodeParams(groups: Record<string, string> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(groups ?? {})) {
    try {
      params[key] = decodeURIComponent(value);
    } catch (err) {
      throw new BadRequestError(`Path parameter ${key} is not valid`, { cause: err });
    }
  }
  return params;
}

function corsHeaders(frontendUrl: string | undefined): Record<string, string> {
  if (frontendUrl === undefined) return {};
  return {
    'access-control-allow-origin': frontendUrl.replace(/\/+$/, ''),
    'access-control-allow-headers': 'authorization,content-type',
    'access-control-allow-methods': 'GET,POST,PATCH,DELETE,OPTIONS',
    'access-control-max-age': '600',
    // Lets a browser read how long a 429 asks it to wait.
    'access-control-expose-headers': 'retry-after',
    vary: 'Origin',
  };
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
 * Routes one HTTP API event. Exported for tests and for the local runtime's
 * HTTP adapter, which can pass its own deps.
 *
 * @example
 * const result = await routeHttpRequest(deps, event); // { statusCode: 201, body: '{"chatId":…}' }
 */
export async function routeHttpRequest(deps: HttpApiDeps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const cors = corsHeaders(deps.frontendUrl);
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath.replace(/\/+$/, '') || '/';
  if (method === 'OPTIONS') return { statusCode: 204, headers: cors };
  const respond = (statusCode: number, body?: unknown, extra: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 =>
    body === undefined
      ? { statusCode, headers: { ...cors, ...extra } }
      : { statusCode, headers: { 'content-type': 'application/json', ...cors, ...extra }, body: JSON.stringify(body) };
  try {
    const route = routes.find((candidate) => candidate.method === method && candidate.pattern.test(path));
    if (route === undefined) throw new NotFoundError(`No route ${method} ${path}`);
    const token = bearerToken(event.headers);
    if (token === undefined) throw new UnauthorizedError('Authorization: Bearer <token> is required');
    const { userId } = await deps.verifyToken(token);
    const params = decodeParams(route.pattern.exec(path)?.groups);
    const result = await route.run(deps, { userId, params, query: event.queryStringParameters ?? {}, body: parseBody(event) });
    return respond(result.statusCode, result.body);
  } catch (err) {
    if (!(err instanceof ChatError)) logger.error('http request failed', { error: err as Error, method, path });
    const status = err instanceof ChatError ? err.statusCode : 500;
    return respond(status, { error: toClientError(err) }, errorHeaders(err, status));
  }
}

const documentClient = createDocumentClient();
const tables = requireTableNames('membershipsTable', 'messagesTable');
const frontendUrl = optionalEnv(ENV.frontendUrl);
const membershipRows = { documentClient, membershipsTable: tables.membershipsTable };
// Only the operations the HTTP API performs (not typing, not the connection-time chat list).
const memberships = {
  get: getMembership(membershipRows),
  countMessage: countMessage(membershipRows),
  reopenWindow: reopenWindow(membershipRows),
  rowsOfUser: membershipsOfUser(membershipRows),
  participantsOf: participantsOf(membershipRows),
  countParticipants: countParticipants(membershipRows),
  putAll: putMemberships(membershipRows),
  putIfAbsent: putMembershipIfAbsent(membershipRows),
  delete: deleteMembership(membershipRows),
};
const deps: HttpApiDeps = {
  chats: createChatService({ memberships }),
  messages: createMessageService({ messages: createMessageStore({ documentClient, messagesTable: tables.messagesTable }), memberships }),
  verifyToken: createTokenVerifierFromEnv(),
  ...(frontendUrl !== undefined && { frontendUrl }),
};

export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => routeHttpRequest(deps, event);
