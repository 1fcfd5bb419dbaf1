import { describe, expect, it } from 'vitest';
import { messagesTable, presenceTable } from '../../../lambdas/system/schema';
import { toCreateTableInput } from '../../../local/tables';

describe('Function: toCreateTableInput', () => {
  it('builds keys, the LSI and the stream from the shared schema', () => {
    // Act
    const input = toCreateTableInput(messagesTable, 'Messages');

    // Assess
    expect(input).toMatchObject({
      TableName: 'Messages',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'chatId', KeyType: 'HASH' },
        { AttributeName: 'messageId', KeyType: 'RANGE' },
      ],
      LocalSecondaryIndexes: [{ IndexName: 'bySeq', Projection: { ProjectionType: 'ALL' } }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(input.AttributeDefinitions?.map((a) => a.AttributeName).sort()).toEqual(['chatId', 'messageId', 'seq']);
  });

  it('omits indexes a table does not have', () => {
    // Act
    const input = toCreateTableInput(presenceTable, 'Presence');

    // Assess
    expect(input).not.toHaveProperty('GlobalSecondaryIndexes');
    expect(input).not.toHaveProperty('LocalSecondaryIndexes');
  });
});
