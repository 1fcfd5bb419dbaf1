/**
 * Which function serves which route and stream: the one description the CDK
 * stack and the local runtime both build from, so routes, handlers and
 * stream settings can't drift apart between AWS and a laptop.
 */
import { CALL_ACTIONS } from '../../protocol';
import { pingScheduleExpression, resolveHeartbeatConfig, type HeartbeatConfig } from './heartbeat';
import { connectionsTable, membershipsTable, messagesTable, presenceTable, roomsTable, usersTable, userItem, type TableDefinition } from './schema';

/** The Lambda functions, by logical name, with their handler module (relative to the repo root). */
export const functions = {
  connect: { entry: 'lambdas/handlers/connect.ts' },
  disconnect: { entry: 'lambdas/handlers/disconnect.ts' },
  actions: { entry: 'lambdas/handlers/actions.ts' },
  httpApi: { entry: 'lambdas/handlers/http-api.ts' },
  fanOut: { entry: 'lambdas/handlers/fan-out.ts' },
  heartbeat: { entry: 'lambdas/handlers/heartbeat.ts' },
  publish: { entry: 'lambdas/handlers/publish.ts' },
  slicePoster: { entry: 'lambdas/handlers/slice-poster.ts' },
} as const;
export type FunctionName = keyof typeof functions;

/** WebSocket route key → function. Route selection is `$request.body.action`. */
export const webSocketRoutes = {
  $connect: 'connect',
  $disconnect: 'disconnect',
  'user:typing': 'actions',
  'user:stop-typing': 'actions',
  'message:send': 'actions',
  'message:edit': 'actions',
  'message:delete': 'actions',
  'presence:query': 'actions',
  'user:status': 'actions',
  ...(Object.fromEntries(CALL_ACTIONS.map((action) => [action, 'actions'])) as Record<(typeof CALL_ACTIONS)[number], 'actions'>),
  'message:read': 'actions',
  $default: 'actions',
} as const satisfies Record<string, FunctionName>;
export type WebSocketRouteKey = keyof typeof webSocketRoutes;

/** Routes whose integration response is returned to the client (acks, error frames). */
export const routesReturningResponse: readonly WebSocketRouteKey[] = [
  'user:typing',
  'user:stop-typing',
  'message:send',
  'message:edit',
  'message:delete',
  'presence:query',
  'user:status',
  ...CALL_ACTIONS,
  'message:read',
  '$default',
];

export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';

/**
 * HTTP API routes, all served by the httpApi function, written once as API
 * Gateway route keys (`METHOD /path/{param}`): CDK creates exactly these,
 * the local HTTP API matches requests against them, and the handler
 * dispatches on the `routeKey` of the event (payload format 2.0).
 */
export const httpRouteKeys = [
  'POST /chats',
  'GET /chats',
  'GET /chats/{chatId}/participants',
  'POST /chats/{chatId}/participants',
  'PATCH /chats/{chatId}/participants/{userId}',
  'DELETE /chats/{chatId}/participants/{userId}',
  'GET /users/me/blocks',
  'PUT /users/me/blocks/{userId}',
  'DELETE /users/me/blocks/{userId}',
  'POST /chats/{chatId}/messages',
  'GET /chats/{chatId}/messages',
  'PATCH /chats/{chatId}/messages/{messageId}',
  'DELETE /chats/{chatId}/messages/{messageId}',
  'GET /presence',
  'PUT /users/me/status',
  'POST /chats/{chatId}/read',
  'GET /chats/{chatId}/reads',
] as const;
export type HttpRouteKey = (typeof httpRouteKeys)[number];
export type HttpMethod = HttpRouteKey extends `${infer M} ${string}` ? M : never;

/**
 * Routes of an existing backend (the publisher), served by the publish
 * function on the same HTTP API but authorized with IAM (SigV4): API
 * Gateway refuses unsigned and wrongly signed calls before any function
 * runs. Browsers never call them, so they are outside the CORS methods.
 */
export const publishRouteKeys = ['POST /publish'] as const;
export type PublishRouteKey = (typeof publishRouteKeys)[number];

/** A route key split into its method and path template. */
export interface HttpRoute {
  readonly routeKey: HttpRouteKey;
  readonly method: HttpMethod;
  readonly path: string;
}

export const httpRoutes: readonly HttpRoute[] = httpRouteKeys.map((routeKey) => {
  const [method, path] = routeKey.split(' ') as [HttpMethod, string];
  return { routeKey, method, path };
});

/** The publish routes split like httpRoutes. */
export const publishRoutes: readonly { readonly routeKey: PublishRouteKey; readonly method: 'POST'; readonly path: string }[] = publishRouteKeys.map(
  (routeKey) => ({ routeKey, method: 'POST', path: routeKey.slice('POST '.length) }),
);

/**
 * The HTTP API's CORS settings (API Gateway answers preflights and adds the
 * headers; the function never sees an OPTIONS request). CDK's corsPreflight
 * and the local HTTP API both read this; the allowed origins come from the
 * deployment (FRONTEND_URL).
 */
export const httpCors = {
  allowMethods: [...new Set(httpRoutes.map((route) => route.method))],
  allowHeaders: ['authorization', 'content-type'],
  /** Lets a browser read how long a 429 asks it to wait. */
  exposeHeaders: ['retry-after'],
  maxAgeSeconds: 3600,
} as const satisfies {
  allowMethods: readonly HttpMethod[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
};
export type HttpCorsSettings = typeof httpCors;

/**
 * A stream → function mapping, with the settings of a Lambda event source
 * mapping. `filters` are Lambda filter-criteria patterns (JSON), applied by
 * AWS and by the local poller alike.
 */
export interface StreamMapping {
  readonly table: TableDefinition;
  readonly function: FunctionName;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectBatchOnError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON';
  readonly filters: readonly Record<string, unknown>[];
}

const fanOutDefaults = {
  function: 'fanOut',
  batchSize: 100,
  maxBatchingWindowSeconds: 0,
  retryAttempts: 5,
  maxRecordAgeSeconds: 3600,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  startingPosition: 'LATEST',
} as const;

export const streamMappings: readonly StreamMapping[] = [
  {
    ...fanOutDefaults,
    table: messagesTable,
    // Only message rows and read markers (`message:read`), and only
    // user-visible changes: TTL deletes of idempotency markers and read
    // markers, and the idempotency markers themselves, never fan out.
    filters: [{ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { kind: { S: ['message', 'read'] } } } }],
  },
  {
    ...fanOutDefaults,
    table: presenceTable,
    filters: [{ eventName: ['INSERT', 'MODIFY', 'REMOVE'] }],
  },
  {
    ...fanOutDefaults,
    table: membershipsTable,
    // Joining, leaving and role changes only; typing-throttle and flood-limit
    // updates are MODIFYs that leave the role as it was.
    filters: [
      { eventName: ['INSERT', 'REMOVE'] },
      { eventName: ['MODIFY'], dynamodb: { OldImage: { role: { S: ['member'] } }, NewImage: { role: { S: ['owner'] } } } },
      { eventName: ['MODIFY'], dynamodb: { OldImage: { role: { S: ['owner'] } }, NewImage: { role: { S: ['member'] } } } },
    ],
  },
  {
    ...fanOutDefaults,
    table: usersTable,
    // Blocks made and lifted (the blocker's row); counter updates never fan out.
    filters: [{ eventName: ['INSERT', 'REMOVE'], dynamodb: { Keys: { sk: { S: [{ prefix: userItem.blockPrefix }] } } } }],
  },
  {
    ...fanOutDefaults,
    table: connectionsTable,
    // A new Socket.IO connection: the fan-out sends its Engine.IO open packet.
    // An open packet more than a minute late is useless (the client gives up
    // after 20 s), so few retries and the shortest record age Lambda allows.
    //
    // A connection removed by TTL (its $disconnect was lost): the fan-out
    // takes it out of the user's presence set, so the user can go offline.
    // User deletes ($disconnect, a 410) are dropped here: the remover has
    // already cleaned presence. This cleanup shares the open packet's 60 s /
    // 2 retries, on purpose: a second mapping would be the stream's second
    // (and last) reader, and a cleanup is only a GetItem and an UpdateItem,
    // so a burst of TTL deletes delays open packets little. The price: a
    // cleanup that fails 3 times within 60 s, or waits over 60 s behind a
    // lagging fan-out, goes to the on-failure queue, and the user looks
    // online until the record is replayed from it.
    batchSize: 10,
    retryAttempts: 2,
    maxRecordAgeSeconds: 60,
    filters: [
      { eventName: ['INSERT'], dynamodb: { NewImage: { protocol: { S: ['socket.io'] }, state: { S: ['pending'] } } } },
      { eventName: ['REMOVE'], userIdentity: { type: ['Service'] } },
    ],
  },
];

/**
 * The Socket.IO heartbeat, resolved once from the environment
 * (SOCKETIO_HEARTBEAT, SOCKETIO_PING_INTERVAL_MS, SOCKETIO_PING_TIMEOUT_MS;
 * see system/heartbeat.ts). CDK passes the same values to the functions that
 * announce or keep it (`heartbeatFunctions`), so they can't disagree.
 */
export const heartbeatConfig: HeartbeatConfig = resolveHeartbeatConfig();

/** Functions that need the heartbeat settings: the open packet announces them, the sweep keeps them. */
export const heartbeatFunctions: readonly FunctionName[] = ['fanOut', 'heartbeat'];

/** A function run on a schedule (EventBridge rule in CDK, a timer locally). */
export interface ScheduledFunction {
  readonly function: FunctionName;
  /** EventBridge `rate(...)` expression. */
  readonly scheduleExpression: string;
  /** The same period in ms, for the local runtime's timer. */
  readonly intervalMs: number;
}

/**
 * Scheduled functions. In `scheduled-ping` mode the heartbeat sweep pings
 * every Socket.IO connection each `pingInterval` and drops connections that
 * never sent their CONNECT; in `reconnect` mode there is no sweep.
 */
export const scheduledFunctions: readonly ScheduledFunction[] = ((): ScheduledFunction[] => {
  const expression = pingScheduleExpression(heartbeatConfig);
  return expression === undefined ? [] : [{ function: 'heartbeat', scheduleExpression: expression, intervalMs: heartbeatConfig.pingInterval }];
})();

/** Tables each function may touch, and how: least privilege in CDK, documentation locally. */
export const tableAccess: Record<FunctionName, readonly { table: TableDefinition; access: 'read' | 'readWrite' }[]> = {
  connect: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: membershipsTable, access: 'read' },
    { table: presenceTable, access: 'readWrite' },
  ],
  disconnect: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: presenceTable, access: 'readWrite' },
  ],
  actions: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: membershipsTable, access: 'readWrite' },
    { table: messagesTable, access: 'readWrite' },
    { table: presenceTable, access: 'readWrite' },
    { table: usersTable, access: 'read' },
  ],
  // Connections and rooms: creating a chat, adding or removing a participant moves their connections in or out of its room before answering.
  httpApi: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: membershipsTable, access: 'readWrite' },
    { table: messagesTable, access: 'readWrite' },
    { table: usersTable, access: 'readWrite' },
    // GET /presence, PUT /users/me/status.
    { table: presenceTable, access: 'readWrite' },
  ],
  fanOut: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: membershipsTable, access: 'read' },
    { table: presenceTable, access: 'readWrite' },
    { table: usersTable, access: 'read' },
  ],
  heartbeat: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: presenceTable, access: 'readWrite' },
  ],
  // Connections, rooms and presence: a slice's broadcast removes connections that are gone or expired.
  slicePoster: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: presenceTable, access: 'readWrite' },
  ],
  // Connections, rooms and presence: a custom event's broadcast removes connections that are gone.
  publish: [
    { table: connectionsTable, access: 'readWrite' },
    { table: roomsTable, access: 'readWrite' },
    { table: membershipsTable, access: 'readWrite' },
    { table: messagesTable, access: 'readWrite' },
    { table: presenceTable, access: 'readWrite' },
    // The chats-per-user counters: a synced membership counts like one made over the HTTP API.
    { table: usersTable, access: 'readWrite' },
  ],
};

/**
 * The fan-out's slice workers: a broadcast to more recipients than
 * FAN_OUT_SLICE_SIZE is split into slices, each posted by one synchronous
 * (RequestResponse) invoke of `function`, all awaited before the record is
 * done. `invokedBy` may invoke it (lambda:InvokeFunction on it alone) and
 * finds its name in `functionNameEnv`; locally a pool of worker threads
 * serves the same Invoke API.
 */
export const sliceWorkers = {
  function: 'slicePoster',
  invokedBy: 'fanOut',
  functionNameEnv: 'SLICE_POSTER_FUNCTION',
  /** The worker's own timeout: its posts time out after 5 s each and are not retried then. */
  timeoutSeconds: 20,
} as const satisfies { function: FunctionName; invokedBy: FunctionName; functionNameEnv: string; timeoutSeconds: number };

/** Functions that post to connections (execute-api:ManageConnections on the stage). */
export const managesConnections: readonly FunctionName[] = ['actions', 'fanOut', 'heartbeat', 'publish', 'slicePoster'];

/** Functions that verify JWTs (get the secret or the JWKS URL). */
export const verifiesTokens: readonly FunctionName[] = ['connect', 'actions', 'httpApi'];
