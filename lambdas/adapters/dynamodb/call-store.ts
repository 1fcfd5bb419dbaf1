/**
 * The calls behind the CallStore port: rows of the Connections table under
 * `call#{callId}` and each user's invite counter under `calls#{userId}`,
 * neither with a `userId` attribute (they stay out of the byUser index, the
 * heartbeat sweep's filter and the TTL cleanup of connections), both
 * removed by the table's TTL. Every change is one conditional request.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callKey, inviteCounterKey } from '../../domain/calls';
import type { CallRow, CallStore, CallWrite, InviteCounterRow } from '../../domain/ports';
import { isConditionFailure, itemOfConditionFailure } from './commands';

export interface CallStoreDeps {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
}

interface Update {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** One conditional update returning ALL_NEW, or the row as it was (ALL_OLD) when the condition fails. */
async function conditionalUpdate<Row>(
  { documentClient, connectionsTable }: CallStoreDeps,
  key: string,
  update: Update,
): Promise<{ outcome: 'written'; row: Row } | { outcome: 'refused'; old: Row } | { outcome: 'absent' }> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: connectionsTable,
        Key: { connectionId: key },
        ...update,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { outcome: 'written', row: Attributes as Row };
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const old = itemOfConditionFailure(err);
    return old === undefined ? { outcome: 'absent' } : { outcome: 'refused', old: old as Row };
  }
}

/** The condition every signal write carries: the call is connected and this connection is one of its two. */
const SIGNALLING_PARTY = '#state = :connected AND (callerConnectionId = :conn OR calleeConnectionId = :conn)';

/** How long an invite counter outlives its window, in seconds: then TTL removes it. */
const COUNTER_TTL_SECONDS = 24 * 60 * 60;

export function createCallStore(deps: CallStoreDeps): CallStore {
  const { documentClient, connectionsTable } = deps;
  const invites = async (key: string, update: Update): Promise<{ outcome: 'written'; row: InviteCounterRow } | { outcome: 'refused'; old: InviteCounterRow }> => {
    const write = await conditionalUpdate<InviteCounterRow>(deps, key, update);
    // The conditions all accept a missing row (it is created), so 'absent' cannot happen; treat it as an empty row.
    return write.outcome === 'absent' ? { outcome: 'refused', old: {} } : write;
  };
  return {
    async put(row) {
      await documentClient.send(
        new PutCommand({ TableName: connectionsTable, Item: row, ConditionExpression: 'attribute_not_exists(connectionId)' }),
      );
    },

    async get(callId) {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: connectionsTable, Key: { connectionId: callKey(callId) }, ConsistentRead: true }),
      );
      return Item as CallRow | undefined;
    },

    transition(callId, from, change) {
      const entries = Object.entries(change).filter(([, value]) => value !== undefined);
      const names = Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name]));
      const values = Object.fromEntries(entries.map(([, value], i) => [`:f${i}`, value]));
      return conditionalUpdate<CallRow>(deps, callKey(callId), {
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
        ConditionExpression: '#state = :from',
        ExpressionAttributeNames: { ...names, '#state': 'state' },
        ExpressionAttributeValues: { ...values, ':from': from },
      }) as Promise<CallWrite>;
    },

    countSignal(callId, connectionId, nowMs, limit) {
      return conditionalUpdate<CallRow>(deps, callKey(callId), {
        UpdateExpression: 'SET signalCount = if_not_exists(signalCount, :zero) + :one, signalWindow = if_not_exists(signalWindow, :now)',
        ConditionExpression: `${SIGNALLING_PARTY} AND (attribute_not_exists(signalCount) OR signalCount < :limit)`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowMs, ':limit': limit, ':connected': 'connected', ':conn': connectionId },
      });
    },

    reopenSignals(callId, connectionId, nowMs, windowMs) {
      return conditionalUpdate<CallRow>(deps, callKey(callId), {
        UpdateExpression: 'SET signalCount = :one, signalWindow = :now',
        ConditionExpression: `${SIGNALLING_PARTY} AND (attribute_not_exists(signalWindow) OR signalWindow <= :expired)`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ':expired': nowMs - windowMs, ':connected': 'connected', ':conn': connectionId },
      });
    },

    countInvite(userId, nowMs, limit) {
      return invites(inviteCounterKey(userId), {
        UpdateExpression:
          'SET inviteCount = if_not_exists(inviteCount, :zero) + :one, inviteWindow = if_not_exists(inviteWindow, :now), expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(inviteCount) OR inviteCount < :limit',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': nowMs, ':limit': limit, ':expiresAt': Math.floor(nowMs / 1000) + COUNTER_TTL_SECONDS },
      });
    },

    reopenInvites(userId, nowMs, windowMs) {
      return invites(inviteCounterKey(userId), {
        UpdateExpression: 'SET inviteCount = :one, inviteWindow = :now, expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(inviteWindow) OR inviteWindow <= :expired',
        ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ':expired': nowMs - windowMs, ':expiresAt': Math.floor(nowMs / 1000) + COUNTER_TTL_SECONDS },
      });
    },
  };
}
