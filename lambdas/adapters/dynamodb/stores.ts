/**
 * Every DynamoDB store over one document client, for handlers (and tests)
 * that wire several. A store whose table was not given rejects every call,
 * naming the table, rather than sending requests without a TableName.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stores } from '../../domain/ports';
import { createConnectionStore } from './connection-store';
import { createMembershipStore } from './membership-store';
import { createMessageStore } from './message-store';
import { createPresenceStore } from './presence-store';
import { createRoomStore } from './room-store';
import { createSessionStore } from './session-store';
import { createSweepStore } from './sweep-store';

export interface StoreTables {
  connectionsTable?: string;
  roomsTable?: string;
  presenceTable?: string;
  membershipsTable?: string;
  messagesTable?: string;
}

/** Stands in for a store whose table was not given: every call rejects, naming the table. */
function missingStore<T extends object>(table: keyof StoreTables): T {
  return new Proxy({} as T, {
    get: (_target, method) => () => Promise.reject(new Error(`DynamoDB stores: ${String(method)} needs ${table}, which was not given`)),
  });
}

export function createDynamoStores(documentClient: DynamoDBDocumentClient, tables: StoreTables): Stores {
  const { connectionsTable, roomsTable, presenceTable, membershipsTable, messagesTable } = tables;
  return {
    connections: connectionsTable === undefined ? missingStore('connectionsTable') : createConnectionStore({ documentClient, connectionsTable }),
    sessions: connectionsTable === undefined ? missingStore('connectionsTable') : createSessionStore({ documentClient, connectionsTable }),
    sweep: connectionsTable === undefined ? missingStore('connectionsTable') : createSweepStore({ documentClient, connectionsTable }),
    rooms: roomsTable === undefined ? missingStore('roomsTable') : createRoomStore({ documentClient, roomsTable }),
    presence: presenceTable === undefined ? missingStore('presenceTable') : createPresenceStore({ documentClient, presenceTable }),
    memberships: membershipsTable === undefined ? missingStore('membershipsTable') : createMembershipStore({ documentClient, membershipsTable }),
    messages: messagesTable === undefined ? missingStore('messagesTable') : createMessageStore({ documentClient, messagesTable }),
  };
}
