/**
 * The hot path's last step: one event to many connections through the
 * @connections management API, which has no multicast, so a broadcast to N
 * connections is exactly N PostToConnection calls. Everything here serves
 * that bound: frames encoded once per protocol, one shared in-flight limit,
 * retries only where they can help, and a dead recipient removed without
 * touching anyone else.
 */
import { DeleteConnectionCommand, GoneException, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../commons/backoff';
import { POST_CONCURRENCY } from '../../commons/clients';
import { logger } from '../../commons/logger';
import { toRoomAsListed } from '../../domain/recipients';
import { METRIC } from '../../commons/metric-names';
import { countBroadcast, countMetric } from '../../commons/metrics';
import type { EventEnvelope, WireProtocol } from '../../../protocol';
import { createLimiter, type Limiter } from '../../commons/concurrency';
import type { BroadcastOptions, BroadcastResult, ConnectionRemover, RoomBroadcaster, RoomMember, RoomStore } from '../../domain/ports';
import { splitExpired, type ExpiredCloser } from '../../domain/expiry';
import { createFrameCache } from '../../domain/wire';
import { createSdkPoster, type ConnectionPoster } from './poster';

/**
 * Time one PostToConnection attempt may take; past it the poster abandons
 * the request (see createSdkPoster for why the SDK's own timeout is not enough).
 */
export const POST_TIMEOUT_MS = 5_000;

/** How throttled or transient post failures are retried before they count as failed. */
export interface PostRetryPolicy {
  /** Attempts per recipient, the first included. @default 3 */
  readonly maxAttempts: number;
  /** First backoff delay in ms; doubles per attempt, full jitter, capped at 1 s. @default 50 */
  readonly baseDelayMs: number;
}

export const DEFAULT_POST_RETRY: PostRetryPolicy = { maxAttempts: 3, baseDelayMs: 50 };

export interface ManagementApiBroadcasterDeps {
  managementClient: ApiGatewayManagementApiClient;
  /**
   * How one post is sent (the fan-out's signed keep-alive poster).
   * @default the management client's PostToConnection
   */
  poster?: ConnectionPoster;
  /** Where a room's recipients are listed. */
  rooms: Pick<RoomStore, 'members'>;
  /** Called with a recipient's connection id when API Gateway says it is gone. */
  removeConnection: ConnectionRemover;
  /**
   * Called, after the posts, with the members whose token has expired (they
   * are never posted the event). Without it they are only skipped.
   */
  closeExpired?: ExpiredCloser;
  /**
   * Most PostToConnection calls in flight at once, across every broadcast of
   * this instance. Keep it at or below the HTTP agent's maxSockets.
   * @default POST_CONCURRENCY
   */
  concurrency?: number;
  /** @default POST_TIMEOUT_MS */
  postTimeoutMs?: number;
  /** @default DEFAULT_POST_RETRY */
  retry?: Partial<PostRetryPolicy>;
}

export { PostTimeoutError } from './poster';

type PostOutcome = 'delivered' | 'gone' | 'disconnected' | 'undeliverable' | 'failed';

/** Error names that mean "slow down": API Gateway's LimitExceeded and the generic throttling names. */
const THROTTLING_NAMES = new Set(['LimitExceededException', 'ThrottlingException', 'TooManyRequestsException']);
/** Timeouts (the SDK's requestTimeout, ours) and socket-level failures worth another attempt. */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'PostTimeoutError']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN']);

/** Our frame is over API Gateway's 128 KiB: no recipient can take it, no retry helps. */
function isTooLarge(err: unknown): boolean {
  return err instanceof Error && err.name === 'PayloadTooLargeException';
}

/**
 * Whether another attempt can help. Forbidden, PayloadTooLarge and other
 * client faults are final (retrying them only burns quota); so is anything
 * unrecognised. Matched by name and smithy's `$fault`/`$retryable`, never by
 * a `statusCode`, which SDK v3 errors do not carry.
 */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (THROTTLING_NAMES.has(err.name) || TIMEOUT_NAMES.has(err.name)) return true;
  const details = err as Error & { $fault?: string; $retryable?: { throttling?: boolean }; code?: string };
  if (details.$retryable?.throttling === true || details.$fault === 'server') return true;
  return details.code !== undefined && TRANSIENT_CODES.has(details.code);
}

/** Throttling by name or smithy's classification: counted as DeliveriesThrottled, per attempt. */
function isThrottled(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return THROTTLING_NAMES.has(err.name) || (err as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && TIMEOUT_NAMES.has(err.name);
}

function isGone(err: unknown): boolean {
  return err instanceof GoneException || (err instanceof Error && err.name === 'GoneException');
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/**
 * RoomBroadcaster over API Gateway's @connections API.
 *
 * Each recipient is posted independently, and what goes wrong with one
 * recipient stays that recipient's:
 * - GoneException (410) removes it (never anyone else): `gone`;
 * - throttling (429 LimitExceeded, e.g. its send buffer is full) and server
 *   faults (5xx) are retried with exponential backoff and full jitter; a
 *   recipient still failing after that, or whose post timed out (not
 *   retried: the chat's next event waits for this broadcast), is disconnected
 *   (DeleteConnection, then its rows removed): `disconnected`. It reconnects
 *   and recovers what it missed by its chat positions, so the record is not
 *   retried for it and the others are neither delayed nor sent it twice;
 * - PayloadTooLarge (413) means our frame is too big for anyone: logged as
 *   an error, not retried, nobody disconnected: `undeliverable` (a bug: the
 *   content limit keeps frames far below 128 KiB; retrying the record could
 *   not fix it and would hold up the chat's later events);
 * - Forbidden (403) and anything unrecognised are not about the recipient
 *   (a missing permission, a wrong stage): `failed`, so the caller retries
 *   the record once that is fixed.
 * Nothing throws for a post; only listing the room can throw.
 *
 * A chat room row with `afterSeq` (a Socket.IO connection that was replayed
 * the chat up to that position) gets only message events after it.
 *
 * @example
 * const broadcaster = new ManagementApiBroadcaster({ managementClient, rooms, removeConnection });
 * const result = await broadcaster.toRoom(roomOf.chat('c1'), envelope);
 * if (result.failed > 0) throw new Error('retry the record');
 */
export class ManagementApiBroadcaster implements RoomBroadcaster {
  readonly #deps: ManagementApiBroadcasterDeps;
  readonly #limit: Limiter;
  readonly #timeoutMs: number;
  readonly #retry: PostRetryPolicy;
  readonly #poster: ConnectionPoster;

  constructor(deps: ManagementApiBroadcasterDeps) {
    this.#deps = deps;
    this.#poster = deps.poster ?? createSdkPoster(deps.managementClient);
    this.#limit = createLimiter(deps.concurrency ?? POST_CONCURRENCY);
    this.#timeoutMs = deps.postTimeoutMs ?? POST_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_POST_RETRY, ...deps.retry };
  }

  async toRoom(room: string, envelope: EventEnvelope, options: BroadcastOptions = {}): Promise<BroadcastResult> {
    return toRoomAsListed(this, this.#deps.rooms, room, envelope, options);
  }

  async toMembers(members: readonly RoomMember[], envelope: EventEnvelope): Promise<BroadcastResult> {
    // A member whose token has expired hears nothing more; it is closed once the others are served.
    const { live, expired } = splitExpired(members, Date.now());
    // One post per connection even if the caller listed it twice.
    const unique = new Map<string, RoomMember>();
    for (const member of live) unique.set(member.connectionId, member);

    const frames = createFrameCache(envelope);
    const outcomes = await Promise.all(
      Array.from(unique.values(), (member) => this.#post(member, frames.get(member.protocol))),
    );

    const result: BroadcastResult = { recipients: unique.size, delivered: 0, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
    for (const outcome of outcomes) result[outcome] += 1;
    countBroadcast(envelope.event, result);
    if (result.delivered < result.recipients) {
      logger.info('broadcast incomplete', { event: envelope.event, id: envelope.id, ...result });
    }
    if (expired.length > 0) {
      logger.info('expired recipients skipped', { event: envelope.event, expired: expired.length });
      await this.#deps.closeExpired?.(expired);
    }
    return result;
  }

  async #post(member: RoomMember, data: Uint8Array): Promise<PostOutcome> {
    const { connectionId } = member;
    for (let attempt = 1; ; attempt++) {
      try {
        // The slot is held for the call only, not during backoff sleeps.
        await this.#limit(() => this.#poster.post(connectionId, data, this.#timeoutMs));
        return 'delivered';
      } catch (err) {
        if (isGone(err)) return this.#removeGone(member);
        if (isThrottled(err)) countMetric(METRIC.deliveriesThrottled);
        if (isTooLarge(err)) {
          logger.error('frame too large for PostToConnection', { connectionId, bytes: data.byteLength });
          return 'undeliverable';
        }
        if (!isRetryable(err)) {
          logger.warn('post failed', { connectionId, error: errorName(err), attempts: attempt });
          return 'failed';
        }
        // A post that hung for its whole timeout is not tried again: the chat's next event waits for this
        // broadcast, and another attempt could hold it up as long again.
        if (attempt >= this.#retry.maxAttempts || isTimeout(err)) return this.#disconnect(member, err, attempt);
        await sleep(backoffDelay(attempt - 1, this.#retry.baseDelayMs));
      }
    }
  }

  /**
   * Ends a recipient that keeps failing: it will reconnect and recover by
   * its positions. A failed DeleteConnection still removes its rows, so no
   * later broadcast waits on it; the client then notices the gap at the
   * next event it gets, or when API Gateway closes the idle connection.
   */
  async #disconnect(member: RoomMember, cause: unknown, attempts: number): Promise<PostOutcome> {
    const { connectionId, userId } = member;
    logger.warn('recipient kept failing; disconnecting it', { connectionId, error: errorName(cause), attempts });
    try {
      await this.#deps.managementClient.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (err) {
      if (!isGone(err)) logger.warn('disconnecting a failing recipient failed', { connectionId, error: errorName(err) });
    }
    try {
      await this.#deps.removeConnection(connectionId, userId === '' ? undefined : { userId });
    } catch (err) {
      logger.warn('removing a failing recipient failed', { connectionId, error: errorName(err) });
    }
    return 'disconnected';
  }

  async #removeGone(member: RoomMember): Promise<PostOutcome> {
    const { connectionId, userId } = member;
    try {
      // The room row's userId: presence is cleaned up even if the Connections row is already gone.
      await this.#deps.removeConnection(connectionId, { ...(userId !== '' && { userId }), reason: 'gone' });
    } catch (err) {
      // The post's outcome is known; a failed cleanup is retried by the next
      // 410 for this connection, or its rows expire by TTL.
      logger.warn('removing a gone connection failed', { connectionId, error: errorName(err) });
    }
    return 'gone';
  }
}
