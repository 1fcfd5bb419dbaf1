/**
 * `$disconnect` (best effort on API Gateway's side): remove the connection's
 * row, room rows and presence entry. Idempotent; a connection already
 * removed (by a GoneException in the fan-out, or TTL) is a no-op.
 */
import type { WebSocketRouteEvent, WebSocketResult } from '../adapters/api-gateway/events';
import { connectionRemoverStores } from '../adapters/dynamodb/remover-stores';
import { createDocumentClient } from '../commons/clients';
import { requireTableNames } from '../commons/env';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { METRIC } from '../commons/metric-names';
import { countMetric } from '../commons/metrics';
import { createConnectionRemover } from '../domain/connections';

const documentClient = createDocumentClient();
const tables = requireTableNames('connectionsTable', 'roomsTable', 'presenceTable');
// Only the operations removing a connection performs, so the bundle carries no other.
const removeConnection = createConnectionRemover(connectionRemoverStores(documentClient, tables));

async function disconnect(event: WebSocketRouteEvent): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  try {
    await removeConnection(connectionId);
  } catch (err) {
    // Rethrown so the failure shows in the function's error metrics; rows left behind expire by TTL.
    logger.error('disconnect cleanup failed', { error: err as Error, connectionId });
    throw err;
  }
  countMetric(METRIC.connectionsClosed);
  return { statusCode: 200 };
}

export const handler = instrumentHandler(disconnect, { correlationIdOf: (event) => event.requestContext.requestId });
