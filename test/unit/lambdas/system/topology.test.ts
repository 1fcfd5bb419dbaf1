/**
 * Consistency of the one routing/stream description CDK and the local
 * runtime both build from. The synthesized template is checked in
 * test/infra; here the description itself is checked against the code it
 * names (handler files, the action registry) and its stream filters are
 * run against real record shapes with the local filter engine.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ClientActionName } from '../../../../protocol';
import { connectionsTable, fanOutSources, membershipsTable, messagesTable, presenceTable, usersTable, type TableDefinition } from '../../../../lambdas/system/schema';
import {
  functions,
  heartbeatConfig,
  heartbeatFunctions,
  httpCors,
  httpRoutes,
  managesConnections,
  routesReturningResponse,
  scheduledFunctions,
  streamMappings,
  tableAccess,
  verifiesTokens,
  webSocketRoutes,
  type WebSocketRouteKey,
} from '../../../../lambdas/system/topology';
import { actions } from '../../../../lambdas/domain/actions';
import { matchesFilters } from '../../../../local/streams/filters';
import { createStreamRecord } from '../../../helpers/stream-records';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const functionNames = Object.keys(functions);

function mappingOf(table: TableDefinition) {
  const mapping = streamMappings.find((candidate) => candidate.table === table);
  if (mapping === undefined) throw new Error(`no stream mapping for ${table.name}`);
  return mapping;
}

describe('Constant: functions', () => {
  it.each(Object.entries(functions))('%s points at an existing handler module', (_name, { entry }) => {
    // Act + Assess
    expect(existsSync(`${repoRoot}${entry}`)).toBe(true);
  });
});

describe('Constant: webSocketRoutes', () => {
  it('routes every client action of the registry, and $default, to the actions function', () => {
    // Prepare
    const registered = Object.keys(actions);

    // Assess
    expectTypeOf<ClientActionName>().toExtend<WebSocketRouteKey>();
    for (const action of registered) expect(webSocketRoutes).toHaveProperty([action], 'actions');
    expect(webSocketRoutes.$default).toBe('actions');
  });

  it('routes $connect and $disconnect to their own functions', () => {
    // Assess
    expect(webSocketRoutes.$connect).toBe('connect');
    expect(webSocketRoutes.$disconnect).toBe('disconnect');
  });

  it('returns responses on the action routes only, never on $connect or $disconnect', () => {
    // Assess
    expect(routesReturningResponse).not.toContain('$connect');
    expect(routesReturningResponse).not.toContain('$disconnect');
    expect([...routesReturningResponse].sort()).toEqual(
      Object.keys(webSocketRoutes)
        .filter((key) => webSocketRoutes[key as WebSocketRouteKey] === 'actions')
        .sort(),
    );
  });
});

describe('Constant: httpRoutes', () => {
  it('lists each route key once, split into the method and path API Gateway matches', () => {
    // Prepare
    const keys = httpRoutes.map((route) => `${route.method} ${route.path}`);

    // Assess
    expect(new Set(keys).size).toBe(keys.length);
    expect(httpRoutes.map((route) => route.routeKey)).toEqual(keys);
  });
});

describe('Constant: httpCors', () => {
  it('allows exactly the methods the routes use', () => {
    // Assess
    expect([...httpCors.allowMethods].sort()).toEqual([...new Set(httpRoutes.map((route) => route.method))].sort());
  });
});

describe('Constant: streamMappings', () => {
  it('maps every fan-out source table exactly once, to the fan-out function', () => {
    // Assess
    expect(streamMappings.map((mapping) => mapping.table.name).sort()).toEqual(fanOutSources.map((table) => table.name).sort());
    expect(new Set(streamMappings.map((mapping) => mapping.function))).toEqual(new Set(['fanOut']));
  });

  it('bisects, reports item failures and gives up after finite retries and record age (within Lambda limits)', () => {
    // Assess
    for (const mapping of streamMappings) {
      expect(mapping.bisectBatchOnError).toBe(true);
      expect(mapping.reportBatchItemFailures).toBe(true);
      expect(mapping.retryAttempts).toBeGreaterThanOrEqual(0);
      expect(mapping.retryAttempts).toBeLessThanOrEqual(10_000);
      expect(mapping.maxRecordAgeSeconds).toBeGreaterThanOrEqual(60);
      expect(mapping.maxRecordAgeSeconds).toBeLessThanOrEqual(604_800);
    }
  });

  it('lets message inserts and edits through, and drops idempotency markers and TTL deletes', () => {
    // Prepare
    const { filters } = mappingOf(messagesTable);
    const message = { chatId: 'c1', messageId: 'm1', kind: 'message', content: 'hi' };
    const marker = { chatId: 'c1', messageId: 'idem#alice#k1', kind: 'idempotency' };

    // Act
    const verdicts = {
      insert: matchesFilters(createStreamRecord('INSERT', { newImage: message }), filters),
      edit: matchesFilters(createStreamRecord('MODIFY', { oldImage: message, newImage: { ...message, content: 'v2' } }), filters),
      markerInsert: matchesFilters(createStreamRecord('INSERT', { newImage: marker }), filters),
      markerTtlDelete: matchesFilters(createStreamRecord('REMOVE', { oldImage: marker, userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }), filters),
    };

    // Assess
    expect(verdicts).toEqual({ insert: true, edit: true, markerInsert: false, markerTtlDelete: false });
  });

  it('lets membership joins and leaves through, and drops typing-throttle and flood-limit MODIFYs', () => {
    // Prepare
    const { filters } = mappingOf(membershipsTable);
    const row = { chatId: 'c1', userId: 'bob' };

    // Assess
    expect(matchesFilters(createStreamRecord('INSERT', { newImage: row }), filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('REMOVE', { oldImage: row }), filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('MODIFY', { oldImage: row, newImage: { ...row, typingAt: 1 } }), filters)).toBe(false);
    expect(
      matchesFilters(createStreamRecord('MODIFY', { oldImage: { ...row, sendWindow: 1, sendCount: 4 }, newImage: { ...row, sendWindow: 1, sendCount: 5 } }), filters),
    ).toBe(false);
  });

  it('lets role changes through, and not a typing update on an owner\'s or a member\'s row', () => {
    // Prepare
    const { filters } = mappingOf(membershipsTable);
    const member = { chatId: 'c1', userId: 'bob', role: 'member' };
    const owner = { ...member, role: 'owner' };

    // Assess
    expect(matchesFilters(createStreamRecord('MODIFY', { oldImage: member, newImage: owner }), filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('MODIFY', { oldImage: owner, newImage: member }), filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('MODIFY', { oldImage: owner, newImage: { ...owner, typingAt: 1 } }), filters)).toBe(false);
    expect(matchesFilters(createStreamRecord('MODIFY', { oldImage: member, newImage: { ...member, typingWantAt: 1 } }), filters)).toBe(false);
  });

  it('lets the blocker\'s block rows through from the Users stream, and nothing else of it', () => {
    // Prepare
    const { filters } = mappingOf(usersTable);

    // Assess
    expect(matchesFilters(createStreamRecord('INSERT', { keys: { userId: 'alice', sk: 'block#mallory' } }), filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('REMOVE', { keys: { userId: 'alice', sk: 'block#mallory' } }), filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('INSERT', { keys: { userId: 'mallory', sk: 'blockedBy#alice' } }), filters)).toBe(false);
    expect(matchesFilters(createStreamRecord('MODIFY', { keys: { userId: 'alice', sk: 'counters' } }), filters)).toBe(false);
    expect(matchesFilters(createStreamRecord('INSERT', { keys: { userId: 'alice', sk: 'counters' } }), filters)).toBe(false);
  });

  it('lets every presence change through (the fan-out decides what is a transition)', () => {
    // Prepare
    const { filters } = mappingOf(presenceTable);

    // Assess
    for (const eventName of ['INSERT', 'MODIFY', 'REMOVE'] as const) {
      expect(matchesFilters(createStreamRecord(eventName, { newImage: { userId: 'alice' } }), filters)).toBe(true);
    }
  });

  it('passes only the INSERT of a pending socket.io connection from the Connections stream, with a short record age', () => {
    // Prepare
    const mapping = mappingOf(connectionsTable);
    const pending = { connectionId: 'c1', protocol: 'socket.io', state: 'pending' };

    // Assess
    expect(matchesFilters(createStreamRecord('INSERT', { newImage: pending }), mapping.filters)).toBe(true);
    expect(matchesFilters(createStreamRecord('INSERT', { newImage: { connectionId: 'c2', protocol: 'lettera.v1', userId: 'a' } }), mapping.filters)).toBe(false);
    expect(matchesFilters(createStreamRecord('MODIFY', { oldImage: pending, newImage: { ...pending, state: 'open' } }), mapping.filters)).toBe(false);
    expect(mapping.maxRecordAgeSeconds).toBe(60);
  });

  it('passes TTL deletes from the Connections stream and drops deletes made by users', () => {
    // Prepare
    const { filters } = mappingOf(connectionsTable);
    const row = { connectionId: 'c1', userId: 'alice', protocol: 'lettera.v1', expiresAt: 1 };
    const keys = { connectionId: 'c1' };

    // Act
    const verdicts = {
      ttlDelete: matchesFilters(createStreamRecord('REMOVE', { keys, oldImage: row, userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }), filters),
      disconnect: matchesFilters(createStreamRecord('REMOVE', { keys, oldImage: row }), filters),
      otherIdentity: matchesFilters(createStreamRecord('REMOVE', { keys, oldImage: row, userIdentity: { type: 'User', principalId: 'AROAEXAMPLE' } }), filters),
      ttlModify: matchesFilters(createStreamRecord('MODIFY', { keys, oldImage: row, newImage: row, userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }), filters),
    };

    // Assess
    expect(verdicts).toEqual({ ttlDelete: true, disconnect: false, otherIdentity: false, ttlModify: false });
  });
});

describe('Constant: scheduledFunctions', () => {
  it('runs the heartbeat sweep every pingInterval in the default scheduled-ping mode', () => {
    // Assess
    expect(heartbeatConfig.mode).toBe('scheduled-ping');
    expect(scheduledFunctions).toEqual([
      { function: 'heartbeat', scheduleExpression: expect.stringMatching(/^rate\(\d+ minutes?\)$/), intervalMs: heartbeatConfig.pingInterval },
    ]);
  });
});

describe('Constant: tableAccess', () => {
  it('describes every function, and only functions that exist', () => {
    // Assess
    expect(Object.keys(tableAccess).sort()).toEqual([...functionNames].sort());
  });

  it('names only known functions in the permission lists', () => {
    // Assess
    for (const name of [...managesConnections, ...verifiesTokens, ...heartbeatFunctions]) expect(functionNames).toContain(name);
  });

  it('lets the HTTP API function move connections in and out of chat rooms, but never post to them', () => {
    // Assess
    expect(tableAccess.httpApi.filter((entry) => entry.access === 'readWrite').map((entry) => entry.table.name)).toEqual(expect.arrayContaining(['Connections', 'Rooms']));
    expect(managesConnections).not.toContain('httpApi');
  });
});
