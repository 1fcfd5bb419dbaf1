/**
 * Fidelity of the stream poller against Lambda's DynamoDB event source
 * mapping (batching, order per shard, retries, bisect, batch item
 * failures, filters; local/README.md): DynamoDB Local streams read as the
 * runtime reads them, fake handlers recording batches.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionsTable } from '../../lambdas/system/schema';
import { streamMappings } from '../../lambdas/system/topology';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';
import type { LambdaHandler } from '../../local/lambda';
import { MemoryCheckpointStore } from '../../local/streams/checkpoints';
import { StreamPoller, type StreamSettings } from '../../local/streams/poller';
import { latestStreamArn } from '../../local/tables';
import { waitFor } from '../helpers/local-runtime';
import { streamSettings } from '../helpers/stream-settings';

const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynamo: DynamoDbLocal;
let ddb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
const pollers: StreamPoller[] = [];

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION, credentials });
  streams = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region: REGION, credentials });
});
afterAll(async () => {
  ddb?.destroy();
  streams?.destroy();
  await dynamo?.stop();
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

/** A fresh table (pk 'p', sk 'n') with a NEW_AND_OLD_IMAGES stream. */
async function createTable(): Promise<{ tableName: string; streamArn: string }> {
  const tableName = `T${randomUUID().slice(0, 8)}`;
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'p', KeyType: 'HASH' },
        { AttributeName: 'n', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'p', AttributeType: 'S' },
        { AttributeName: 'n', AttributeType: 'N' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return { tableName, streamArn: (await latestStreamArn(ddb, tableName)) as string };
}

async function put(tableName: string, n: number, extra: Record<string, unknown> = {}): Promise<void> {
  await ddb.send(new PutItemCommand({ TableName: tableName, Item: { p: { S: 'p' }, n: { N: String(n) }, ...(extra as object) } }));
}

const numberOf = (record: DynamoDBRecord): number => Number(record.dynamodb?.Keys?.n?.N);

/** Starts a poller whose handler records every batch (as key numbers) and answers with reply. */
async function startPoller(streamArn: string, overrides: Partial<StreamSettings>, reply: (batch: DynamoDBRecord[], call: number) => unknown = () => undefined, checkpoints = new MemoryCheckpointStore()) {
  const batches: DynamoDBRecord[][] = [];
  const handler: LambdaHandler = async (event: { Records: DynamoDBRecord[] }) => {
    batches.push(event.Records);
    return reply(event.Records, batches.length);
  };
  const poller = new StreamPoller({
    client: streams,
    endpoint: dynamo.endpoint,
    streamArn,
    settings: streamSettings(overrides),
    handler,
    functionName: 'fake',
    region: REGION,
    checkpoints,
    pollIntervalMs: 50,
    retryDelayMs: 10,
    log: process.env.DEBUG_POLLER ? console.log : () => undefined,
    onFailure: () => undefined,
  });
  await poller.start();
  pollers.push(poller);
  const numbers = () => batches.map((b) => b.map(numberOf));
  return { poller, batches, numbers, checkpoints };
}

describe('Class: StreamPoller', () => {
  it('delivers records in Lambda shape: numeric time, base64 B, eventSourceARN and the app region', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { batches } = await startPoller(streamArn, {});

    // Act
    await put(tableName, 1, { bin: { B: new Uint8Array([1, 2, 3]) }, bins: { BS: [new Uint8Array([4])] } });
    await waitFor(() => batches.length === 1);

    // Assess
    const [record] = batches[0] as DynamoDBRecord[];
    expect(record).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      eventSourceARN: streamArn.replace(':ddblocal:', `:${REGION}:`),
      dynamodb: { NewImage: { bin: { B: 'AQID' }, bins: { BS: ['BA=='] } }, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(typeof record?.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(record?.dynamodb?.ApproximateCreationDateTime).toBeLessThan(1e11);
  });

  it('delivers 250 writes in batches of at most 100, in order, without gaps or duplicates', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers } = await startPoller(streamArn, { batchSize: 100 });

    // Act
    for (let n = 0; n < 250; n += 1) await put(tableName, n);
    await waitFor(() => numbers().flat().length >= 250, 15_000);

    // Assess
    expect(Math.max(...numbers().map((b) => b.length))).toBeLessThanOrEqual(100);
    expect(numbers().flat()).toEqual(Array.from({ length: 250 }, (_, n) => n));
  });

  it('merges quick writes into one invocation with a 2 s batching window', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers } = await startPoller(streamArn, { maxBatchingWindowSeconds: 2 });

    // Act
    for (let n = 0; n < 5; n += 1) await put(tableName, n);
    await waitFor(() => numbers().flat().length === 5, 10_000);

    // Assess
    expect(numbers()).toEqual([[0, 1, 2, 3, 4]]);
  });

  it('skips records that match no filter pattern', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers, poller } = await startPoller(streamArn, { filters: [{ dynamodb: { NewImage: { kind: { S: ['message'] } } } }] });

    // Act
    await put(tableName, 1, { kind: { S: 'idempotency' } });
    await put(tableName, 2, { kind: { S: 'message' } });
    await waitFor(() => numbers().length === 1);
    await poller.settle();

    // Assess
    expect(numbers()).toEqual([[2]]);
  });

  it('blocks the shard while a batch fails, invokes 1 + retryAttempts times, then skips it to the failure log', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers, poller } = await startPoller(streamArn, { retryAttempts: 2 }, (batch) => {
      if (batch.some((r) => numberOf(r) === 1)) throw new Error('poison');
    });

    // Act
    await put(tableName, 1);
    await waitFor(() => numbers().length >= 1);
    await put(tableName, 2);
    await waitFor(() => numbers().flat().includes(2));

    // Assess
    expect(numbers()).toEqual([[1], [1], [1], [2]]);
    expect(poller.failures).toHaveLength(1);
    expect(poller.failures[0]).toMatchObject({ attempts: 3, reason: expect.stringContaining('poison') });
  });

  it('isolates the poison record by bisecting the batch', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { batches, poller } = await startPoller(streamArn, { maxBatchingWindowSeconds: 1, bisectBatchOnError: true, retryAttempts: 1 }, (batch) => {
      if (batch.some((r) => numberOf(r) === 3)) throw new Error('poison');
    });

    // Act
    for (let n = 1; n <= 4; n += 1) await put(tableName, n);
    await waitFor(() => poller.failures.length === 1 && batches.some((b) => b.some((r) => numberOf(r) === 4)), 10_000);

    // Assess
    const delivered = batches.filter((b) => !b.some((r) => numberOf(r) === 3)).flatMap((b) => b.map(numberOf));
    expect(delivered).toEqual([1, 2, 4]);
    expect(poller.failures[0]?.records.map(numberOf)).toEqual([3]);
  });

  it('restarts at the lowest reported batch item failure', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers } = await startPoller(streamArn, { maxBatchingWindowSeconds: 1, reportBatchItemFailures: true }, (batch, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: batch[4]?.dynamodb?.SequenceNumber }, { itemIdentifier: batch[2]?.dynamodb?.SequenceNumber }] } : {},
    );

    // Act
    for (let n = 1; n <= 5; n += 1) await put(tableName, n);
    await waitFor(() => numbers().length === 2, 10_000);

    // Assess
    expect(numbers()).toEqual([[1, 2, 3, 4, 5], [3, 4, 5]]);
  });

  it('fails the whole batch on an invalid itemIdentifier', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers } = await startPoller(streamArn, { maxBatchingWindowSeconds: 1, reportBatchItemFailures: true }, (_batch, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } : call === 2 ? { batchItemFailures: [{ id: 'wrong key' }] } : null,
    );

    // Act
    for (let n = 1; n <= 3; n += 1) await put(tableName, n);
    await waitFor(() => numbers().length === 3, 10_000);

    // Assess
    expect(numbers()).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  });

  it('treats an empty or null batchItemFailures as success', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers, poller } = await startPoller(streamArn, { reportBatchItemFailures: true }, (_batch, call) =>
      call === 1 ? { batchItemFailures: [] } : { batchItemFailures: null },
    );

    // Act
    await put(tableName, 1);
    await waitFor(() => numbers().length === 1);
    await put(tableName, 2);
    await waitFor(() => numbers().length === 2);
    await poller.settle();

    // Assess
    expect(numbers()).toEqual([[1], [2]]);
  });

  it('ignores the response when ReportBatchItemFailures is off', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const { numbers, poller } = await startPoller(streamArn, { reportBatchItemFailures: false }, (batch) => ({
      batchItemFailures: [{ itemIdentifier: batch[0]?.dynamodb?.SequenceNumber }],
    }));

    // Act
    await put(tableName, 1);
    await waitFor(() => numbers().length === 1);
    await poller.settle();

    // Assess
    expect(numbers()).toEqual([[1]]);
  });

  it('replays nothing after a restart with a checkpoint', async () => {
    // Prepare
    const { tableName, streamArn } = await createTable();
    const first = await startPoller(streamArn, {});
    await put(tableName, 1);
    await waitFor(() => first.numbers().length === 1);
    await first.poller.stop();

    // Act
    const second = await startPoller(streamArn, { startingPosition: 'TRIM_HORIZON' }, () => undefined, first.checkpoints);
    await put(tableName, 2);
    await waitFor(() => second.numbers().length === 1);
    await second.poller.settle();

    // Assess
    expect(second.numbers()).toEqual([[2]]);
  });
});

describe('Class: StreamPoller (TTL deletes)', () => {
  it('delivers a DynamoDB Local TTL delete as a REMOVE by the DynamoDB service, through the Connections mapping filter', async () => {
    // Prepare: DynamoDB Local runs TTL itself (an item already expired goes within seconds).
    const { tableName, streamArn } = await createTable();
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    const filters = streamMappings.find((mapping) => mapping.table === connectionsTable)?.filters ?? [];
    const { batches, poller } = await startPoller(streamArn, { filters });

    // Act: one row expires, another is deleted by a user.
    await put(tableName, 1, { userId: { S: 'alice' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) } });
    await put(tableName, 2, { userId: { S: 'bob' } });
    await ddb.send(new DeleteItemCommand({ TableName: tableName, Key: { p: { S: 'p' }, n: { N: '2' } } }));
    await waitFor(() => batches.length > 0, 30_000);
    await poller.settle();

    // Assess
    const delivered = batches.flat();
    expect(delivered.map(numberOf)).toEqual([1]);
    expect(delivered[0]).toMatchObject({
      eventName: 'REMOVE',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: { OldImage: { userId: { S: 'alice' } } },
    });
  });
});
