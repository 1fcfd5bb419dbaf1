import { describe, expect, it } from 'vitest';
import { allTables } from '../../lambdas/system/schema';
import { functions, managesConnections, tableAccess, type FunctionName } from '../../lambdas/system/topology';
import { actionsOf, logicalIdOf, referencedIds, resourcesOfType, statementsOfRole, synthesize, type PolicyStatement } from './helpers';

const { stack, template } = synthesize();
const functionNames = Object.keys(functions) as FunctionName[];
const tableIds = new Map(allTables.map((definition) => [logicalIdOf(stack, stack.tables.get(definition).table), definition.name]));
const realtimeApiId = logicalIdOf(stack, stack.realtime.api);

function statementsOf(name: FunctionName): PolicyStatement[] {
  return statementsOfRole(template, logicalIdOf(stack, stack.functions[name].role));
}

/** Data-plane item actions: reading or writing rows (stream actions are separate). */
const ITEM_ACTIONS = /^dynamodb:(GetItem|BatchGetItem|Query|Scan|ConditionCheckItem|PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
const WRITE_ACTIONS = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;

function tablesTouched(name: FunctionName, actions: RegExp): Set<string> {
  const touched = new Set<string>();
  for (const statement of statementsOf(name)) {
    if (!actionsOf(statement).some((action) => actions.test(action))) continue;
    for (const id of referencedIds(statement.Resource)) {
      const table = tableIds.get(id);
      if (table) touched.add(table);
    }
  }
  return touched;
}

describe('Stack: least privilege', () => {
  it.each(functionNames)('lets %s read and write only its topology tables', (name) => {
    // GIVEN
    const expected = tableAccess[name].map(({ table }) => table.name).sort();
    const writable = tableAccess[name].filter(({ access }) => access === 'readWrite').map(({ table }) => table.name).sort();
    // WHEN
    const touched = [...tablesTouched(name, ITEM_ACTIONS)].sort();
    const written = [...tablesTouched(name, WRITE_ACTIONS)].sort();
    // THEN
    expect(touched).toEqual(expected);
    expect(written).toEqual(writable);
  });

  it.each(functionNames)('gives %s ManageConnections only if it posts, and only on this stage', (name) => {
    // WHEN
    const statements = statementsOf(name).filter((statement) => actionsOf(statement).some((action) => action.startsWith('execute-api:')));
    // THEN
    if (!managesConnections.includes(name)) {
      expect(statements).toEqual([]);
      return;
    }
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(actionsOf(statement!)).toEqual(['execute-api:ManageConnections']);
    const arn = JSON.stringify(statement!.Resource);
    expect(referencedIds(statement!.Resource)).toContain(realtimeApiId);
    expect(arn).toContain(`"/${stack.realtime.stage.stageName}/*/@connections/*"`);
    expect(arn).not.toContain('"/*/*/@connections/*"');
  });

  it.each(functionNames)('gives %s "*" only for actions that have no resource-level permissions', (name) => {
    // GIVEN
    const allowedOnStar = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'dynamodb:ListStreams']);
    // WHEN
    const onStar = statementsOf(name)
      .filter((statement) => JSON.stringify(statement.Resource) === '"*"' || (Array.isArray(statement.Resource) && statement.Resource.includes('*')))
      .flatMap(actionsOf);
    // THEN
    expect(onStar.filter((action) => !allowedOnStar.has(action))).toEqual([]);
    expect(statementsOf(name).flatMap(actionsOf).some((action) => action.endsWith(':*'))).toBe(false);
  });

  it.each(functionNames)('lets %s write to its own log group only', (name) => {
    // GIVEN
    const logGroupId = logicalIdOf(stack, stack.functions[name].logGroup);
    // WHEN
    const logStatements = statementsOf(name).filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:')));
    // THEN
    expect(logStatements).toHaveLength(1);
    expect(actionsOf(logStatements[0]!).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect([...referencedIds(logStatements[0]!.Resource)]).toEqual([logGroupId]);
  });

  it('attaches no managed policy to any role but API Gateway\'s logging role (its documented policy only)', () => {
    // GIVEN
    const loggingRoleId = logicalIdOf(stack, stack.apiGatewayAccount?.role);
    for (const [id, role] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
      // THEN
      if (id === loggingRoleId) {
        expect(JSON.stringify(role.Properties?.ManagedPolicyArns)).toMatch(/^\[\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::aws:policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs"\]\]\}\]$/);
      } else {
        expect(role.Properties?.ManagedPolicyArns, id).toBeUndefined();
      }
    }
  });

  it('lets only the fan-out read the streams and send to the on-failure queue', () => {
    // GIVEN
    const queueId = logicalIdOf(stack, stack.fanOut.onFailureQueue);
    for (const name of functionNames) {
      // WHEN
      const statements = statementsOf(name);
      const readsStreams = statements.some((statement) => actionsOf(statement).includes('dynamodb:DescribeStream'));
      const sendsToQueue = statements.some((statement) => referencedIds(statement.Resource).has(queueId));
      // THEN
      expect({ name, readsStreams, sendsToQueue }).toEqual({ name, readsStreams: name === 'fanOut', sendsToQueue: name === 'fanOut' });
    }
  });
});
