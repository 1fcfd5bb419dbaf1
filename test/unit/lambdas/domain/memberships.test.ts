import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../../../lambdas/commons/errors';
import { requireParticipant } from '../../../../lambdas/domain/memberships';

const ddb = mockClient(DynamoDBDocumentClient);
const deps = { documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), membershipsTable: 'Memberships' };

describe('Function: requireParticipant', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('returns the caller\'s membership row, read strongly consistently', async () => {
    // Prepare
    const row = { chatId: 'c1', userId: 'alice', title: 'Team', addedAt: '2025-11-27T00:00:00.000Z', addedBy: 'bob' };
    ddb.on(GetCommand).resolves({ Item: row });

    // Act
    const result = await requireParticipant(deps, 'c1', 'alice');

    // Assess
    expect(result).toEqual(row);
    expect(ddb).toReceiveCommandWith(GetCommand, {
      TableName: 'Memberships',
      Key: { chatId: 'c1', userId: 'alice' },
      ConsistentRead: true,
    });
  });

  it('throws FORBIDDEN (403) when the caller has no row', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const attempt = requireParticipant(deps, 'c1', 'mallory');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ForbiddenError);
    await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN', statusCode: 403, message: 'Not a participant of this chat' });
  });

  it('answers an unknown chat exactly like a chat the caller is not in', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const unknownChat = await requireParticipant(deps, 'no-such-chat', 'alice').catch((err: unknown) => err);
    const notMember = await requireParticipant(deps, 'c1', 'alice').catch((err: unknown) => err);

    // Assess
    expect(unknownChat).toEqual(notMember);
    expect((unknownChat as ForbiddenError).toJSON()).toEqual((notMember as ForbiddenError).toJSON());
  });

  it('lets a DynamoDB failure through rather than reading it as "not a participant"', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act
    const attempt = requireParticipant(deps, 'c1', 'alice');

    // Assess
    await expect(attempt).rejects.toThrow('throttled');
    await expect(attempt).rejects.not.toBeInstanceOf(ForbiddenError);
  });
});
