/**
 * The broadcaster's transport: one PostToConnection, behind a small
 * interface so the hot path can skip the SDK client's middleware stack while
 * everything else (DeleteConnection, GetConnection, the open packet) keeps
 * using the client. Both posters fail the same way: errors named as the SDK
 * names them (GoneException, LimitExceededException, PayloadTooLargeException,
 * ForbiddenException) carrying smithy's `$fault` / `$retryable`, socket errors
 * with their `code`, and PostTimeoutError, so the broadcaster classifies them
 * without knowing which poster threw.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { createPostSigner, escapeUri, type PostSignerOptions } from './sigv4';

/** Sends one frame to one connection. */
export interface ConnectionPoster {
  /**
   * Resolves when API Gateway accepted the frame. Rejects with the error the
   * SDK would raise for the answer, a socket error (with its `code`), or a
   * PostTimeoutError once `timeoutMs` has passed; the request is then
   * abandoned, so a hung call never holds a slot past its timeout.
   */
  post(connectionId: string, data: Uint8Array, timeoutMs: number): Promise<void>;
}

/** A post attempt that outlived its timeout (the request may still be hanging). */
export class PostTimeoutError extends Error {
  constructor(connectionId: string, timeoutMs: number) {
    super(`PostToConnection to ${connectionId} timed out after ${timeoutMs} ms`);
    this.name = 'PostTimeoutError';
  }
}

/**
 * The SDK client's PostToConnection (the reference path, and what the
 * handlers other than the fan-out use; tests mock it with aws-sdk-client-mock).
 * The SDK's own requestTimeout is not enough: PostToConnection can hang past
 * it (aws-sdk-js-v3 #6896, #7632), so each attempt also races its own timer
 * and aborts the call when the timer wins.
 */
export function createSdkPoster(managementClient: ApiGatewayManagementApiClient): ConnectionPoster {
  return {
    async post(connectionId, data, timeoutMs) {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new PostTimeoutError(connectionId, timeoutMs);
          controller.abort(err);
          reject(err);
        }, timeoutMs);
      });
      try {
        await Promise.race([
          managementClient.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }), { abortSignal: controller.signal }),
          timedOut,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** One PostToConnection carried without a socket, and the API's answer to it. */
export interface PostTransport {
  send(request: { path: string; headers: OutgoingHttpHeaders; body: Uint8Array }): Promise<{ status: number; errorType?: string; body: string }>;
}

const transports = new Map<string, PostTransport>();

/**
 * Sends the posts of every HTTP poster created afterwards for `origin`
 * through `transport` instead of a socket: the local runtime's handler
 * workers reach their gateway over a MessagePort this way. Nothing calls
 * it in Lambda, where every post is an HTTPS request.
 *
 * @example
 * routePostsThrough('http://127.0.0.1:3001', channelTransport(port));
 */
export function routePostsThrough(origin: string, transport: PostTransport): void {
  transports.set(new URL(origin).origin, transport);
}

/** A non-2xx answer of the @connections API, named and flagged as the SDK would. */
export class PostStatusError extends Error {
  readonly statusCode: number;
  readonly $fault: 'client' | 'server';
  readonly $retryable?: { throttling: boolean };

  constructor(statusCode: number, body: string, errorType?: string) {
    super(`PostToConnection answered ${statusCode}${body === '' ? '' : `: ${body.slice(0, 200)}`}`);
    this.statusCode = statusCode;
    this.name = errorNameOf(statusCode, errorType);
    this.$fault = statusCode >= 500 ? 'server' : 'client';
    if (statusCode === 429) this.$retryable = { throttling: true };
  }
}

/**
 * The SDK's exception name for a status: the four the broadcaster acts on
 * by status (the API model's error shapes), otherwise API Gateway's
 * `x-amzn-ErrorType` (`Name:uri` trimmed), as the SDK's deserializer does.
 */
function errorNameOf(statusCode: number, errorType: string | undefined): string {
  switch (statusCode) {
    case 410:
      return 'GoneException';
    case 429:
      return 'LimitExceededException';
    case 413:
      return 'PayloadTooLargeException';
    case 403:
      return 'ForbiddenException';
  }
  const named = errorType?.split(':')[0]?.trim();
  if (named !== undefined && named !== '') return named;
  return statusCode >= 500 ? 'InternalServerError' : 'PostToConnectionError';
}

/**
 * encodeURIComponent plus `!'()*`, as the SDK encodes a path label
 * (smithy's extendedEncodeURIComponent), so both posters request, and
 * sign, the same path.
 */
export function encodePathLabel(label: string): string {
  return escapeUri(label);
}

/** Of an error answer's body, what is kept for the error's message (API Gateway's are a short JSON). */
const MAX_ERROR_BODY_CHARS = 1_024;

export interface HttpPosterOptions {
  /** The stage's callback URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}` (http:// locally). */
  endpoint: string;
  /** Sockets kept open to the endpoint; at least the posts in flight. */
  maxSockets: number;
  /** More options for the keep-alive agent (the bench passes its local TLS sink's certificate as `ca`). */
  agentOptions?: HttpsAgentOptions;
  /**
   * The headers of one post (the signed poster signs them here).
   * @default host, content-type and content-length only (unsigned: the bench's floor)
   */
  headersFor?: (request: { path: string; host: string; hostname: string; port?: number; protocol: string; data: Uint8Array }) => Promise<OutgoingHttpHeaders>;
}

/**
 * POST `/{stage}/@connections/{id}` on a keep-alive agent, one request per
 * post, nothing else on the way: the transport under the signed poster
 * (or the transport routePostsThrough registered for the endpoint's origin).
 * Abandoning a timed-out request uses a plain timer and `destroy()`, not an
 * AbortSignal: Node's signal wiring on a request costs about as much CPU as
 * the request itself (measured in `npm run bench`, section "hot post").
 */
export function createHttpPoster(options: HttpPosterOptions): ConnectionPoster {
  const url = new URL(options.endpoint);
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? undefined : Number(url.port);
  const basePath = url.pathname.replace(/\/+$/, '');
  const agentOptions = { ...options.agentOptions, keepAlive: true, maxSockets: options.maxSockets };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  // Looked up once: a transport is registered before the handler modules that create posters are imported.
  const transport = transports.get(url.origin);
  const headersFor =
    options.headersFor ??
    (async ({ host, data }: { host: string; data: Uint8Array }) => ({
      host,
      'content-type': 'application/octet-stream',
      'content-length': String(data.byteLength),
    }));

  return {
    post(connectionId, data, timeoutMs) {
      const path = `${basePath}/@connections/${encodePathLabel(connectionId)}`;
      return new Promise<void>((resolve, reject) => {
        let req: ClientRequest | undefined;
        let settled = false;
        const settle = (err?: unknown): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err === undefined) resolve();
          else reject(err);
        };
        // Covers the signing too (a credential provider could hang), as the SDK path's timer covers its whole call.
        const timer = setTimeout(() => {
          const err = new PostTimeoutError(connectionId, timeoutMs);
          settle(err);
          req?.destroy(err);
        }, timeoutMs);
        headersFor({ path, host: url.host, hostname: url.hostname, ...(port !== undefined && { port }), protocol: url.protocol, data }).then(
          (headers) => {
            if (settled) return;
            if (transport !== undefined) {
              transport.send({ path, headers, body: data }).then((answer) => {
                if (answer.status >= 200 && answer.status < 300) settle();
                else settle(new PostStatusError(answer.status, answer.body.slice(0, MAX_ERROR_BODY_CHARS), answer.errorType));
              }, settle);
              return;
            }
            req = send({ agent, method: 'POST', hostname: url.hostname, port, path, headers }, (res: IncomingMessage) => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) {
                // Accepted; the (empty) body is drained so the socket goes back to the pool.
                settle();
                res.resume();
                return;
              }
              let body = '';
              const fail = (): void => {
                const errorType = res.headers['x-amzn-errortype'];
                settle(new PostStatusError(status, body, Array.isArray(errorType) ? errorType[0] : errorType));
              };
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                if (body.length < MAX_ERROR_BODY_CHARS) body += chunk;
              });
              // 'close' follows the body's end and also a body cut short (reset, or destroyed by the
              // timer; Node then emits no 'error' on a response without listeners): the status stands.
              res.once('close', fail);
            });
            req.on('error', settle);
            req.end(data);
          },
          settle,
        );
      });
    },
  };
}

export interface SignedPosterOptions {
  /** The stage's callback URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}` (http:// locally). */
  endpoint: string;
  /** Credentials or their provider; pass the management client's, so both sign with the same, refreshed by the SDK. */
  credentials: PostSignerOptions['credentials'];
  /** The signing region or its provider; pass the management client's. */
  region: PostSignerOptions['region'];
  /** Sockets kept open to the endpoint; at least the posts in flight. */
  maxSockets: number;
  /** More options for the keep-alive agent. */
  agentOptions?: HttpsAgentOptions;
}

/**
 * PostToConnection without the SDK client: the request signed with SigV4
 * (service `execute-api`, the headers the client signs for this call minus
 * its telemetry ones) by the lean signer of `./sigv4`, which yields the
 * headers @smithy/signature-v4 would for the same request and second at a
 * fraction of its CPU, and sent on a keep-alive agent. What it skips is the
 * client's middleware stack, serializer and response deserializer, which
 * cost several times the signing itself. Not carried over: the SDK's
 * clock-skew correction (Lambda's clock is synchronised) and its per-call
 * X-Ray subsegment. Hashing is node:crypto's (the body's hash here, the
 * rest in the signer), so no SHA-256 constructor is taken.
 *
 * @example
 * const { credentials, region } = client.config;
 * const poster = createSignedPoster({ endpoint, credentials, region, maxSockets: 128 });
 * await poster.post('abc=', frame, 5000);
 */
export function createSignedPoster(options: SignedPosterOptions): ConnectionPoster {
  const sign = createPostSigner({ service: 'execute-api', region: options.region, credentials: options.credentials });
  // x-amz-content-sha256 (the body's hash) is sent and signed on every request; a broadcast
  // posts the same frame object to every recipient, so the hash is computed once per frame.
  const payloadHashes = new WeakMap<Uint8Array, string>();
  const payloadHashOf = (data: Uint8Array): string => {
    let hash = payloadHashes.get(data);
    if (hash === undefined) {
      hash = createHash('sha256').update(data).digest('hex');
      payloadHashes.set(data, hash);
    }
    return hash;
  };
  return createHttpPoster({
    endpoint: options.endpoint,
    maxSockets: options.maxSockets,
    ...(options.agentOptions !== undefined && { agentOptions: options.agentOptions }),
    headersFor: ({ path, host, data }) =>
      sign({ host, path, contentType: 'application/octet-stream', contentLength: data.byteLength, payloadHash: payloadHashOf(data) }),
  });
}

/**
 * The fan-out's poster for a management client: signed with the client's
 * own credential and region providers, i.e. the SDK's default chain (in
 * Lambda, the function role's credentials from its environment), resolved
 * once and refreshed by the SDK's memoization before they expire. Nothing
 * is read or stored here.
 *
 * @example
 * const poster = createHotPoster(createManagementClient(callbackUrl), callbackUrl, POST_CONCURRENCY);
 */
export function createHotPoster(managementClient: ApiGatewayManagementApiClient, endpoint: string, maxSockets: number): ConnectionPoster {
  const { credentials, region } = managementClient.config;
  return createSignedPoster({ endpoint, credentials, region, maxSockets });
}
