/**
 * The hot post's handler CPU per delivery: broadcasts of one frame to
 * `roomSize` connections through the fan-out's ManagementApiBroadcaster,
 * posting through the SDK client (as createManagementClient configures it,
 * today's path) and through the signed poster (SigV4 by
 * @smithy/signature-v4 on a keep-alive agent, what the fan-out uses), plus
 * a bare unsigned keep-alive POST as the floor, all in the same run
 * against a local HTTP sink in a child process (so the sink's CPU is not
 * counted). CPU is this process's user + system time (process.cpuUsage)
 * over the measured posts, after a warm-up of the same size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ManagementApiBroadcaster } from '../lambdas/adapters/api-gateway/broadcaster';
import { createSdkPoster, createSignedPoster, type ConnectionPoster } from '../lambdas/adapters/api-gateway/poster';
import type { EventEnvelope } from '../protocol';
import type { RoomMember } from '../lambdas/domain/ports';
import { createManagementClient, POST_CONCURRENCY } from '../lambdas/commons/clients';
import { mapWithConcurrency } from '../lambdas/commons/concurrency';

export interface HotPostPath {
  readonly path: 'broadcaster + SDK client' | 'broadcaster + signed poster' | 'unsigned POST (floor)';
  readonly posts: number;
  /** Client CPU (user + system) per post, µs. */
  readonly cpuUsPerPost: number;
  /** Posts per second of wall time. */
  readonly postsPerSecond: number;
}

export interface HotPostResult {
  readonly posts: number;
  readonly concurrency: number;
  readonly frameBytes: number;
  readonly paths: readonly HotPostPath[];
}

/** A sink answering every POST 200 after reading its body; prints its port. */
const SINK = `
const http = require('node:http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200); res.end(); }); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startSink(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(chunk.toString().trim()) };
}

type Post = (connectionId: string, data: Uint8Array) => Promise<void>;

/** Runs `run` twice (warm-up, then measured) and reports the measured CPU per post. */
async function measure(path: HotPostPath['path'], posts: number, run: () => Promise<void>): Promise<HotPostPath> {
  // Warm-up: sockets opened, code paths compiled, credentials resolved.
  await run();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { path, posts, cpuUsPerPost: (used.user + used.system) / posts, postsPerSecond: (posts / wallMs) * 1000 };
}

/** `broadcasts` broadcasts of one message:new to the same `roomSize` members through a broadcaster over `poster`. */
function broadcasts(sdkClient: ApiGatewayManagementApiClient, poster: ConnectionPoster, roomSize: number, count: number): () => Promise<void> {
  const members: RoomMember[] = Array.from({ length: roomSize }, (_, i) => ({ connectionId: `conn${String(i).padStart(6, '0')}=`, userId: `user-${i}`, protocol: 'lettera.v1' }));
  const broadcaster = new ManagementApiBroadcaster({
    managementClient: sdkClient,
    poster,
    rooms: { members: async () => members },
    removeConnection: async () => undefined,
  });
  return async () => {
    for (let i = 0; i < count; i++) {
      const envelope: EventEnvelope = {
        event: 'message:new',
        data: { messageId: `m${i}`, chatId: 'c1', senderId: 'user-0', content: 'x'.repeat(80), timestamp: new Date().toISOString() },
        id: `m${i}`,
        ts: Date.now(),
      };
      const result = await broadcaster.toMembers(members, envelope);
      if (result.delivered !== roomSize) throw new Error(`hot post bench: ${JSON.stringify(result)}`);
    }
  };
}

/**
 * Runs the three paths one after the other, each `posts` times.
 *
 * @example
 * const result = await runHotPostBench({ posts: 5000 });
 */
export async function runHotPostBench(options: { roomSize?: number; broadcasts?: number; log?: (line: string) => void } = {}): Promise<HotPostResult> {
  const roomSize = options.roomSize ?? 1000;
  const count = options.broadcasts ?? 10;
  const posts = roomSize * count;
  const concurrency = POST_CONCURRENCY;
  // A typical message:new frame (about 250 bytes).
  const frame = new TextEncoder().encode(
    JSON.stringify({ event: 'message:new', data: { messageId: '01JH3Q7Z8W9X0YZABCDEFGHJKM', chatId: '01JH3Q7Z8W9X0YZABCDEFGHJKN', senderId: 'user-0001', content: 'x'.repeat(80), timestamp: new Date().toISOString() }, id: '01JH3Q7Z8W9X0YZABCDEFGHJKM', ts: Date.now() }),
  );
  // As in Lambda: credentials and region in the environment (dummies: the sink is local, nothing reaches AWS).
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'bench-secret', AWS_SESSION_TOKEN: 'bench-session' });
  delete process.env.AWS_PROFILE;
  const { child, port } = await startSink();
  const endpoint = `http://127.0.0.1:${port}/bench`;
  try {
    // Wired as the fan-out handler wires them.
    const sdkClient: ApiGatewayManagementApiClient = createManagementClient(endpoint);
    const signed = createSignedPoster({ endpoint, credentials: sdkClient.config.credentials, region: sdkClient.config.region, maxSockets: POST_CONCURRENCY });
    const agent = new Agent({ keepAlive: true, maxSockets: POST_CONCURRENCY });
    const unsigned: Post = (connectionId, data) =>
      new Promise((resolve, reject) => {
        const req = request(
          { agent, method: 'POST', host: '127.0.0.1', port, path: `/bench/@connections/${encodeURIComponent(connectionId)}`, headers: { 'content-length': data.byteLength } },
          (res) => {
            res.resume();
            res.once('end', resolve);
          },
        );
        req.once('error', reject);
        req.end(data);
      });
    const ids = Array.from({ length: posts }, (_, i) => `conn${String(i % roomSize).padStart(6, '0')}=`);
    const paths: HotPostPath[] = [];
    options.log?.(`hot post: ${count} broadcasts to ${roomSize} connections per path (${posts} posts), ${concurrency} in flight`);
    paths.push(await measure('broadcaster + SDK client', posts, broadcasts(sdkClient, createSdkPoster(sdkClient), roomSize, count)));
    paths.push(await measure('broadcaster + signed poster', posts, broadcasts(sdkClient, signed, roomSize, count)));
    paths.push(await measure('unsigned POST (floor)', posts, () => mapWithConcurrency(ids, concurrency, (id) => unsigned(id, frame)).then(() => undefined)));
    agent.destroy();
    sdkClient.destroy();
    return { posts, concurrency, frameBytes: frame.byteLength, paths };
  } finally {
    child.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runHotPostBench({ log: (line) => console.error(line) });
  console.log(JSON.stringify(result, null, 2));
}
