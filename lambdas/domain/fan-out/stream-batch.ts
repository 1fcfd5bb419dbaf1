/**
 * The stream fan-out: one batch of DynamoDB stream records (Messages,
 * Presence, Memberships, and from Connections new Socket.IO connections and
 * TTL deletes) in Lambda's event shape → broadcasts, room changes, Engine.IO
 * open packets and presence cleanup, with partial batch failures reported by
 * sequence number.
 *
 * Ordering: records are grouped by table and partition key (a chat's
 * messages, a user's presence); groups run concurrently, records inside a
 * group run in stream order (a chat's messages: in position order, see
 * inPositionOrder). Once a record of a group fails, the group's
 * later records are reported as failed without being processed: Lambda
 * resumes from the lowest failed sequence number anyway, and skipping them
 * keeps an edit from overtaking the message it edits.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../../commons/logger';
import { connectionsTable, membershipsTable, messagesTable, presenceTable, usersTable } from '../../system/schema';
import { mapWithConcurrency } from '../../commons/concurrency';
import { blockEventOf } from './blocks';
import { applyMembershipChanges, changeTimeOf, fanOutMembership, membershipChangeOf, type MembershipChange, type MembershipFanOutDeps } from './memberships';
import { messageEventOf } from './messages';
import { observeRecord } from './observe-record';
import { fanOutPresence, withBatchReads, type PresenceFanOutDeps } from './presence';
import { readEventOf } from './reads';
import { toOthersInRoom } from '../room-others';
import { toRoomAsListed } from '../recipients';
import { imageOf, isServiceChange, MalformedRecordError, optionalString, requireString, tableNameOfStreamArn } from './records';
import type { BroadcastResult, ConnectionRemover, RoomBroadcaster } from '../ports';

export { MalformedRecordError } from './records';

export interface FanOutDeps extends Omit<MembershipFanOutDeps, 'broadcaster' | 'memberships'>, Omit<PresenceFanOutDeps, 'rooms' | 'broadcaster' | 'memberships'> {
  rooms: MembershipFanOutDeps['rooms'] & PresenceFanOutDeps['rooms'];
  memberships: MembershipFanOutDeps['memberships'] & PresenceFanOutDeps['memberships'];
  broadcaster: RoomBroadcaster;
  /** Physical table names, as the functions' environment carries them. */
  connectionsTable: string;
  roomsTable: string;
  membershipsTable: string;
  messagesTable: string;
  presenceTable: string;
  usersTable: string;
  /**
   * Sends the Engine.IO open packet to a new Socket.IO connection (retrying
   * while API Gateway has not registered it yet) and removes it when it is
   * gone for good. Required once the Connections stream is mapped.
   */
  openSocketIo?: (connectionId: string) => Promise<void>;
  /**
   * Removes a connection (createConnectionRemover). The fan-out calls it for
   * a Connections row that TTL deleted, with the row's userId: the row is
   * gone, so the remover only takes the connection id out of that user's
   * presence set. Required once the Connections stream is mapped.
   */
  removeConnection?: ConnectionRemover;
}

/** Groups (chats, users) processed at once; each may itself post to many connections. */
const GROUP_CONCURRENCY = 10;

/**
 * A broadcast with posts that failed for a reason that is not the
 * recipient's (a 403: a missing permission, a wrong stage): the record is
 * retried by Lambda. A recipient that keeps failing is disconnected by the
 * broadcaster instead (it recovers by its positions), so it never fails the
 * record, and never delays the chat's later records for the others.
 */
export class UndeliveredError extends Error {
  readonly code = 'UNDELIVERED';
  readonly result: BroadcastResult;

  constructor(result: BroadcastResult) {
    super(`${result.failed} of ${result.recipients} post(s) failed`);
    this.name = 'UndeliveredError';
    this.result = result;
  }
}

type Source = 'messages' | 'presence' | 'memberships' | 'connections' | 'users';

/** Partition key attribute per source: records sharing it are processed in order. */
const partitionKeyOf: Record<Source, string> = {
  messages: messagesTable.partitionKey.name,
  presence: presenceTable.partitionKey.name,
  memberships: membershipsTable.partitionKey.name,
  connections: connectionsTable.partitionKey.name,
  users: usersTable.partitionKey.name,
};

/**
 * Which table a record comes from, by the table name inside its
 * eventSourceARN compared with the configured names (key shapes overlap:
 * Messages and Memberships are both keyed by chatId). An unknown source is
 * malformed, so a miswired mapping is reported, not silently dropped.
 */
function sourceOf(deps: FanOutDeps, record: DynamoDBRecord): Source {
  const table = tableNameOfStreamArn(record.eventSourceARN);
  if (table === deps.messagesTable) return 'messages';
  if (table === deps.presenceTable) return 'presence';
  if (table === deps.membershipsTable) return 'memberships';
  if (table === deps.connectionsTable) return 'connections';
  if (table === deps.usersTable) return 'users';
  throw new MalformedRecordError(`record from an unknown source: ${String(record.eventSourceARN)}`);
}

/**
 * Processes one record. Presence records and message events use
 * `batchReads`, the batch's deps that read each chat's size and room once
 * per batch (withBatchReads); every other record reads per record. For a
 * chat's messages that one read serves each of them as its own would: every
 * message of the batch was committed before the batch was read, so the room
 * already holds each join that returned before it was sent (room-joins.ts).
 * When the fan-out falls behind, a batch carries several messages of a big
 * chat, and this spares a Query of the whole room per message.
 */
async function processRecord(
  deps: FanOutDeps,
  batchReads: PresenceFanOutDeps,
  source: Source,
  record: DynamoDBRecord,
): Promise<BroadcastResult | undefined> {
  let result: BroadcastResult | undefined;
  switch (source) {
    case 'messages': {
      const read = readEventOf(record);
      if (read !== undefined) {
        result = await toOthersInRoom(deps, read.readerId, read.room, read.envelope);
        break;
      }
      const event = messageEventOf(record);
      if (event !== undefined) result = await toRoomAsListed(deps.broadcaster, batchReads.rooms, event.room, event.envelope);
      break;
    }
    case 'presence':
      result = await fanOutPresence(batchReads, record);
      break;
    case 'memberships':
      result = await fanOutMembership(deps, record);
      break;
    case 'users': {
      const event = blockEventOf(record);
      if (event !== undefined) result = await deps.broadcaster.toRoom(event.room, event.envelope);
      break;
    }
    case 'connections':
      if (record.eventName === 'REMOVE') await removeExpiredConnection(deps, record);
      else await openSocketIoConnection(deps, record);
      break;
  }
  return failOnUndelivered(result);
}

/** Gone and disconnected recipients are done with; only faults a retry can fix fail the record (or step). */
function failOnUndelivered(result: BroadcastResult | undefined): BroadcastResult | undefined {
  if (result !== undefined && result.failed > 0) throw new UndeliveredError(result);
  return result;
}

/** The mapping's filter passes INSERTs of pending Socket.IO connections here. */
async function openSocketIoConnection(deps: FanOutDeps, record: DynamoDBRecord): Promise<void> {
  const image = imageOf(record.dynamodb?.NewImage) ?? imageOf(record.dynamodb?.Keys);
  if (image === undefined) throw new MalformedRecordError('connection record without image or keys');
  if (deps.openSocketIo === undefined) throw new MalformedRecordError('Connections record but no open-packet sender configured');
  await deps.openSocketIo(requireString(image, 'connectionId'));
}

/**
 * A Connections row removed by TTL: its `$disconnect` was lost and no post
 * ever got a 410, so the connection id is still in the user's presence set
 * (room rows expire by their own TTL). The remover, given the old image's
 * userId and finding no row, takes it out of the set; the Presence stream
 * then sends `user:offline` if the set is empty. A user delete (not
 * DynamoDB's) comes from the remover itself, which has already done this;
 * a row without userId (a pending Socket.IO connection, a recovery session)
 * was never in a presence set.
 */
async function removeExpiredConnection(deps: FanOutDeps, record: DynamoDBRecord): Promise<void> {
  if (!isServiceChange(record)) return;
  const oldImage = imageOf(record.dynamodb?.OldImage);
  // The stream must carry old images (schema.ts); without one the user is unknown.
  if (oldImage === undefined) throw new MalformedRecordError('Connections REMOVE without an old image');
  const userId = optionalString(oldImage, 'userId');
  if (userId === undefined) return;
  const connectionId = requireString(imageOf(record.dynamodb?.Keys) ?? oldImage, 'connectionId');
  if (deps.removeConnection === undefined) throw new MalformedRecordError('Connections REMOVE but no connection remover configured');
  await deps.removeConnection(connectionId, { userId });
}

/** Records processed in order; `unusable` when the source could not be determined. */
type Grouped =
  | { source: Source; records: DynamoDBRecord[] }
  | { unusable: { error: unknown }; records: DynamoDBRecord[] };

function groupRecords(deps: FanOutDeps, records: readonly DynamoDBRecord[]): Grouped[] {
  const groups = new Map<string, Grouped>();
  records.forEach((record, index) => {
    let source: Source;
    try {
      source = sourceOf(deps, record);
    } catch (error) {
      groups.set(`#unknown:${index}`, { unusable: { error }, records: [record] });
      return;
    }
    const key = record.dynamodb?.Keys?.[partitionKeyOf[source]]?.S;
    // Read markers have no chat position: a group of their own, so a chat's messages stay sorted by position.
    const kind = source === 'messages' && record.dynamodb?.NewImage?.kind?.S === 'read' ? 'reads' : source;
    // A record without its key cannot be ordered with others; it stands alone.
    const groupKey = key === undefined ? `#nokey:${index}` : `${kind}:${key}`;
    const group = groups.get(groupKey) ?? { source, records: [] as DynamoDBRecord[] };
    group.records.push(record);
    groups.set(groupKey, group);
  });
  for (const group of groups.values()) {
    if ('source' in group && group.source === 'messages') group.records = inPositionOrder(group.records);
  }
  return [...groups.values()];
}

/** The chat position a Messages record carries (NewImage.seq), if any. */
function positionOf(record: DynamoDBRecord): number | undefined {
  const seq = record.dynamodb?.NewImage?.seq?.N;
  return seq === undefined ? undefined : Number(seq);
}

/**
 * A chat's records in position order. DynamoDB Streams orders the records
 * of one item, but the records of different items written by successive
 * transactions may interleave, so a batch can hold position n + 1 before n;
 * sending them by position keeps live delivery in order within a batch (the
 * clients' gap rule covers the rest). Records without a position keep their
 * stream order (the sort is stable and leaves them be when any lacks one).
 */
function inPositionOrder(records: DynamoDBRecord[]): DynamoDBRecord[] {
  const positions = records.map(positionOf);
  if (positions.some((seq) => seq === undefined || Number.isNaN(seq))) return records;
  return records
    .map((record, i) => ({ record, seq: positions[i] as number }))
    .sort((a, b) => a.seq - b.seq)
    .map(({ record }) => record);
}

function sequenceNumberOf(record: DynamoDBRecord): string {
  // An empty identifier makes Lambda retry the whole batch: nothing is lost.
  return record.dynamodb?.SequenceNumber ?? '';
}

function logFailure(record: DynamoDBRecord, err: unknown, skipped = false): void {
  const details = {
    sequenceNumber: sequenceNumberOf(record),
    eventID: record.eventID,
    eventName: record.eventName,
    eventSourceARN: record.eventSourceARN,
    error: err instanceof Error ? { name: err.name, message: err.message } : String(err),
  };
  if (skipped) logger.warn('record skipped after an earlier failure of its key', details);
  else logger.error('record failed', details);
}

/** Records of a group applied together, in stream order: they succeed or fail together. */
interface Step {
  records: DynamoDBRecord[];
  run: () => Promise<BroadcastResult | undefined>;
}

/**
 * A group's records as steps: one per record, except that consecutive
 * joins (or consecutive leaves) of one chat become one step, so a chat
 * created with 1,000 participants is one join of 1,000 users (concurrent
 * lookups, batched writes; room-joins.ts), not 1,000 joins one after
 * another. Only same-kind neighbours merge, so a user's join and later
 * leave keep their order. A record that means nothing (a MODIFY of a
 * counter) rides along with the step before it; a malformed one stands
 * alone, so it fails alone (with those after it).
 */
function stepsOf(deps: FanOutDeps, batchReads: PresenceFanOutDeps, source: Source, records: readonly DynamoDBRecord[]): Step[] {
  const single = (record: DynamoDBRecord): Step => ({ records: [record], run: () => processRecord(deps, batchReads, source, record) });
  if (source !== 'memberships') return records.map(single);
  const steps: Step[] = [];
  let open: { changes: MembershipChange[]; step: Step } | undefined;
  for (const record of records) {
    let change: MembershipChange | undefined;
    try {
      change = membershipChangeOf(record);
    } catch {
      open = undefined;
      steps.push(single(record));
      continue;
    }
    if (change === undefined) {
      const previous = steps.at(-1);
      if (previous === undefined) steps.push({ records: [record], run: async () => undefined });
      else previous.records.push(record);
      continue;
    }
    const head = open?.changes[0];
    if (open !== undefined && head !== undefined && change.kind !== 'role' && head.kind === change.kind && head.chatId === change.chatId && open.step === steps.at(-1)) {
      open.changes.push(change);
      open.step.records.push(record);
      continue;
    }
    const changes = [change];
    const ts = changeTimeOf(record);
    const step: Step = { records: [record], run: async () => failOnUndelivered(await applyMembershipChanges(deps, changes, ts)) };
    open = { changes, step };
    steps.push(step);
  }
  return steps;
}

/**
 * Processes one stream batch and returns the records to retry. Records that
 * threw (malformed, DynamoDB errors after the SDK's retries) or whose
 * broadcast left failed posts are reported; the rest are done. When every
 * record fails, every one is reported (rather than throwing): Lambda then
 * retries the batch from the first record, bisecting it, and the
 * maxRecordAge / retry limits send a poison record to the on-failure queue.
 *
 * @example
 * export const handler = (event: DynamoDBStreamEvent) => processStreamBatch(deps, event);
 * // → { batchItemFailures: [{ itemIdentifier: '4200000000000000000042' }] }
 */
export async function processStreamBatch(deps: FanOutDeps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const records = event.Records ?? [];
  const failed = new Set<DynamoDBRecord>();
  const batchReads = withBatchReads<PresenceFanOutDeps>(deps);

  await mapWithConcurrency(groupRecords(deps, records), GROUP_CONCURRENCY, async (group) => {
    if ('unusable' in group) {
      for (const record of group.records) {
        failed.add(record);
        logFailure(record, group.unusable.error);
      }
      return;
    }
    let earlier: { error: unknown } | undefined;
    for (const step of stepsOf(deps, batchReads, group.source, group.records)) {
      if (earlier !== undefined) {
        for (const record of step.records) {
          failed.add(record);
          logFailure(record, earlier.error, true);
        }
        continue;
      }
      try {
        // A merged step is observed (age, duration, one log line) under its first record.
        await observeRecord(step.records[0] as DynamoDBRecord, group.source, step.run);
      } catch (error) {
        earlier = { error };
        for (const record of step.records) {
          failed.add(record);
          logFailure(record, error);
        }
      }
    }
  });

  if (failed.size > 0) {
    logger.warn('batch partially failed', { records: records.length, failed: failed.size });
  }
  // Reported in stream order, so the lowest sequence number comes first.
  return { batchItemFailures: records.filter((record) => failed.has(record)).map((record) => ({ itemIdentifier: sequenceNumberOf(record) })) };
}
