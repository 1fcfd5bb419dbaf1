import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageRow } from '../../../../lambdas/domain/ports';
import { missedEvents, missedEventsOf } from '../../../../lambdas/domain/recovery';
import { createDynamoStores } from '../../../helpers/dynamo-stores';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const deps = createDynamoStores(documentClient, { connectionsTable: 'Connections', messagesTable: 'Messages' });
const OFFSET = '01M';

function row(messageId: string, extra: Partial<MessageRow> = {}): MessageRow {
  return { chatId: 'c1', messageId, changeId: messageId, kind: 'message', senderId: 'bob', content: 'text', createdAt: '2025-11-27T00:40:00.000Z', ...extra };
}

afterEach(() => {
  ddb.reset();
});

describe('Function: missedEventsOf', () => {
  it.each([
    ['a new message', row('01N'), [['message:new', '01N']]],
    ['a new message edited since', row('01N', { changeId: '01P', editedAt: '2025-11-27T00:41:00.000Z', content: 'edited' }), [['message:new', '01N']]],
    ['a new message deleted since', row('01N', { changeId: '01P', deletedAt: '2025-11-27T00:41:00.000Z', content: '' }), [['message:new', '01N'], ['message:deleted', '01P']]],
    ['an older message edited', row('01A', { changeId: '01P', editedAt: '2025-11-27T00:41:00.000Z' }), [['message:edited', '01P']]],
    ['an older message deleted', row('01A', { changeId: '01P', deletedAt: '2025-11-27T00:41:00.000Z', deletedBy: 'bob' }), [['message:deleted', '01P']]],
    // Published under the app's own id (which sorts anywhere): its creation's change id decides.
    ['a new published message edited since', row('zz-app-id', { createdChangeId: '01N', changeId: '01P', editedAt: '2025-11-27T00:41:00.000Z' }), [['message:new', '01N']]],
    ['an older published message edited', row('00-app-id', { createdChangeId: '01A', changeId: '01P', editedAt: '2025-11-27T00:41:00.000Z' }), [['message:edited', '01P']]],
  ])('replays %s as the events a live client would have seen', (_name, message, expected) => {
    // Act
    const events = missedEventsOf(message, OFFSET);

    // Assess
    expect(events.map((event) => [event.event, event.id])).toEqual(expected);
  });
});

describe('Function: missedEvents', () => {
  it('gives up (undefined) beyond the replay limit, so the session is not recovered', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [row('01N'), row('01P'), row('01Q')] });

    // Act
    const events = await missedEvents(deps, ['c1'], OFFSET, 2);

    // Assess
    expect(events).toBeUndefined();
  });

  it('reads every page of a chat and merges the chats in change order', async () => {
    // Prepare
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':chatId': 'c1', ':offset': OFFSET } })
      .resolvesOnce({ Items: [row('01N')], LastEvaluatedKey: { chatId: 'c1', changeId: '01N', messageId: '01N' } })
      .resolvesOnce({ Items: [row('01R')] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':chatId': 'c2', ':offset': OFFSET } }).resolves({ Items: [row('01P', { chatId: 'c2' })] });

    // Act
    const events = await missedEvents(deps, ['c1', 'c2'], OFFSET);

    // Assess
    expect(events?.map((event) => event.id)).toEqual(['01N', '01P', '01R']);
    expect(ddb).toReceiveCommandTimes(QueryCommand, 3);
  });
});
