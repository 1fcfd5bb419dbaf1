import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createCallStore } from '../../../../../lambdas/adapters/dynamodb/call-store';
import type { CallRow } from '../../../../../lambdas/domain/ports';

const ddb = mockClient(DynamoDBDocumentClient);
const store = createCallStore({ documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({})), connectionsTable: 'Connections' });
const NOW = 1_764_204_000_000;
const row: CallRow = {
  connectionId: 'call#k1',
  callId: 'k1',
  chatId: 'c1',
  callerId: 'alice',
  calleeId: 'bob',
  media: 'audio',
  state: 'connected',
  callerConnectionId: 'a1=',
  callerProtocol: 'lettera.v1',
  calleeConnectionId: 'b1=',
  calleeProtocol: 'socket.io',
  createdAt: NOW,
  ringsUntil: NOW + 30_000,
  expiresAt: NOW / 1000 + 7800,
};
const conditionFailed = (old?: object): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(old !== undefined && { Item: marshall(old) }) });

describe('Function: createCallStore', () => {
  afterEach(() => {
    ddb.reset();
  });

  it('writes a new call under call#{callId} only where no row is, and reads it strongly consistently', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({}).on(GetCommand).resolves({ Item: row });

    // Act
    await store.put(row);
    const read = await store.get('k1');

    // Assess
    expect(read).toEqual(row);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, { TableName: 'Connections', Item: row, ConditionExpression: 'attribute_not_exists(connectionId)' });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'Connections', Key: { connectionId: 'call#k1' }, ConsistentRead: true });
  });

  it('changes a call only while it is in the state read, returning the row as it was when it moved on', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed({ ...row, state: 'ended' })).rejectsOnce(conditionFailed());

    // Act
    const moved = await store.transition('k1', 'connected', { state: 'ended', endedAt: NOW });
    const gone = await store.transition('k1', 'connected', { state: 'ended', endedAt: NOW });

    // Assess
    expect(moved).toEqual({ outcome: 'refused', old: { ...row, state: 'ended' } });
    expect(gone).toEqual({ outcome: 'absent' });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { connectionId: 'call#k1' },
      UpdateExpression: 'SET #f0 = :f0, #f1 = :f1',
      ConditionExpression: '#state = :from',
      ExpressionAttributeNames: { '#f0': 'state', '#f1': 'endedAt', '#state': 'state' },
      ExpressionAttributeValues: { ':f0': 'ended', ':f1': NOW, ':from': 'connected' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('counts a signal in one write that also proves the call is connected and the connection is one of its two', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: { ...row, signalCount: 1, signalWindow: NOW } });

    // Act
    const write = await store.countSignal('k1', 'b1=', NOW, 200);

    // Assess
    expect(write).toEqual({ outcome: 'written', row: { ...row, signalCount: 1, signalWindow: NOW } });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#state = :connected AND (callerConnectionId = :conn OR calleeConnectionId = :conn) AND (attribute_not_exists(signalCount) OR signalCount < :limit)',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': NOW, ':limit': 200, ':connected': 'connected', ':conn': 'b1=' },
    });
  });

  it('counts invites per user on a counter row it creates, with a TTL, and reopens a window that is over', async () => {
    // Prepare
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { inviteCount: 1, inviteWindow: NOW } })
      .rejectsOnce(conditionFailed({ connectionId: 'calls#alice', inviteCount: 10, inviteWindow: NOW }));

    // Act
    const counted = await store.countInvite('alice', NOW, 10);
    const refused = await store.reopenInvites('alice', NOW + 1000, 60_000);

    // Assess
    expect(counted).toEqual({ outcome: 'written', row: { inviteCount: 1, inviteWindow: NOW } });
    expect(refused).toMatchObject({ outcome: 'refused', old: { inviteCount: 10, inviteWindow: NOW } });
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 1, {
      Key: { connectionId: 'calls#alice' },
      ConditionExpression: 'attribute_not_exists(inviteCount) OR inviteCount < :limit',
    });
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      ConditionExpression: 'attribute_not_exists(inviteWindow) OR inviteWindow <= :expired',
      ExpressionAttributeValues: expect.objectContaining({ ':expired': NOW + 1000 - 60_000, ':expiresAt': Math.floor((NOW + 1000) / 1000) + 86_400 }),
    });
  });

  it('lets a DynamoDB fault other than a failed condition through', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act + Assess
    await expect(store.countSignal('k1', 'a1=', NOW, 200)).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});
