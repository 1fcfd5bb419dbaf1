import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useHandlerOverSink } from '../../../helpers/connections-sink';

const ddbMock = mockClient(DynamoDBDocumentClient);
// The SDK client serves what is not the hot post (DeleteConnection); the posts go to a local @connections sink.
const apiMock = mockClient(ApiGatewayManagementApiClient);
const over = useHandlerOverSink(async () => (await import('../../../../lambdas/handlers/slice-poster')).handler);
const handler = (event: unknown) => over.handler()(event);

const envelope = { event: 'message:new', data: { messageId: 'm1', chatId: 'c1' }, id: 'c1:1', ts: 1, seq: 1 };

function slice(count: number) {
  return { envelope, members: Array.from({ length: count }, (_, i) => ({ connectionId: `conn-${i}`, userId: `user-${i}`, protocol: 'lettera.v1' })) };
}

function posts() {
  return over.sink().requests.filter((request) => request.method === 'POST');
}

beforeEach(() => {
  over.sink().reset();
  ddbMock.on(GetCommand).resolves({});
});

afterEach(() => {
  ddbMock.reset();
  apiMock.reset();
});

describe('Function: handler (slice poster)', () => {
  it('posts the event once to every member of its slice and returns the broadcast result', async () => {
    // Act
    const result = await handler(slice(12));

    // Assess
    expect(result).toEqual({ recipients: 12, delivered: 12, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 });
    expect(posts().map((request) => request.connectionId).sort()).toEqual(slice(12).members.map((m) => m.connectionId).sort());
    expect(JSON.parse(posts()[0]!.body.toString('utf8'))).toEqual(envelope);
  });

  it('counts a recipient that is gone as gone, through the same broadcaster as the fan-out', async () => {
    // Prepare
    over.sink().script('conn-1', 410);

    // Act
    const result = await handler(slice(3));

    // Assess
    expect(result).toEqual({ recipients: 3, delivered: 2, gone: 1, disconnected: 0, undeliverable: 0, failed: 0 });
  });

  it.each([
    ['no members', { envelope, members: [] }, /non-empty array/],
    ['no envelope', { members: slice(1).members }, /event envelope/],
    ['a member without a protocol', { envelope, members: [{ connectionId: 'a', userId: 'u' }] }, /members\[0\]/],
    ['not an object', 'hello', /must be an object/],
  ])('refuses a slice with %s, posting nothing', async (_, event, message) => {
    // Act
    const caught = await handler(event).catch((err: unknown) => err);

    // Assess
    expect((caught as Error).name).toBe('MalformedSliceError');
    expect((caught as Error).message).toMatch(message);
    expect(posts()).toHaveLength(0);
  });
});
