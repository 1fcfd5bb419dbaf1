/**
 * Every DynamoDB store over one document client, for tests that run domain
 * code over the real stores and a mocked SDK (handlers wire only the stores
 * they use, so their bundles carry no other). A store whose table was not given rejects every call,
 * naming the table, rather than sending requests without a TableName.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stores } from '../../lambdas/domain/ports';
import { createConnectionStore } from '../../lambdas/adapters/dynamodb/connection-store';
import { createMembershipStore } from '../../lambdas/adapters/dynamodb/membership-store';
import { createMessageStore } from '../../lambdas/adapters/dynamodb/message-store';
import { createPresenceStore } from '../../lambdas/adapters/dynamodb/presence-store';
import { createRoomStore } from '../../lambdas/adapters/dynamodb/room-store';
import { createSessionStore } from '../../lambdas/adapters/dynamodb/session-store';
import { createUserStore } from '../../lambdas/adapters/dynamodb/user-store';
import { createSweepStore } from '../../lambdas/adapters/dynamodb/sweep-store';

export interface StoreTables {
  connectionsTable?: string;
  roomsTable?: string;
  presenceTable?: string;
  membershipsTable?: string;
  messagesTable?: string;
  usersTable?: string;
}

/** Stands in for a store whose table was not given: every call rejects, naming the table. */
function missingStore<T extends object>(table: keyof StoreTables): T {
  return new Proxy({} as T, {
    get: (_target, method) => () => Promise.reject(new Error(`DynamoDB stores: ${String(method)} needs ${table}, which was not given`)),
  });
}

export function createDynamoStores(documentClient: DynamoDBDocumentClient, tables: StoreTables): Stores {
  const { connectionsTable, roomsTable, presenceTable, membershipsTable, messagesTable, usersTable } = tables;
  return {
    connections: connectionsTable === undefined ? missingStore('connectionsTable') : createConnectionStore({ documentClient, connectionsTable }),
    sessions: connectionsTable === undefined ? missingStore('connectionsTable') : createSessionStore({ documentClient, connectionsTable }),
    sweep: connectionsTable === undefined ? missingStore('connectionsTable') : createSweepStore({ documentClient, connectionsTable }),
    rooms: roomsTable === undefined ? missingStore('roomsTable') : createRoomStore({ documentClient, roomsTable, ...(messagesTable !== undefined && { messagesTable }) }),
    presence: presenceTable === undefined ? missingStore('presenceTable') : createPresenceStore({ documentClient, presenceTable }),
    memberships: membershipsTable === undefined ? missingStore('membershipsTable') : createMembershipStore({ documentClient, membershipsTable }),
    messages: messagesTable === undefined ? missingStore('messagesTable') : createMessageStore({ documentClient, messagesTable, ...(membershipsTable !== undefined && { membershipsTable }) }),
    users: usersTable === undefined ? missingStore('usersTable') : createUserStore({ documentClient, usersTable }),
  };
}
