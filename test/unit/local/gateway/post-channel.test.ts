/**
 * The in-process `@connections` channel, driven by the fan-out's own signed
 * poster: the endpoint's port has nothing listening, so a post that went
 * out as an HTTP request would fail with ECONNREFUSED.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignedPoster, routePostsThrough, type PostStatusError } from '../../../../lambdas/adapters/api-gateway/poster';
import { MAX_POST_BYTES } from '../../../../local/gateway/connections-api';
import { channelTransport, createPostChannels } from '../../../../local/gateway/post-channel';
import type { GatewayState } from '../../../../local/gateway/state';
import { fakeConnection, fakeGatewayState, FakeSocket } from '../../../helpers/gateway-fakes';

const ORIGIN = 'http://127.0.0.1:1';
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const posterFor = (stage: string) => createSignedPoster({ endpoint: `${ORIGIN}/${stage}`, credentials, region: 'eu-west-1', maxSockets: 8 });
const frame = (text: string) => new TextEncoder().encode(text);

describe('Function: createPostChannels + channelTransport', () => {
  const state = fakeGatewayState();
  const { pool } = state;
  const channels = createPostChannels(state);
  let socket: FakeSocket;

  beforeAll(() => {
    routePostsThrough(ORIGIN, channelTransport(channels.open()));
  });

  beforeEach(() => {
    for (const id of pool.ids()) pool.remove(id);
    state.postFaults = new Map();
    socket = new FakeSocket();
    pool.add(fakeConnection(socket));
  });

  it('delivers a post as a text frame and resolves, without any HTTP request', async () => {
    // Act
    await posterFor('local').post('conn-1=', frame('{"event":"message:new"}'), 5_000);

    // Assess
    expect(socket.sent).toHaveLength(1);
    expect(state.metrics.posts).toEqual({ http: 0, channel: 1 });
    expect(socket.sent[0]?.binary).toBe(false);
    expect(socket.sent[0]?.data.toString('utf8')).toBe('{"event":"message:new"}');
  });

  it('delivers bytes that are not UTF-8 as a binary frame', async () => {
    // Act
    await posterFor('local').post('conn-1=', new Uint8Array([0xff, 0xfe, 0x00]), 5_000);

    // Assess
    expect(socket.sent[0]?.binary).toBe(true);
  });

  it.each([
    ['an unknown connection', 'nope', 'local', 410, 'GoneException'],
    ['another stage', 'conn-1=', 'prod', 403, 'ForbiddenException'],
  ])('rejects a post to %s as the HTTP endpoint answers it', async (_case, connectionId, stage, status, name) => {
    // Act
    const error = (await posterFor(stage)
      .post(connectionId, frame('{}'), 5_000)
      .catch((err: unknown) => err)) as PostStatusError;

    // Assess
    expect(error.name).toBe(name);
    expect(error.statusCode).toBe(status);
    expect(socket.sent).toEqual([]);
  });

  it('rejects a frame one byte over the limit with PayloadTooLargeException, sending nothing', async () => {
    // Act
    const error = (await posterFor('local')
      .post('conn-1=', new Uint8Array(MAX_POST_BYTES + 1).fill(0x61), 5_000)
      .catch((err: unknown) => err)) as PostStatusError;

    // Assess
    expect(error.name).toBe('PayloadTooLargeException');
    expect(error.statusCode).toBe(413);
    expect(socket.sent).toEqual([]);
  });

  it('passes an injected 429 on as a retryable LimitExceededException', async () => {
    // Prepare
    state.postFaults = new Map([['conn-1=', { kind: 'status', status: 429 }]]) as GatewayState['postFaults'];

    // Act
    const error = (await posterFor('local')
      .post('conn-1=', frame('{}'), 5_000)
      .catch((err: unknown) => err)) as PostStatusError;

    // Assess
    expect(error.name).toBe('LimitExceededException');
    expect(error.$retryable).toEqual({ throttling: true });
    expect(socket.sent).toEqual([]);
  });

  it('settles each of many posts of one turn with its own answer, the shared frame copied once', async () => {
    // Prepare
    const poster = posterFor('local');
    const shared = frame('{"event":"message:new","data":"same frame"}');

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => poster.post(i % 10 === 9 ? `gone-${i}` : 'conn-1=', shared, 5_000)));

    // Assess
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(45);
    const rejected = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as PostStatusError] : []));
    expect(rejected.map((err) => err.name)).toEqual(Array(5).fill('GoneException'));
    expect(socket.sent).toHaveLength(45);
    expect(new Set(socket.sent.map((sent) => sent.data.buffer)).size).toBe(1);
  });
});

describe('Function: channelTransport, once the gateway end is closed', () => {
  it('leaves the post to the poster’s timeout', async () => {
    // Prepare
    const channels = createPostChannels(fakeGatewayState());
    routePostsThrough('http://127.0.0.1:2', channelTransport(channels.open()));
    channels.closeAll();
    const poster = createSignedPoster({ endpoint: 'http://127.0.0.1:2/local', credentials, region: 'eu-west-1', maxSockets: 8 });

    // Act
    const error = (await poster.post('conn-1=', frame('{}'), 50).catch((err: unknown) => err)) as Error;

    // Assess
    expect(error.name).toBe('PostTimeoutError');
  });
});
