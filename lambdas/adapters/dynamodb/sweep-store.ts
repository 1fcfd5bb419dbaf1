/**
 * The heartbeat sweep's side of the Connections table behind the SweepStore
 * port: a Scan (one page per call) filtered on protocol, TTL and token
 * expiry, and the time of the last completed sweep, kept in one row of the
 * same table.
 */
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SweepStore, SweptRow } from '../../domain/ports';

export interface SweepStoreDeps {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
}

/**
 * The key of the row that keeps the last sweep's time. It has no `protocol`,
 * `userId` or `expiresAt`, so the Scan's filter, the byUser index, TTL and
 * the Connections stream's filter (pending Socket.IO INSERTs) all pass it by.
 */
export const SWEEP_MARKER_KEY = 'heartbeat#sweep';

export function createSweepStore(deps: SweepStoreDeps): SweepStore {
  const { documentClient, connectionsTable } = deps;
  return {
    async sweptPage(nowSeconds, startKey) {
      // A Scan is billed for every item it reads, filtered or not: adding the expired-token
      // rows of the JSON protocol to the filter costs nothing.
      const page = await documentClient.send(
        new ScanCommand({
          TableName: connectionsTable,
          FilterExpression: '#expiresAt > :now AND (#protocol = :socketIo OR #tokenExpiresAt < :now)',
          ProjectionExpression: 'connectionId, #protocol, #state, connectedAt, userId, #tokenExpiresAt, lastPongAt',
          ExpressionAttributeNames: {
            '#protocol': 'protocol',
            '#state': 'state',
            '#expiresAt': 'expiresAt',
            '#tokenExpiresAt': 'tokenExpiresAt',
          },
          ExpressionAttributeValues: { ':socketIo': 'socket.io', ':now': nowSeconds },
          ExclusiveStartKey: startKey,
        }),
      );
      return { rows: (page.Items ?? []) as SweptRow[], ...(page.LastEvaluatedKey !== undefined && { lastKey: page.LastEvaluatedKey }) };
    },
    async lastSweepAt() {
      const { Item } = await documentClient.send(
        new GetCommand({ TableName: connectionsTable, Key: { connectionId: SWEEP_MARKER_KEY }, ConsistentRead: true }),
      );
      return typeof Item?.sweptAt === 'number' ? Item.sweptAt : undefined;
    },
    async recordSweep(atMs) {
      await documentClient.send(new PutCommand({ TableName: connectionsTable, Item: { connectionId: SWEEP_MARKER_KEY, sweptAt: atMs } }));
    },
  };
}
