import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CHAT, DEMO_USERS, seedDemoData } from '../../../local/seed';

const ddb = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));

describe('Function: seedDemoData', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('writes one membership row per demo participant, only where none exists', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});

    // Act
    await seedDemoData(documentClient, 'Memberships');

    // Assess
    expect(ddb).toReceiveCommandTimes(PutCommand, DEMO_CHAT.participants.length);
    for (const userId of DEMO_CHAT.participants) {
      expect(ddb).toReceiveCommandWith(PutCommand, {
        TableName: 'Memberships',
        Item: expect.objectContaining({ chatId: 'demo', userId, title: 'Demo chat', addedBy: 'alice', role: userId === 'alice' ? 'owner' : 'member' }),
        ConditionExpression: 'attribute_not_exists(chatId)',
      });
    }
  });

  it('leaves carol out of the demo chat, as the outsider', () => {
    // Assess
    expect(DEMO_USERS).toContain('carol');
    expect(DEMO_CHAT.participants).not.toContain('carol');
  });

  it('is idempotent: rows that already exist are kept, not an error', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));

    // Act + Assess
    await expect(seedDemoData(documentClient, 'Memberships')).resolves.toBeUndefined();
  });

  it('fails on any other error', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' }));

    // Act + Assess
    await expect(seedDemoData(documentClient, 'Memberships')).rejects.toThrow('no such table');
  });
});
