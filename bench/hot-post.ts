/**
 * The hot post's handler CPU per delivery: broadcasts of one frame to
 * `roomSize` connections through the fan-out's ManagementApiBroadcaster,
 * posting through the SDK client (as createManagementClient configures it:
 * the path before the signed poster, still used outside the fan-out),
 * through the signed poster (SigV4 by the lean signer of
 * lambdas/adapters/api-gateway/sigv4.ts on a keep-alive agent, wired as the
 * fan-out wires it), through the same transport signed by
 * @smithy/signature-v4 instead (the signed poster before that signer) and
 * unsigned (the floor: what signing costs is the difference), all in the
 * same run against a local HTTP sink in a child process (so the sink's CPU
 * is not counted); then the signed poster once more over HTTPS, as in AWS
 * (a TLS sink with a throwaway self-signed certificate). CPU is this process's user + system time
 * (process.cpuUsage) over the measured posts, after a warm-up of the same size.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { SignatureV4 } from '@smithy/signature-v4';
import { ManagementApiBroadcaster } from '../lambdas/adapters/api-gateway/broadcaster';
import { createHotPoster, createHttpPoster, createSdkPoster, createSignedPoster, type ConnectionPoster } from '../lambdas/adapters/api-gateway/poster';
import type { EventEnvelope } from '../protocol';
import type { RoomMember } from '../lambdas/domain/ports';
import { encodeEnvelope } from '../lambdas/domain/wire';
import { applyEnv } from '../local/handler-env';
import { createDocumentClient, createManagementClient, POST_CONCURRENCY } from '../lambdas/commons/clients';
import { roomMembers } from '../lambdas/adapters/dynamodb/room-store';

export interface HotPostPath {
  readonly path:
    | 'broadcaster + SDK client'
    | 'broadcaster + signed poster'
    | 'broadcaster + signed poster, smithy signer'
    | 'broadcaster + unsigned POST (floor)'
    | 'broadcaster + signed poster, HTTPS';
  readonly posts: number;
  /** Client CPU (user + system) per post, µs. */
  readonly cpuUsPerPost: number;
  /** Posts per second of wall time. */
  readonly postsPerSecond: number;
}

/** Listing a room: one Query page of room rows through the fan-out's document client and room store. */
export interface RoomListing {
  readonly rowsPerPage: number;
  readonly pageBytes: number;
  readonly pages: number;
  /** Client CPU per row listed, µs (request, response parsing, unmarshalling, filtering). */
  readonly cpuUsPerRow: number;
}

export interface HotPostResult {
  readonly posts: number;
  readonly roomListing?: RoomListing;
  /** 1-minute load average when the section started (the machine is shared). */
  readonly loadAverage: number;
  readonly concurrency: number;
  readonly frameBytes: number;
  readonly paths: readonly HotPostPath[];
}

/**
 * A sink answering every POST 200 after reading its body, with an empty
 * body or the JSON file SINK_BODY (a canned DynamoDB answer), over TLS when
 * SINK_KEY/SINK_CERT name PEM files; prints its port.
 */
const SINK = `
const { readFileSync } = require('node:fs');
const body = process.env.SINK_BODY === undefined ? undefined : readFileSync(process.env.SINK_BODY);
const headers = body === undefined ? {} : { 'content-type': 'application/x-amz-json-1.0', 'content-length': body.length };
const answer = (req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, headers); res.end(body); }); };
const tls = process.env.SINK_KEY !== undefined;
const server = tls
  ? require('node:https').createServer({ key: readFileSync(process.env.SINK_KEY), cert: readFileSync(process.env.SINK_CERT) }, answer)
  : require('node:http').createServer(answer);
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startSink(options: { tls?: { keyFile: string; certFile: string }; bodyFile?: string } = {}): Promise<{ child: ChildProcess; port: number }> {
  const { tls, bodyFile } = options;
  const env = {
    ...process.env,
    ...(tls !== undefined && { SINK_KEY: tls.keyFile, SINK_CERT: tls.certFile }),
    ...(bodyFile !== undefined && { SINK_BODY: bodyFile }),
  };
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(chunk.toString().trim()) };
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 (RSA 2048, as API
 * Gateway's endpoints serve RSA), made with the openssl CLI; undefined when
 * openssl is missing (the TLS row is then left out).
 */
function selfSignedCertificate(dir: string): { keyFile: string; certFile: string } | undefined {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  return made.status === 0 ? { keyFile, certFile } : undefined;
}

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

/**
 * The signed poster as it was before sigv4.ts: the same transport and
 * headers, signed by @smithy/signature-v4's SignatureV4 with the client's
 * credentials, region and SHA-256, the body's hash computed once per frame.
 */
function smithySignedPoster(client: ApiGatewayManagementApiClient, endpoint: string): ConnectionPoster {
  const { credentials, region, sha256 } = client.config;
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256 });
  let lastFrame: Uint8Array | undefined;
  let lastHash = '';
  return createHttpPoster({
    endpoint,
    maxSockets: POST_CONCURRENCY,
    async headersFor({ path, host, hostname, port, protocol, data }) {
      if (data !== lastFrame) {
        lastHash = createHash('sha256').update(data).digest('hex');
        lastFrame = data;
      }
      const headers = { host, 'content-type': 'application/octet-stream', 'content-length': String(data.byteLength), 'x-amz-content-sha256': lastHash };
      const signed = await signer.sign({ method: 'POST', protocol, hostname, ...(port !== undefined && { port }), path, query: {}, headers, body: data });
      return signed.headers;
    },
  });
}

/** A Query answer of `rows` room rows as DynamoDB returns the fan-out's projection (one page, no LastEvaluatedKey). */
function roomPage(rows: number): string {
  const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
  const Items = Array.from({ length: rows }, (_, i) => ({
    connectionId: { S: `Xk${String(i).padStart(10, '0')}Cg=` },
    userId: { S: `user-${String(i).padStart(6, '0')}` },
    protocol: { S: i % 2 === 0 ? 'lettera.v1' : 'socket.io' },
    expiresAt: { N: String(expiresAt) },
    tokenExpiresAt: { N: String(expiresAt) },
  }));
  return JSON.stringify({ Count: rows, ScannedCount: rows, Items });
}

/** CPU per row of listing a room through the room store, against a sink answering every Query with one canned page. */
async function measureRoomListing(dir: string, rowsPerPage: number, pages: number): Promise<{ listing: RoomListing; sink: ChildProcess }> {
  const bodyFile = join(dir, 'room-page.json');
  const page = roomPage(rowsPerPage);
  writeFileSync(bodyFile, page);
  const { child, port } = await startSink({ bodyFile });
  applyEnv({ AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}` });
  // As the fan-out handler builds it.
  const members = roomMembers({ documentClient: createDocumentClient(), roomsTable: 'Rooms' });
  const listAll = async (): Promise<void> => {
    for (let i = 0; i < pages; i++) {
      const listed = await members(`chat:c${i}`);
      if (listed.length !== rowsPerPage) throw new Error(`room listing bench: ${listed.length} of ${rowsPerPage} rows`);
    }
  };
  await listAll();
  const cpu = process.cpuUsage();
  await listAll();
  const used = process.cpuUsage(cpu);
  return { listing: { rowsPerPage, pageBytes: Buffer.byteLength(page), pages, cpuUsPerRow: (used.user + used.system) / (rowsPerPage * pages) }, sink: child };
}

/** The i-th message:new of a chat, as the fan-out broadcasts it (about 300 bytes on the wire). */
function envelopeOf(i: number): EventEnvelope {
  const messageId = `01JH3Q7Z8W9X0YZABCDEF${String(i).padStart(5, '0')}`;
  return {
    event: 'message:new',
    data: { messageId, chatId: '01JH3Q7Z8W9X0YZABCDEFGHJKN', senderId: 'user-0001', content: 'x'.repeat(80), timestamp: new Date().toISOString() },
    id: `01JH3Q7Z8W9X0YZABCDEFGHJKN:${i + 1}`,
    ts: Date.now(),
    seq: i + 1,
  };
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
      const result = await broadcaster.toMembers(members, envelopeOf(i));
      if (result.delivered !== roomSize) throw new Error(`hot post bench: ${JSON.stringify(result)}`);
    }
  };
}

/**
 * Runs the paths one after the other, each `roomSize × broadcasts` posts.
 *
 * @example
 * const result = await runHotPostBench({ roomSize: 1000, broadcasts: 10 });
 */
export async function runHotPostBench(options: { roomSize?: number; broadcasts?: number; log?: (line: string) => void } = {}): Promise<HotPostResult> {
  const roomSize = options.roomSize ?? 1000;
  const count = options.broadcasts ?? 10;
  const posts = roomSize * count;
  const concurrency = POST_CONCURRENCY;
  const loadAverage = loadavg()[0] ?? 0;
  // As in Lambda: credentials and region in the environment (dummies: the sink is local, nothing reaches AWS).
  const lambdaEnv = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_SESSION_TOKEN: 'bench-session',
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: undefined,
  };
  const savedEnv = Object.fromEntries(Object.keys(lambdaEnv).map((key) => [key, process.env[key]]));
  applyEnv(lambdaEnv);
  const sinks: ChildProcess[] = [];
  const certDir = mkdtempSync(join(tmpdir(), 'lettera-hot-post-'));
  try {
    const { child, port } = await startSink();
    sinks.push(child);
    const endpoint = `http://127.0.0.1:${port}/bench`;
    // Wired as the fan-out handler wires them.
    const sdkClient: ApiGatewayManagementApiClient = createManagementClient(endpoint);
    const signed = createHotPoster(sdkClient, endpoint, POST_CONCURRENCY);
    const unsigned = createHttpPoster({ endpoint, maxSockets: POST_CONCURRENCY });
    const paths: HotPostPath[] = [];
    options.log?.(`hot post: ${count} broadcasts to ${roomSize} connections per path (${posts} posts), ${concurrency} in flight`);
    paths.push(await measure('broadcaster + SDK client', posts, broadcasts(sdkClient, createSdkPoster(sdkClient), roomSize, count)));
    paths.push(await measure('broadcaster + signed poster', posts, broadcasts(sdkClient, signed, roomSize, count)));
    paths.push(await measure('broadcaster + signed poster, smithy signer', posts, broadcasts(sdkClient, smithySignedPoster(sdkClient, endpoint), roomSize, count)));
    paths.push(await measure('broadcaster + unsigned POST (floor)', posts, broadcasts(sdkClient, unsigned, roomSize, count)));
    // In AWS the posts go over HTTPS: the same signed poster against a TLS sink (keep-alive, so handshakes are few).
    const certificate = selfSignedCertificate(certDir);
    if (certificate !== undefined) {
      const tlsSink = await startSink({ tls: certificate });
      sinks.push(tlsSink.child);
      const tlsEndpoint = `https://127.0.0.1:${tlsSink.port}/bench`;
      const { credentials, region } = sdkClient.config;
      const overTls = createSignedPoster({ endpoint: tlsEndpoint, credentials, region, maxSockets: POST_CONCURRENCY, agentOptions: { ca: readFileSync(certificate.certFile) } });
      paths.push(await measure('broadcaster + signed poster, HTTPS', posts, broadcasts(sdkClient, overTls, roomSize, count)));
    } else {
      options.log?.('hot post: openssl not found, the HTTPS row is left out');
    }
    sdkClient.destroy();
    // The other per-recipient cost of a broadcast: its share of the room's Query pages.
    const { listing, sink } = await measureRoomListing(certDir, roomSize, count);
    sinks.push(sink);
    options.log?.(`hot post: room listing, ${count} pages of ${roomSize} rows`);
    return { posts, roomListing: listing, loadAverage, concurrency, frameBytes: Buffer.byteLength(encodeEnvelope('lettera.v1', envelopeOf(0))), paths };
  } finally {
    for (const sink of sinks) sink.kill();
    rmSync(certDir, { recursive: true, force: true });
    applyEnv(savedEnv);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runHotPostBench({ log: (line) => console.error(line) });
  console.log(JSON.stringify(result, null, 2));
}
