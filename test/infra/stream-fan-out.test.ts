import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AttributeType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { StreamFanOut } from '../../lib/constructs/stream-fan-out';
import { connectionsTable, messagesTable, type TableDefinition } from '../../lambdas/system/schema';
import { streamMappings } from '../../lambdas/system/topology';
import { logicalIdOf, resourcesOfType, synthesize } from './helpers';

const { stack, template } = synthesize();
const queueId = logicalIdOf(stack, stack.fanOut.onFailureQueue);

function mappingOf(definition: TableDefinition): Record<string, unknown> {
  const tableId = logicalIdOf(stack, stack.tables.get(definition).table);
  const matches = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).filter(
    (mapping) => JSON.stringify(mapping.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [tableId, 'StreamArn'] }),
  );
  expect(matches).toHaveLength(1);
  return matches[0]!.Properties!;
}

function tryFanOut(retryAttempts: number, maxRecordAgeSeconds: number): void {
  const scope = new Stack(new App(), 'Bare');
  const table = new Table(scope, 'T', { partitionKey: { name: 'pk', type: AttributeType.STRING }, stream: StreamViewType.NEW_AND_OLD_IMAGES });
  const handler = new LambdaFunction(scope, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=()=>{}') });
  const { table: _t, function: _f, ...settings } = streamMappings[0]!;
  new StreamFanOut(scope, 'FanOut', { handler, sources: [{ table, settings: { ...settings, retryAttempts, maxRecordAgeSeconds } }] });
}

describe('Construct: StreamFanOut', () => {
  it('maps one event source per topology stream mapping, all to the fan-out function', () => {
    // THEN
    const fanOutId = logicalIdOf(stack, stack.functions.fanOut);
    const mappings = Object.values(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(streamMappings.length);
    for (const mapping of mappings) expect(mapping.Properties?.FunctionName).toEqual({ Ref: fanOutId });
  });

  describe.each(streamMappings.map((mapping) => [mapping.table.name, mapping] as const))('the %s stream', (_tableName, mapping) => {
    it('bisects failing batches and reports batch item failures', () => {
      // THEN
      expect(mappingOf(mapping.table)).toMatchObject({ BisectBatchOnFunctionError: true, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    });

    it('gives up after finite retries and a finite record age', () => {
      // WHEN
      const props = mappingOf(mapping.table);
      // THEN
      expect(props.MaximumRetryAttempts).toBe(mapping.retryAttempts);
      expect(props.MaximumRecordAgeInSeconds).toBe(mapping.maxRecordAgeSeconds);
      expect(props.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(props.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
    });

    it('sends what it gave up on to the on-failure queue', () => {
      // THEN
      expect(mappingOf(mapping.table).DestinationConfig).toEqual({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
    });

    it('filters with the topology patterns', () => {
      // WHEN
      const filters = (mappingOf(mapping.table).FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
      // THEN
      expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual(mapping.filters);
    });

    it('uses the topology batching and starting position', () => {
      // THEN
      expect(mappingOf(mapping.table)).toMatchObject({
        BatchSize: mapping.batchSize,
        MaximumBatchingWindowInSeconds: mapping.maxBatchingWindowSeconds,
        StartingPosition: mapping.startingPosition,
      });
    });
  });

  it('drops idempotency markers and TTL deletes from the Messages stream, passing messages and read markers', () => {
    // WHEN
    const filters = (mappingOf(messagesTable).FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) => JSON.parse(f.Pattern));
    // THEN
    expect(filters).toEqual([expect.objectContaining({ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { kind: { S: ['message', 'read'] } } } })]);
  });

  it('passes pending socket.io INSERTs and TTL deletes from the Connections stream, with a 60 s record age and 2 retries', () => {
    // WHEN
    const props = mappingOf(connectionsTable);
    const filters = (props.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) => JSON.parse(f.Pattern));
    // THEN
    expect(filters).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { protocol: { S: ['socket.io'] }, state: { S: ['pending'] } } } },
      { eventName: ['REMOVE'], userIdentity: { type: ['Service'] } },
    ]);
    expect(props).toMatchObject({ MaximumRecordAgeInSeconds: 60, MaximumRetryAttempts: 2 });
  });

  it('encrypts the on-failure queue and keeps messages 14 days', () => {
    // THEN
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });

  it('refuses requests to the on-failure queue without TLS', () => {
    // THEN
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('refuses unbounded retries or record age at synth time', () => {
    // THEN
    expect(() => tryFanOut(-1, 3600)).toThrow(/retryAttempts must be a finite integer in 0\.\.10000, got -1/);
    expect(() => tryFanOut(5, -1)).toThrow(/maxRecordAgeSeconds must be a finite integer in 60\.\.604800, got -1/);
    expect(() => tryFanOut(Number.POSITIVE_INFINITY, 3600)).toThrow(/retryAttempts/);
  });
});
