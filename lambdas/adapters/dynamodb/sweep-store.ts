/**
 * The heartbeat sweep's read of the Connections table behind the SweepStore
 * port: a Scan filtered on protocol and expiry, one page per call.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SweepStore, SweptRow } from '../../domain/ports';

export interface SweepStoreDeps {
  documentClient: DynamoDBDocumentClient;
  connectionsTable: string;
}

export function createSweepStore(deps: SweepStoreDeps): SweepStore {
  const { documentClient, connectionsTable } = deps;
  return {
    async socketIoPage(nowSeconds, startKey) {
      const page = await documentClient.send(
        new ScanCommand({
          TableName: connectionsTable,
          FilterExpression: '#protocol = :socketIo AND #expiresAt > :now',
          ProjectionExpression: 'connectionId, #state, connectedAt, userId',
          ExpressionAttributeNames: { '#protocol': 'protocol', '#state': 'state', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':socketIo': 'socket.io', ':now': nowSeconds },
          ExclusiveStartKey: startKey,
        }),
      );
      return { rows: (page.Items ?? []) as SweptRow[], ...(page.LastEvaluatedKey !== undefined && { lastKey: page.LastEvaluatedKey }) };
    },
  };
}
