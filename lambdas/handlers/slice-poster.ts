/**
 * Slice poster function: the fan-out invokes it synchronously with one
 * slice of a big room's broadcast (`{envelope, members}`) and waits for the
 * answer, the slice's BroadcastResult. It posts through the same
 * broadcaster as the fan-out (gone recipients removed, throttling retried,
 * expired tokens closed), so the two never differ in what a post means.
 */
import type { Context } from 'aws-lambda';
import { ManagementApiBroadcaster } from '../adapters/api-gateway/broadcaster';
import { createHotPoster } from '../adapters/api-gateway/poster';
import { createConnectionLink } from '../adapters/api-gateway/connection-link';
import { connectionRemoverStores } from '../adapters/dynamodb/remover-stores';
import { roomMembers } from '../adapters/dynamodb/room-store';
import { createDocumentClient, createManagementClient, POST_CONCURRENCY } from '../commons/clients';
import { ENV, requireEnv, requireTableNames } from '../commons/env';
import { instrumentHandler } from '../commons/instrument';
import { logger } from '../commons/logger';
import { createConnectionRemover } from '../domain/connections';
import { createExpiredCloser } from '../domain/expiry';
import { parseBroadcastSlice } from '../domain/fan-out/slices';
import type { BroadcastResult } from '../domain/ports';

const tables = requireTableNames('connectionsTable', 'roomsTable', 'presenceTable');
const documentClient = createDocumentClient();
const callbackUrl = requireEnv(ENV.callbackUrl);
const managementClient = createManagementClient(callbackUrl);
const removeConnection = createConnectionRemover(connectionRemoverStores(documentClient, tables));
const broadcaster = new ManagementApiBroadcaster({
  managementClient,
  // The fan-out's hot post: signed requests on a keep-alive agent, without the SDK client's stack.
  poster: createHotPoster(managementClient, callbackUrl, POST_CONCURRENCY),
  // Never listed here (the fan-out sends the members), but the broadcaster's contract includes it.
  rooms: { members: roomMembers({ documentClient, roomsTable: tables.roomsTable }) },
  removeConnection,
  closeExpired: createExpiredCloser({ link: createConnectionLink({ managementClient, removeConnection }) }),
});

/**
 * Lambda entry point for the fan-out's invokes. A malformed slice throws
 * (the fan-out sees a function error); a post's failure is in the result.
 */
export const handler = instrumentHandler(async (event: unknown, context?: Context): Promise<BroadcastResult> => {
  if (context !== undefined) logger.addContext(context);
  const slice = parseBroadcastSlice(event);
  return broadcaster.toMembers(slice.members, slice.envelope);
});
