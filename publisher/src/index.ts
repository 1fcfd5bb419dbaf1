/**
 * lettera-realtime's publisher: what an existing backend calls after writing
 * to its own database, in the shapes of the Socket.IO `SocketHandler` it
 * replaces. Each call is one signed (SigV4, IAM) `POST /publish` to the
 * deployment's HTTP API, or to `npm start` with the development credential
 * it prints.
 *
 * @example
 * import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
 * import { createPublisher } from 'lettera-realtime/publisher';
 *
 * const realtime = createPublisher({ endpoint: process.env.LETTERA_HTTP_API_URL!, region: 'eu-west-1', credentials: fromNodeProviderChain() });
 * await realtime.broadcastNewMessage({ messageId: saved._id.toString(), chatId, senderId, content, timestamp: saved.timestamp.toISOString() });
 */
import { signRequest, type AwsCredentials, type CredentialsOption } from './sigv4';

export type { AwsCredentials, CredentialsOption } from './sigv4';

export interface PublisherOptions {
  /** Base URL of the HTTP API: the stack's `HttpApiUrl` output, or `npm start`'s HTTP API (http://127.0.0.1:3000). */
  readonly endpoint: string;
  /** The region the API is in (signed into every request); locally, the region `npm start` prints. */
  readonly region: string;
  /**
   * Static credentials, or a provider called before each request (it should
   * cache, as the SDK's providers do), e.g. `fromNodeProviderChain()`.
   */
  readonly credentials: CredentialsOption;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Abort a call after this many ms. @default 10000 */
  readonly timeoutMs?: number;
}

/** `broadcastNewMessage`'s argument: the original SocketHandler's, with the app's own ids. */
export interface NewMessage {
  readonly messageId: string;
  readonly chatId: string;
  readonly senderId: string;
  readonly content: string;
  /** The app's own time of the message. @default the time of the call */
  readonly timestamp?: string | Date;
}
export interface EditedMessage {
  readonly messageId: string;
  readonly chatId: string;
  readonly content: string;
  /** @default the time of the call */
  readonly editedAt?: string | Date;
}
export interface DeletedMessage {
  readonly messageId: string;
  readonly chatId: string;
  /** @default the time of the call */
  readonly deletedAt?: string | Date;
}

/** A message as stored and broadcast. */
export interface PublishedMessage {
  messageId: string;
  chatId: string;
  senderId: string;
  content: string;
  timestamp: string;
  editedAt?: string;
  deletedAt?: string;
  /** The chat position of the message's latest write (create, edit or delete). */
  seq: number;
}

/** What a custom event reached: connections it was posted to (0 when nobody is connected). */
export interface EmitResult {
  recipients: number;
  delivered: number;
}

/**
 * A refused or failed publish. `code` is the service's (`BAD_REQUEST`,
 * `NOT_FOUND`, `CONFLICT`, `PAYLOAD_TOO_LARGE`…), or `FORBIDDEN` when the
 * gateway refused the signature, `NETWORK` when no answer came.
 */
export class PublishError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
    this.status = status;
    this.code = code;
  }
}

/** The gateway's own refusals carry `{message}` only; they get a code from their status. */
const CODE_OF_STATUS: Record<number, string> = { 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 429: 'RATE_LIMITED' };

const iso = (value: string | Date | undefined): string | undefined => (value instanceof Date ? value.toISOString() : value);

export interface Publisher {
  /** Stores and broadcasts `message:new` to the chat; the same messageId again is answered, not sent twice. */
  broadcastNewMessage(message: NewMessage): Promise<PublishedMessage>;
  /** Stores and broadcasts `message:edited`. */
  broadcastMessageEdited(message: EditedMessage): Promise<PublishedMessage>;
  /** Soft-deletes and broadcasts `message:deleted`; deleting twice broadcasts once. */
  broadcastMessageDeleted(message: DeletedMessage): Promise<{ messageId: string; deletedAt: string }>;
  /** Makes the chat's participants exactly `userIds` (creating the chat when new); joins and leaves are broadcast. */
  setChatParticipants(chatId: string, userIds: readonly string[], options?: { title?: string }): Promise<{ chatId: string; added: string[]; removed: string[] }>;
  /** A custom, volatile event to every connection of a user (never stored, not replayed on reconnect). */
  emitToUser(userId: string, event: string, data?: unknown): Promise<EmitResult>;
  /** A custom, volatile event to every connection in a chat, except the user `except`. */
  emitToChat(chatId: string, event: string, data?: unknown, options?: { except?: string }): Promise<EmitResult>;
}

/**
 * Creates a publisher.
 *
 * @example
 * const realtime = createPublisher({ endpoint: 'http://127.0.0.1:3000', region: 'eu-west-1', credentials: { accessKeyId, secretAccessKey } });
 * await realtime.setChatParticipants('c1', ['alice', 'bob'], { title: 'Project' });
 * await realtime.emitToChat('c1', 'chat:pinned', { messageId: 'm1' }, { except: 'alice' });
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const url = new URL('publish', options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`);
  const doFetch = options.fetch ?? globalThis.fetch;
  const credentialsOf = async (): Promise<AwsCredentials> =>
    typeof options.credentials === 'function' ? options.credentials() : options.credentials;

  const call = async <T>(type: string, data: Record<string, unknown>): Promise<T> => {
    const body = JSON.stringify({ type, data });
    const headers = await signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, { credentials: await credentialsOf(), region: options.region });
    // fetch sets host itself, from the same URL.
    delete headers.host;
    let response: Response;
    try {
      response = await doFetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new PublishError(0, 'NETWORK', `POST ${url.href} failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    const error = (parsed as { error?: { code?: string; message?: string }; message?: string } | undefined) ?? {};
    const code = error.error?.code ?? CODE_OF_STATUS[response.status] ?? (response.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    throw new PublishError(response.status, code, error.error?.message ?? error.message ?? `HTTP ${response.status}`);
  };

  const withTime = <K extends string>(key: K, value: string | Date | undefined): { [P in K]?: string } =>
    (value === undefined ? {} : { [key]: iso(value) }) as { [P in K]?: string };

  return {
    broadcastNewMessage: (m) =>
      call('message:new', { messageId: m.messageId, chatId: m.chatId, senderId: m.senderId, content: m.content, ...withTime('timestamp', m.timestamp) }),
    broadcastMessageEdited: (m) => call('message:edited', { messageId: m.messageId, chatId: m.chatId, content: m.content, ...withTime('editedAt', m.editedAt) }),
    broadcastMessageDeleted: (m) => call('message:deleted', { messageId: m.messageId, chatId: m.chatId, ...withTime('deletedAt', m.deletedAt) }),
    setChatParticipants: (chatId, userIds, opts) =>
      call('participants:set', { chatId, userIds: [...userIds], ...(opts?.title !== undefined && { title: opts.title }) }),
    emitToUser: (userId, event, data) => call('emit:user', { userId, event, ...(data !== undefined && { data }) }),
    emitToChat: (chatId, event, data, opts) =>
      call('emit:chat', { chatId, event, ...(data !== undefined && { data }), ...(opts?.except !== undefined && { except: opts.except }) }),
  };
}
