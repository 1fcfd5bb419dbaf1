/**
 * Big rooms, posted by parallel workers: scatter-gather inside the
 * processing of one stream record. A broadcast to more recipients than the
 * slice size is split into slices (each connection in exactly one), each
 * slice is posted by a worker of its own, and the broadcast resolves only
 * once every slice is done, so the chat's next record starts after all of
 * them: every connection still receives a chat's events in order.
 *
 * A slice whose worker fails (could not run, crashed, timed out) is posted
 * again, that slice only, before the record moves on; posts are at least
 * once and clients drop what they already have (events carry ids and chat
 * positions). A slice that keeps failing counts its recipients as `failed`,
 * which fails the record like any retryable fault (stream-batch.ts): the
 * whole record is retried, nothing is lost or overtaken.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventEnvelope } from '../../../protocol';
import { backoffDelay } from '../../commons/backoff';
import { logger } from '../../commons/logger';
import type { BroadcastOptions, BroadcastResult, BroadcastSlice, RoomBroadcaster, RoomMember, RoomStore, SliceWorker } from '../ports';
import { toRoomAsListed } from '../recipients';

/** How a slice whose worker failed is tried again. */
export interface SliceRetryPolicy {
  /** Attempts per slice, the first included. @default 3 */
  readonly maxAttempts: number;
  /** First backoff delay in ms; doubles per attempt, full jitter, capped at 1 s. @default 100 */
  readonly baseDelayMs: number;
}

export const DEFAULT_SLICE_RETRY: SliceRetryPolicy = { maxAttempts: 3, baseDelayMs: 100 };

export interface SlicedBroadcasterDeps {
  /** Posts broadcasts of up to `sliceSize` recipients here, in this function. */
  readonly local: RoomBroadcaster;
  /** Where a room's recipients are listed. */
  readonly rooms: Pick<RoomStore, 'members'>;
  /** Posts one slice in a worker of its own. */
  readonly postSlice: SliceWorker;
  /** Most recipients per slice; a broadcast to more is sliced (FAN_OUT_SLICE_SIZE). */
  readonly sliceSize: number;
  /** @default DEFAULT_SLICE_RETRY */
  readonly retry?: Partial<SliceRetryPolicy>;
}

/**
 * Splits recipients into the fewest slices of at most `sliceSize`, as even
 * as possible (1,001 recipients at 250: five slices of 200 or 201, not four
 * of 250 and one of 1), each connection in exactly one slice even when it is
 * listed twice.
 *
 * @example
 * sliceMembers(members, 250).length; // 4 for 1,000 members
 */
export function sliceMembers(members: readonly RoomMember[], sliceSize: number): RoomMember[][] {
  if (!Number.isInteger(sliceSize) || sliceSize < 1) throw new RangeError(`sliceSize must be a positive integer, got ${JSON.stringify(sliceSize)}`);
  const unique = [...new Map(members.map((member) => [member.connectionId, member])).values()];
  const count = Math.ceil(unique.length / sliceSize);
  const slices: RoomMember[][] = [];
  for (let i = 0; i < count; i++) {
    slices.push(unique.slice(Math.floor((i * unique.length) / count), Math.floor(((i + 1) * unique.length) / count)));
  }
  return slices;
}

const EMPTY_RESULT: BroadcastResult = { recipients: 0, delivered: 0, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };

/** The results of the slices of one broadcast, summed. */
function sumResults(results: readonly BroadcastResult[]): BroadcastResult {
  const total = { ...EMPTY_RESULT };
  for (const result of results) {
    for (const key of Object.keys(total) as (keyof BroadcastResult)[]) total[key] += result[key];
  }
  return total;
}

/**
 * RoomBroadcaster that posts small rooms itself (through `local`) and
 * slices big ones across workers (`postSlice`), waiting for every slice.
 *
 * @example
 * const broadcaster = new SlicedBroadcaster({ local, rooms, postSlice: invokeSlicePoster, sliceSize: 250 });
 * await broadcaster.toRoom(roomOf.chat('c1'), envelope); // 1,000 members: four workers of 250
 */
export class SlicedBroadcaster implements RoomBroadcaster {
  readonly #deps: SlicedBroadcasterDeps;
  readonly #retry: SliceRetryPolicy;

  constructor(deps: SlicedBroadcasterDeps) {
    if (!Number.isInteger(deps.sliceSize) || deps.sliceSize < 1) {
      throw new RangeError(`sliceSize must be a positive integer, got ${JSON.stringify(deps.sliceSize)}`);
    }
    this.#deps = deps;
    this.#retry = { ...DEFAULT_SLICE_RETRY, ...deps.retry };
  }

  async toRoom(room: string, envelope: EventEnvelope, options: BroadcastOptions = {}): Promise<BroadcastResult> {
    return toRoomAsListed(this, this.#deps.rooms, room, envelope, options);
  }

  async toMembers(members: readonly RoomMember[], envelope: EventEnvelope): Promise<BroadcastResult> {
    if (members.length <= this.#deps.sliceSize) return this.#deps.local.toMembers(members, envelope);
    const slices = sliceMembers(members, this.#deps.sliceSize);
    // Gather: the record (and so the chat's next event) waits for every slice.
    const results = await Promise.all(slices.map((slice, index) => this.#post({ envelope, members: slice }, index, slices.length)));
    return sumResults(results);
  }

  /** Posts one slice, again while its worker fails; after the last attempt its recipients count as failed. */
  async #post(slice: BroadcastSlice, index: number, of: number): Promise<BroadcastResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#deps.postSlice(slice);
      } catch (err) {
        const details = { event: slice.envelope.event, id: slice.envelope.id, slice: index + 1, of, recipients: slice.members.length, attempt };
        const error = err instanceof Error ? { name: err.name, message: err.message } : String(err);
        if (attempt >= this.#retry.maxAttempts) {
          logger.error('slice failed for good: the record will be retried', { ...details, error });
          return { ...EMPTY_RESULT, recipients: slice.members.length, failed: slice.members.length };
        }
        logger.warn('slice failed, posting it again', { ...details, error });
        await sleep(backoffDelay(attempt - 1, this.#retry.baseDelayMs));
      }
    }
  }
}

/** A slice or a slice's result that is not what the other side sends (a bug, or a caller that is not the fan-out). */
export class MalformedSliceError extends Error {
  readonly code = 'MALFORMED_SLICE';

  constructor(message: string) {
    super(message);
    this.name = 'MalformedSliceError';
  }
}

const PROTOCOLS: ReadonlySet<string> = new Set(['lettera.v1', 'socket.io']);
const RESULT_KEYS = Object.keys(EMPTY_RESULT) as (keyof BroadcastResult)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMember(value: unknown): value is RoomMember {
  if (!isRecord(value)) return false;
  const { connectionId, userId, protocol, tokenExpiresAt, afterSeq } = value;
  return (
    typeof connectionId === 'string' &&
    connectionId !== '' &&
    typeof userId === 'string' &&
    typeof protocol === 'string' &&
    PROTOCOLS.has(protocol) &&
    (tokenExpiresAt === undefined || typeof tokenExpiresAt === 'number') &&
    (afterSeq === undefined || typeof afterSeq === 'number')
  );
}

/**
 * The slice a worker was invoked with, checked: an envelope with an event
 * name and an id, and at least one recipient, each a room member.
 *
 * @throws {MalformedSliceError} naming what is wrong
 */
export function parseBroadcastSlice(event: unknown): BroadcastSlice {
  if (!isRecord(event)) throw new MalformedSliceError('a slice must be an object {envelope, members}');
  const { envelope, members } = event;
  if (!isRecord(envelope) || typeof envelope.event !== 'string' || typeof envelope.id !== 'string') {
    throw new MalformedSliceError('slice.envelope must be an event envelope with event and id');
  }
  if (!Array.isArray(members) || members.length === 0) throw new MalformedSliceError('slice.members must be a non-empty array');
  const bad = members.findIndex((candidate) => !isMember(candidate));
  if (bad >= 0) throw new MalformedSliceError(`slice.members[${bad}] is not a room member {connectionId, userId, protocol}`);
  return { envelope: envelope as unknown as EventEnvelope, members: members as RoomMember[] };
}

/**
 * What a worker answered, checked: every count of a BroadcastResult, whole and not negative.
 *
 * @throws {MalformedSliceError}
 */
export function parseBroadcastResult(value: unknown): BroadcastResult {
  if (!isRecord(value) || !RESULT_KEYS.every((key) => Number.isSafeInteger(value[key]) && (value[key] as number) >= 0)) {
    throw new MalformedSliceError(`a slice worker answered something other than a broadcast result: ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return Object.fromEntries(RESULT_KEYS.map((key) => [key, value[key]])) as unknown as BroadcastResult;
}
