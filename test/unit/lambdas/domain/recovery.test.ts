import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageRow } from '../../../../lambdas/domain/ports';
import { missedEvents, missedEventsOf, replayStarts } from '../../../../lambdas/domain/recovery';
import { createDynamoStores } from '../../../helpers/dynamo-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const deps = createDynamoStores(documentClient, { connectionsTable: 'Connections', messagesTable: 'Messages' });
/** The client holds positions up to 10. */
const AFTER = 10;

function row(messageId: string, createdSeq: number, extra: Partial<MessageRow> = {}): MessageRow {
  return { chatId: 'c1', messageId, seq: createdSeq, createdSeq, kind: 'message', senderId: 'bob', content: 'text', createdAt: '2025-11-27T00:40:00.000Z', ...extra };
}

afterEach(() => {
  ddb.reset();
});

describe('Function: missedEventsOf', () => {
  it.each([
    ['a new message', row('m', 11), [['message:new', 'c1:11']]],
    ['a new message edited since', row('m', 11, { seq: 14, editedAt: '2025-11-27T00:41:00.000Z', content: 'edited' }), [['message:new', 'c1:11'], ['message:edited', 'c1:14']]],
    ['a new message deleted since', row('m', 11, { seq: 14, deletedAt: '2025-11-27T00:41:00.000Z', content: '' }), [['message:new', 'c1:11'], ['message:deleted', 'c1:14']]],
    ['an older message edited', row('m', 3, { seq: 14, editedAt: '2025-11-27T00:41:00.000Z' }), [['message:edited', 'c1:14']]],
    ['an older message deleted', row('m', 3, { seq: 14, deletedAt: '2025-11-27T00:41:00.000Z', deletedBy: 'bob' }), [['message:deleted', 'c1:14']]],
  ])('replays %s as the events at its positions after the client\'s', (_name, message, expected) => {
    // Act
    const events = missedEventsOf(message, AFTER);

    // Assess
    expect(events.map((event) => [event.event, event.id])).toEqual(expected);
    expect(events.map((event) => event.seq)).toEqual(expected.map(([, id]) => Number((id as string).split(':')[1])));
  });

  it('leaves out the positions after `upTo` (they reach the client live)', () => {
    // Prepare: created at 11, edited at 14; the client joins live after 12.
    const message = row('m', 11, { seq: 14, editedAt: '2025-11-27T00:41:00.000Z', content: 'edited' });

    // Act
    const events = missedEventsOf(message, AFTER, 12);

    // Assess
    expect(events.map((event) => event.id)).toEqual(['c1:11']);
  });
});

describe('Function: missedEvents', () => {
  it('gives up (undefined) beyond the replay limit, so the session is not recovered', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [row('a', 11), row('b', 12), row('c', 13)] });

    // Act
    const events = await missedEvents(deps, [{ chatId: 'c1', afterSeq: AFTER, upTo: 13 }], 2);

    // Assess
    expect(events).toBeUndefined();
  });

  it('reads every page of each chat from the bySeq index, each chat in position order, and skips chats with nothing to replay', async () => {
    // Prepare: c1 has an edit of an older message (position 13) on its second page.
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':chatId': 'c1', ':afterSeq': AFTER } })
      .resolvesOnce({ Items: [row('a', 11)], LastEvaluatedKey: { chatId: 'c1', seq: 11, messageId: 'a' } })
      .resolvesOnce({ Items: [row('b', 12), row('old', 2, { seq: 13, editedAt: '2025-11-27T00:41:00.000Z' })] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':chatId': 'c2', ':afterSeq': 0 } }).resolves({ Items: [row('x', 1, { chatId: 'c2' })] });

    // Act
    const events = await missedEvents(deps, [
      { chatId: 'c1', afterSeq: AFTER, upTo: 13 },
      { chatId: 'c2', afterSeq: 0, upTo: 1 },
      { chatId: 'c3', afterSeq: 5, upTo: 5 },
    ]);

    // Assess
    expect(events?.map((event) => event.id)).toEqual(['c1:11', 'c1:12', 'c1:13', 'c2:1']);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 3);
    expect(ddb).toReceiveCommandWith(QueryCommand, { IndexName: 'bySeq', ConsistentRead: true });
  });
});

describe('Function: replayStarts', () => {
  const heads = new Map([['c1', 12], ['c2', 4]]);

  it('starts every chat at the session\'s positions when the client sends no offset (it received no event)', () => {
    // Act
    const starts = replayStarts({ positions: { c1: 10, c2: 4 } }, undefined, heads);

    // Assess
    expect(starts).toEqual(new Map([['c1', 10], ['c2', 4]]));
  });

  it('starts the offset\'s chat at the offset when nothing was written in the others since the session\'s positions', () => {
    // Act
    const starts = replayStarts({ positions: { c1: 3, c2: 4 } }, 'c1:11', heads);

    // Assess
    expect(starts).toEqual(new Map([['c1', 11], ['c2', 4]]));
  });

  it('gives up (undefined) when another chat was written since: what the client got of it is unknown', () => {
    // Act
    const starts = replayStarts({ positions: { c1: 3, c2: 2 } }, 'c1:11', heads);

    // Assess
    expect(starts).toBeUndefined();
  });

  it('starts a chat the session never saw at 0, and gives up on an offset that is not a position', () => {
    // Act
    const noOffset = replayStarts({ positions: {} }, undefined, heads);
    const former = replayStarts({ positions: { c1: 10, c2: 4 } }, '01JH3Q7Z8W9X0YZABCDEFGHJKM', heads);

    // Assess
    expect(noOffset).toEqual(new Map([['c1', 0], ['c2', 0]]));
    expect(former).toBeUndefined();
  });
});
