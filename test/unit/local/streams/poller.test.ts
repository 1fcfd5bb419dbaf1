import { DescribeStreamCommand, DynamoDBStreamsClient, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseBatchResponse, StreamPoller, type StreamSettings } from '../../../../local/streams/poller';
import { startFakeGetRecords, type FakeAnswer, type FakeGetRecords } from '../../../helpers/fake-get-records';
import { streamSettings } from '../../../helpers/stream-settings';

const batch = ['100', '200', '300'].map((SequenceNumber) => ({ dynamodb: { SequenceNumber } }) as DynamoDBRecord);

describe('Function: parseBatchResponse', () => {
  it('treats nothing, null and an empty list as success', () => {
    // Act
    const outcomes = [undefined, null, {}, { batchItemFailures: null }, { batchItemFailures: [] }].map((r) => parseBatchResponse(r, batch));

    // Assess
    expect(outcomes.every((o) => o.kind === 'success')).toBe(true);
  });

  it('restarts from the lowest sequence number, compared as numbers', () => {
    // Act
    const outcome = parseBatchResponse({ batchItemFailures: [{ itemIdentifier: '300' }, { itemIdentifier: '200' }] }, batch);

    // Assess
    expect(outcome).toEqual({ kind: 'partial', index: 1 });
  });

  it('fails the whole batch on an empty, unknown or misplaced identifier', () => {
    // Act
    const outcomes = [[{ itemIdentifier: '' }], [{ itemIdentifier: '999' }], [{ id: '100' }], [null], 'x'].map((f) => parseBatchResponse({ batchItemFailures: f }, batch).kind);

    // Assess
    expect(outcomes).toEqual(['error', 'error', 'error', 'error', 'error']);
  });
});

describe('Class: StreamPoller (scripted stream)', () => {
  const ARN = 'arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-01-01T00:00:00.000';
  const record = (n: number) => ({
    eventID: String(n),
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: String(100 + n), Keys: { p: { S: 'p' }, n: { N: String(n) } }, ApproximateCreationDateTime: 1_767_225_600 },
  });
  const page = (records: number[], next?: string): FakeAnswer => ({ body: { Records: records.map(record), ...(next !== undefined ? { NextShardIterator: next } : {}) } });
  const failure = (status: number, type: string, message: string): FakeAnswer => ({ status, body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message } });
  const oneShard = (m: ReturnType<typeof mockClient>): void => {
    m.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 's1', SequenceNumberRange: { StartingSequenceNumber: '100' } }] } });
    m.on(GetShardIteratorCommand, { ShardIteratorType: 'TRIM_HORIZON' }).resolves({ ShardIterator: 'it-1' });
    m.on(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '101' }).resolves({ ShardIterator: 'it-after-1' });
  };
  let poller: StreamPoller | undefined;
  let fake: FakeGetRecords | undefined;
  afterEach(async () => {
    // The poller first: a poll in flight would otherwise meet a closed endpoint.
    await poller?.stop();
    await fake?.close();
  });

  /** DescribeStream and GetShardIterator scripted on the SDK client, GetRecords on a fake endpoint (by iterator). */
  async function scripted(setup: (mock: ReturnType<typeof mockClient>) => void, getRecords: Record<string, FakeAnswer[]>, settings: Partial<StreamSettings> = {}) {
    const client = new DynamoDBStreamsClient({ region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const mock = mockClient(client);
    setup(mock);
    fake = await startFakeGetRecords(getRecords);
    const seen: number[] = [];
    const delivered: DynamoDBRecord[] = [];
    const log = vi.fn();
    poller = new StreamPoller({
      client,
      endpoint: fake.endpoint,
      streamArn: ARN,
      settings: streamSettings({ startingPosition: 'TRIM_HORIZON', ...settings }),
      handler: async (event: { Records: DynamoDBRecord[] }) => {
        seen.push(...event.Records.map((r) => Number(r.dynamodb?.Keys?.n?.N)));
        delivered.push(...event.Records);
      },
      functionName: 'fake',
      region: 'eu-west-1',
      pollIntervalMs: 10,
      log,
    });
    await poller.start();
    return { seen, delivered, mock, log, fake, poller };
  }

  it("dates a record DynamoDB Local rounded down to the minute by the second it was read, so a 60 s record age does not discard it at once", async () => {
    // Prepare: written "59 s ago" as DynamoDB Local reports a write at :59 read at the next :00.
    const readFrom = Math.floor(Date.now() / 1000);
    const minuteRounded = { ...record(1), dynamodb: { ...record(1).dynamodb, ApproximateCreationDateTime: readFrom - 59 } };
    const { delivered, poller: started } = await scripted(
      oneShard,
      { 'it-1': [{ body: { Records: [minuteRounded], NextShardIterator: 'it-2' } }], 'it-2': [page([], 'it-2')] },
      { maxRecordAgeSeconds: 10 },
    );

    // Act
    await vi.waitFor(() => expect(delivered).toHaveLength(1));

    // Assess
    expect(delivered[0]?.dynamodb?.ApproximateCreationDateTime).toBeGreaterThanOrEqual(readFrom);
    expect(started.failures).toEqual([]);
  });

  it('hands a closed shard over to its children, parent first', async () => {
    // Prepare
    const { seen } = await scripted(
      (mock) => {
        mock.on(DescribeStreamCommand).resolves({
          StreamDescription: {
            Shards: [
              { ShardId: 'child', ParentShardId: 'parent', SequenceNumberRange: { StartingSequenceNumber: '200' } },
              { ShardId: 'parent', SequenceNumberRange: { StartingSequenceNumber: '100', EndingSequenceNumber: '199' } },
            ],
          },
        });
        mock.on(GetShardIteratorCommand, { ShardId: 'parent' }).resolves({ ShardIterator: 'it-parent' });
        mock.on(GetShardIteratorCommand, { ShardId: 'child' }).resolves({ ShardIterator: 'it-child' });
      },
      {
        'it-parent': [page([1, 2])], // no NextShardIterator: closed
        'it-child': [page([3], 'it-child-2')],
        'it-child-2': [page([], 'it-child-2')],
      },
    );

    // Act
    await vi.waitFor(() => expect(seen).toHaveLength(3));

    // Assess
    expect(seen).toEqual([1, 2, 3]);
  });

  it.each([
    failure(400, 'ExpiredIteratorException', 'Iterator expired'),
    failure(400, 'TrimmedDataAccessException', 'Trimmed'),
    failure(400, 'ResourceNotFoundException', 'Requested resource not found: Invalid ShardId in ShardIterator'),
  ])('takes a new iterator after the last record read when GetRecords answers %j, losing and repeating nothing', async (answer) => {
    // Prepare
    const { seen, mock, fake } = await scripted(oneShard, {
      'it-1': [page([1], 'it-2')],
      'it-2': [answer],
      'it-after-1': [page([2], 'it-3')],
      'it-3': [page([], 'it-3')],
    });

    // Act
    await vi.waitFor(() => expect(seen).toHaveLength(2));

    // Assess
    expect(seen).toEqual([1, 2]);
    expect(fake.requests.filter((r) => r.body.ShardIterator === 'it-2')).toHaveLength(1);
    expect(mock.commandCalls(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '101' })).toHaveLength(1);
  });

  it.each([
    ['a dropped connection', ['reset', 'reset'] as FakeAnswer[], { code: 'ECONNRESET' }],
    ['a 500 answer', [failure(500, 'InternalServerError', 'boom')], { name: 'InternalServerError', statusCode: 500 }],
  ])('logs %s and polls the same iterator again', async (_label, failures, expected) => {
    // Prepare: 'it-2' fails, then answers.
    const { seen, mock, log, fake } = await scripted(oneShard, {
      'it-1': [page([1], 'it-2')],
      'it-2': [...failures, page([2], 'it-3')],
      'it-3': [page([], 'it-3')],
    });

    // Act
    await vi.waitFor(() => expect(seen).toHaveLength(2));

    // Assess
    expect(seen).toEqual([1, 2]);
    expect(log).toHaveBeenCalledWith('GetRecords failed on s1', expect.objectContaining(expected));
    expect(fake.requests.filter((r) => r.body.ShardIterator === 'it-2').length).toBeGreaterThan(1);
    expect(mock.commandCalls(GetShardIteratorCommand)).toHaveLength(1);
  });
});

describe('Method: StreamPoller.untilNextPoll', () => {
  const pollerEvery = (pollIntervalMs: number) =>
    new StreamPoller({
      client: new DynamoDBStreamsClient({ region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      endpoint: 'http://127.0.0.1:1',
      streamArn: 'arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-01-01T00:00:00.000',
      settings: streamSettings(),
      handler: async () => undefined,
      functionName: 'fake',
      region: 'eu-west-1',
      pollIntervalMs,
    });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits until the next multiple of the interval on the wall clock, so every poller of a runtime polls in the same instant', () => {
    // Prepare
    vi.useFakeTimers({ now: 1_764_201_600_050 });
    const [first, second] = [pollerEvery(200), pollerEvery(200)];

    // Act
    const waits = [first.untilNextPoll(), second.untilNextPoll()];
    vi.setSystemTime(1_764_201_600_200);
    const onTheBoundary = first.untilNextPoll();

    // Assess
    expect(waits).toEqual([150, 150]);
    expect(onTheBoundary).toBe(200);
  });
});
