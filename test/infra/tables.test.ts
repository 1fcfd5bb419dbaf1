import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ChatTable, ChatTables } from '../../lib/constructs/tables';
import { allTables, type IndexDefinition, type TableDefinition } from '../../lambdas/system/schema';
import { logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();

function tableProps(definition: TableDefinition): Record<string, unknown> {
  const id = logicalIdOf(stack, stack.tables.get(definition).table);
  const resource = resourcesOfType(template, 'AWS::DynamoDB::Table')[id];
  expect(resource).toBeDefined();
  return resource!.Properties!;
}

const keySchema = (pk: { name: string }, sk?: { name: string }) => [
  { AttributeName: pk.name, KeyType: 'HASH' },
  ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : []),
];

describe('Construct: ChatTables', () => {
  it('creates one table per schema definition, nothing else', () => {
    // THEN
    template.resourceCountIs('AWS::DynamoDB::Table', allTables.length);
  });

  describe.each(allTables.map((definition): [string, TableDefinition] => [definition.name, definition]))('table %s', (_name, definition) => {
    it('has the schema keys', () => {
      // WHEN
      const props = tableProps(definition);
      // THEN
      expect(props.KeySchema).toEqual(keySchema(definition.partitionKey, definition.sortKey));
      for (const key of [definition.partitionKey, definition.sortKey].filter(Boolean)) {
        expect(props.AttributeDefinitions).toContainEqual({ AttributeName: key!.name, AttributeType: key!.type });
      }
    });

    it('is on-demand with point-in-time recovery', () => {
      // THEN
      expect(tableProps(definition)).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('has TTL exactly when the schema names a TTL attribute', () => {
      // WHEN
      const ttl = tableProps(definition).TimeToLiveSpecification;
      // THEN
      expect(ttl).toEqual(definition.timeToLiveAttribute ? { AttributeName: definition.timeToLiveAttribute, Enabled: true } : undefined);
    });

    it('has a stream exactly when the schema names one, with that view', () => {
      // WHEN
      const stream = tableProps(definition).StreamSpecification;
      // THEN
      expect(stream).toEqual(definition.stream ? { StreamViewType: definition.stream } : undefined);
    });

    it('has the schema GSIs (projecting what the schema names) and LSIs (projecting all attributes)', () => {
      // WHEN
      const props = tableProps(definition);
      // THEN
      const gsis = (definition.globalIndexes ?? []).map((index: IndexDefinition) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection:
          index.projectedAttributes !== undefined
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] }
            : { ProjectionType: 'ALL' },
      }));
      const lsis = (definition.localIndexes ?? []).map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(props.GlobalSecondaryIndexes).toEqual(gsis.length ? gsis : undefined);
      expect(props.LocalSecondaryIndexes).toEqual(lsis.length ? lsis : undefined);
    });

    it('keeps its data when replaced or when the stack is deleted, but not after a failed first create', () => {
      // THEN
      const id = logicalIdOf(stack, stack.tables.get(definition).table);
      expect(resourcesOfType(template, 'AWS::DynamoDB::Table')[id]).toMatchObject({
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  it('keeps frequently updated attributes out of the byUser indexes, so their updates write no index', () => {
    // THEN
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [Match.objectLike({ AttributeName: 'chatId' }), Match.objectLike({ AttributeName: 'userId' })],
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byUser', Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title', 'role'] } })],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byUser', Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['protocol', 'expiresAt'] } }),
      ],
    });
  });

  it('carries new and old images on the Messages stream (edits and deletes need both)', () => {
    // THEN
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [Match.objectLike({ AttributeName: 'chatId' }), Match.objectLike({ AttributeName: 'messageId' })],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('carries new and old images on the Connections stream (open packet: new; TTL cleanup: old userId)', () => {
    // THEN
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [Match.objectLike({ AttributeName: 'connectionId' })],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('refuses a local index on another partition key, and a table defined twice', () => {
    // GIVEN
    const bad: TableDefinition = {
      name: 'Bad',
      envVar: 'BAD_TABLE',
      partitionKey: { name: 'a', type: 'S' },
      sortKey: { name: 'b', type: 'S' },
      localIndexes: [{ indexName: 'byC', partitionKey: { name: 'c', type: 'S' }, sortKey: { name: 'd', type: 'S' } }],
    };
    // WHEN / THEN
    expect(() => new ChatTable(new Stack(new App(), 'S1'), 'Bad', { definition: bad })).toThrow(/must use the table's partition key "a", got "c"/);
    expect(() => new ChatTables(new Stack(new App(), 'S2'), 'Tables', { definitions: [allTables[0], allTables[0]] })).toThrow(/defined twice/);
  });

  it('names the known tables when asked for an unknown one', () => {
    // THEN
    expect(() => stack.tables.get({ ...allTables[0], name: 'Nope' })).toThrow(/Table "Nope" does not exist; known tables: Connections, Rooms/);
  });
});
