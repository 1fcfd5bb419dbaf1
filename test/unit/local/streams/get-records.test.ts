import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCodeOf, StreamRecordsReader, StreamsServiceError } from '../../../../local/streams/get-records';
import { startFakeGetRecords, type FakeAnswer, type FakeGetRecords } from '../../../helpers/fake-get-records';

/** A GetRecords answer recorded from DynamoDB Local 2026-01-16 (INSERT, MODIFY, INSERT, TTL delete). */
const recordedPage = readFileSync(join(__dirname, 'fixtures', 'dynamodb-local-get-records.json'), 'utf8');

let fake: FakeGetRecords | undefined;
let reader: StreamRecordsReader | undefined;
let sdk: DynamoDBStreamsClient | undefined;
afterEach(async () => {
  reader?.close();
  sdk?.destroy();
  await fake?.close();
  fake = reader = sdk = undefined;
});

async function serve(script: Record<string, readonly FakeAnswer[]>): Promise<{ reader: StreamRecordsReader; fake: FakeGetRecords }> {
  fake = await startFakeGetRecords(script);
  reader = new StreamRecordsReader({ endpoint: fake.endpoint, region: 'eu-west-1' });
  return { reader, fake };
}

/** What the SDK client makes of the same answer: its error's name and message. */
async function sdkError(endpoint: string, iterator: string): Promise<{ name: string; message: string }> {
  sdk = new DynamoDBStreamsClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const err = (await sdk.send(new GetRecordsCommand({ ShardIterator: iterator })).catch((e: unknown) => e)) as Error;
  return { name: err.name, message: err.message };
}

describe('Class: StreamRecordsReader', () => {
  describe('Method: getRecords', () => {
    it('posts the GetRecords target with the iterator and limit, and parses the page', async () => {
      // Prepare
      const { reader, fake } = await serve({ 'it-1': [{ body: recordedPage }] });

      // Act
      const page = await reader.getRecords('it-1', 1000);

      // Assess
      expect(page).toEqual(JSON.parse(recordedPage));
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]?.body).toEqual({ ShardIterator: 'it-1', Limit: 1000 });
      expect(fake.requests[0]?.headers).toMatchObject({
        'x-amz-target': 'DynamoDBStreams_20120810.GetRecords',
        'content-type': 'application/x-amz-json-1.0',
        authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=host, Signature=0{64}$/),
      });
    });

    it('keeps one connection alive across polls', async () => {
      // Prepare
      const { reader, fake } = await serve({ 'it-1': [{ body: { Records: [], NextShardIterator: 'it-1' } }] });

      // Act
      for (let poll = 0; poll < 3; poll += 1) await reader.getRecords('it-1', 1000);

      // Assess
      expect(fake.requests).toHaveLength(3);
      expect(fake.connections()).toBe(1);
    });

    it.each([
      ['ExpiredIteratorException', 400, { __type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException', message: 'Iterator expired' }],
      ['TrimmedDataAccessException', 400, { __type: 'com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException', Message: 'Trimmed' }],
      ['ResourceNotFoundException', 400, { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', Message: 'Requested resource not found: Invalid ShardId in ShardIterator' }],
      ['ValidationException', 400, { __type: 'com.amazon.coral.validate#ValidationException', Message: 'Invalid ShardIterator' }],
      ['InternalServerError', 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', Message: 'boom' }],
    ])('names a %s answer and gives its message as the SDK client does', async (name, status, body) => {
      // Prepare
      const { reader, fake } = await serve({ 'it-1': [{ status, body }] });
      const expected = await sdkError(fake.endpoint, 'it-1');

      // Act
      const err = await reader.getRecords('it-1', 1000).catch((e: unknown) => e);

      // Assess
      expect(expected.name).toBe(name);
      expect(err).toBeInstanceOf(StreamsServiceError);
      expect({ name: (err as Error).name, message: (err as Error).message }).toEqual(expected);
      expect((err as StreamsServiceError).statusCode).toBe(status);
    });

    it('rejects a non-JSON error page with its status and text', async () => {
      // Prepare
      const { reader } = await serve({ 'it-1': [{ status: 502, body: '<html>Bad Gateway</html>' }] });

      // Act
      const err = await reader.getRecords('it-1', 1000).catch((e: unknown) => e);

      // Assess
      expect(err).toMatchObject({ name: 'Unknown', statusCode: 502, message: 'HTTP 502: <html>Bad Gateway</html>' });
    });

    it('rejects with the socket error when the connection drops, and serves the next call on a new one', async () => {
      // Prepare: the first request's connection is cut before any answer.
      const { reader, fake } = await serve({ 'it-1': ['reset', { body: { Records: [], NextShardIterator: 'it-2' } }] });

      // Act
      const err = await reader.getRecords('it-1', 1000).catch((e: unknown) => e);
      const page = await reader.getRecords('it-1', 1000);

      // Assess
      expect(err).not.toBeInstanceOf(StreamsServiceError);
      expect(err).toMatchObject({ code: 'ECONNRESET' });
      expect(page.NextShardIterator).toBe('it-2');
      expect(fake.connections()).toBe(2);
    });

    it('retries once, on a fresh socket, a kept-alive socket closed under the request', async () => {
      // Prepare: one poll keeps a socket alive, the server drops it on the next request.
      const { reader, fake } = await serve({
        'it-1': [{ body: { Records: [], NextShardIterator: 'it-2' } }],
        'it-2': ['reset', { body: { Records: [], NextShardIterator: 'it-3' } }],
      });
      await reader.getRecords('it-1', 1000);

      // Act
      const page = await reader.getRecords('it-2', 1000);

      // Assess
      expect(page.NextShardIterator).toBe('it-3');
      expect(fake.requests.map((r) => r.body.ShardIterator)).toEqual(['it-1', 'it-2', 'it-2']);
    });
  });
});

describe('Function: errorCodeOf', () => {
  it('keeps what follows the namespace and drops what follows a colon or comma', () => {
    // Act
    const codes = ['com.amazonaws.dynamodb.v20120810#ExpiredIteratorException', 'ns#Throttling:http://internal', 'LimitExceeded,Other', 'Plain'].map(errorCodeOf);

    // Assess
    expect(codes).toEqual(['ExpiredIteratorException', 'Throttling', 'LimitExceeded', 'Plain']);
  });
});
