/**
 * Turns benchmark results into the printed tables and the README snippet:
 * the same rows, once as plain text and once as markdown.
 */
import type { HotPostResult } from './hot-post';
import type { AwsCallSnapshot, OperationCount } from './aws-calls';
import type { BigRoomResult } from './big-room';
import type { LoginBurstResult } from './login-burst';
import type { ConnectStormResult, RoomResult } from './realtime';
import type { BenchResults } from './run';
import { fixed, grouped, kib, markdownTable, summarize, textTable, type Summary } from './stats';

/** DynamoDB returns at most 1 MB of items per Query page. */
const QUERY_PAGE_BYTES = 1024 * 1024;

interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

export interface LatencyRow {
  readonly size: number;
  readonly messages: number;
  readonly first: Summary;
  readonly last: Summary;
  readonly http: Summary;
  readonly deliveriesPerSecond: number;
  readonly incomplete: number;
}

export function latencyOf(room: RoomResult): LatencyRow {
  const complete = room.samples.filter((sample) => sample.complete);
  return {
    size: room.size,
    messages: room.messages,
    first: summarize(room.samples.filter((s) => Number.isFinite(s.firstMs)).map((s) => s.firstMs)),
    last: summarize(complete.map((s) => s.lastMs)),
    http: summarize(room.samples.map((s) => s.httpMs)),
    deliveriesPerSecond: room.deliveriesPerSecond,
    incomplete: room.incomplete,
  };
}

/**
 * The design's lower bound per message: 1 TransactWriteItems (the sender's
 * membership row for authorization and flood limit, the chat's head for the
 * message's position, the message), 1 Query page per MB of room rows, N posts.
 */
export function lowerBound(room: RoomResult, operation: string): number {
  switch (operation) {
    case 'TransactWriteItems':
      return 1;
    case 'Query':
      return Math.max(1, Math.ceil(room.roomRowBytes / QUERY_PAGE_BYTES));
    case 'PostToConnection':
      return room.size;
    default:
      return 0;
  }
}

function operationKey(op: Pick<OperationCount, 'service' | 'operation' | 'caller'>): string {
  return `${op.service} ${op.operation}|${op.caller}`;
}

const CALLER_LABEL: Record<string, string> = { runtime: 'stream poller*' };

function latencyTable(rows: readonly LatencyRow[]): Table {
  return {
    title: '1. Fan-out latency, HTTP POST → delivery (ms), and throughput',
    header: ['room', 'msgs', 'first p50', 'first p95', 'first p99', 'last p50', 'last p95', 'last p99', 'HTTP 201 p50', 'deliveries/s', 'incomplete'],
    rows: rows.map((r) => [
      String(r.size),
      String(r.messages),
      fixed(r.first.p50),
      fixed(r.first.p95),
      fixed(r.first.p99),
      fixed(r.last.p50),
      fixed(r.last.p95),
      fixed(r.last.p99),
      fixed(r.http.p50),
      grouped(r.deliveriesPerSecond),
      String(r.incomplete),
    ]),
    notes: [
      'first/last: until the first/last of the room\'s connections received message:new. Messages sent one at a time (next send after the last delivery).',
      'Each send first waits a random 0–200 ms (the poll interval), so sends don\'t phase-lock with the stream poller; deliveries/s = deliveries ÷ the time messages were in flight (send → last delivery, pauses excluded).',
      'With fewer than 100 messages p99 is the slowest message.',
    ],
  };
}

function phaseTable(rooms: readonly RoomResult[]): Table {
  const pair = (values: number[]): string => {
    const summary = summarize(values);
    return `${fixed(summary.p50)} / ${fixed(summary.p95)}`;
  };
  return {
    title: 'Where the time goes (p50 / p95 ms)',
    header: ['room', 'HTTP 201', '201 → fan-out starts', 'fan-out invocation', 'fan-out µs / connection (p50)', 'send → last delivery'],
    rows: rooms.map((room) => {
      const fanOut = room.phases.map((p) => p.fanOutMs);
      return [
        String(room.size),
        pair(room.samples.map((s) => s.httpMs)),
        pair(room.phases.map((p) => p.streamMs)),
        pair(fanOut),
        fixed((summarize(fanOut).p50 * 1000) / room.size, 0),
        pair(room.samples.filter((s) => s.complete).map((s) => s.lastMs)),
      ];
    }),
    notes: [
      '201 → fan-out starts: the stream record waits for the next poll (every 200 ms locally; Lambda polls a shard 4×/s) plus GetRecords.',
      'fan-out invocation: the fan-out handler\'s one Query of the room and its PostToConnection calls, through the local @connections API in the same process.',
      ...rooms
        .filter((room) => (room.sliceInvocations ?? 0) > 0)
        .map(
          (room) =>
            `room of ${room.size}: posted in ${fixed(room.sliceInvocations / room.messages, 1)} slices per message by the slice poster in the runtime's worker threads (Invoke API); those posts are not in this thread's call counts, and the fan-out invocation includes waiting for the slices.`,
        ),
    ],
  };
}

function ratioTable(rows: readonly LatencyRow[], rooms: readonly RoomResult[]): Table | undefined {
  const base = rows[0];
  const baseRoom = rooms[0];
  if (base === undefined || baseRoom === undefined || rows.length < 2) return undefined;
  const posts = (room: RoomResult): number =>
    room.calls.operations.filter((op) => op.operation === 'PostToConnection').reduce((sum, op) => sum + op.requests, 0) / room.messages;
  return {
    title: `Ratios against the room of ${base.size} (same run)`,
    header: ['room', 'connections ×', 'last p50 ×', 'last p99 ×', 'first p50 ×', 'posts/msg ×', 'deliveries/s ×'],
    rows: rows.slice(1).map((r, i) => {
      const room = rooms[i + 1] as RoomResult;
      return [
        String(r.size),
        fixed(r.size / base.size, 0),
        fixed(r.last.p50 / base.last.p50, 2),
        fixed(r.last.p99 / base.last.p99, 2),
        fixed(r.first.p50 / base.first.p50, 2),
        fixed(posts(room) / posts(baseRoom), 1),
        fixed(r.deliveriesPerSecond / base.deliveriesPerSecond, 2),
      ];
    }),
  };
}

function callsTable(rooms: readonly RoomResult[]): Table {
  const keys = new Map<string, Pick<OperationCount, 'service' | 'operation' | 'caller'>>();
  for (const room of rooms) for (const op of room.calls.operations) keys.set(operationKey(op), op);
  const ordered = [...keys.values()].sort((a, b) => {
    const rank = (op: typeof a): number => (op.caller === 'runtime' ? 1 : 0);
    return rank(a) - rank(b) || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation) || a.caller.localeCompare(b.caller);
  });
  const perMessage = (room: RoomResult, key: string): number =>
    room.calls.operations.filter((op) => operationKey(op) === key).reduce((sum, op) => sum + op.requests, 0) / room.messages;
  const errors = (room: RoomResult): number => room.calls.operations.reduce((sum, op) => sum + op.errors, 0);

  const rows: string[][] = ordered.map((op) => {
    const key = operationKey(op);
    const bound = op.caller === 'runtime' ? '—' : rooms.map((room) => String(lowerBound(room, op.operation))).join(' / ');
    return [`${op.service} ${op.operation}`, CALLER_LABEL[op.caller] ?? op.caller, ...rooms.map((room) => fixed(perMessage(room, key), 2)), bound];
  });
  const functions = [...new Set(rooms.flatMap((room) => Object.keys(room.calls.invocations)))].sort();
  for (const fn of functions) {
    rows.push([`Lambda invocations`, fn, ...rooms.map((room) => fixed((room.calls.invocations[fn]?.count ?? 0) / room.messages, 2)), '']);
  }
  for (const fn of functions) {
    rows.push([`handler ms (sum)`, fn, ...rooms.map((room) => fixed((room.calls.invocations[fn]?.totalMs ?? 0) / room.messages, 1)), '']);
  }
  rows.push(['request errors (total)', '', ...rooms.map((room) => String(errors(room))), '0']);
  return {
    title: '2. AWS requests per message, by operation and caller',
    header: ['operation', 'by', ...rooms.map((room) => `room ${room.size}`), `lower bound (${rooms.map((room) => room.size).join(' / ')})`],
    rows,
    notes: [
      'Counted at the SDK\'s HTTP handler (every request, retries included; the fan-out\'s posts at the signed poster\'s transport), from the HTTP send until the streams settled, ÷ messages sent.',
      'Lower bound (the design\'s minimum): 1 TransactWriteItems (membership check and flood count, the chat position, the message), 1 Query page per ~1 MB of room rows, N PostToConnection; 0 for anything else.',
      `Room rows: ${rooms.map((room) => `${room.size} rows ≈ ${kib(room.roomRowBytes)}`).join(', ')}.`,
      '* The local stream poller standing in for Lambda\'s event source mapping (GetRecords is polled on a timer, not per message; not billed per call in AWS).',
    ],
  };
}

function connectStormTable(storm: ConnectStormResult): Table {
  const ordered = [...storm.calls.operations].sort(
    (a, b) => Number(a.caller === 'runtime') - Number(b.caller === 'runtime') || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation) || a.caller.localeCompare(b.caller),
  );
  const rows: string[][] = ordered.map((op) => [
    `${op.service} ${op.operation}`,
    CALLER_LABEL[op.caller] ?? op.caller,
    grouped(op.requests),
    fixed(op.requests / storm.size, 2),
    op.errors > 0 ? grouped(op.errors) : '',
  ]);
  for (const [fn, stats] of Object.entries(storm.calls.invocations).sort()) {
    rows.push(['Lambda invocations', fn, grouped(stats.count), fixed(stats.count / storm.size, 2), '']);
  }
  const half = (storm.size * (storm.size - 1)) / 2;
  return {
    title: `2b. Connecting ${storm.size} users who already share a chat: AWS requests`,
    header: ['operation', 'by', 'total', 'per connection', 'errors'],
    rows,
    notes: [
      `${grouped(storm.onlineFrames)} user:online frames delivered, between N(N−1)/2 = ${grouped(half)} and N(N−1) = ${grouped(2 * half)}: each connect is announced to every co-member connected by the time its Presence record is fanned out, so a room's login burst costs O(N²) posts. ${fixed(storm.ms / 1000, 1)} s until the streams settled.`,
      `Room rows of the chat afterwards: ${storm.roomRowsAfter} of ${storm.size}${storm.roomRowsAfter < storm.size ? ' (connections were removed from the room while connecting)' : ''}.`,
    ],
  };
}

function bigRoomTables(big: BigRoomResult): Table[] {
  const load = `load average ${fixed(big.loadAverage.before, 2)} before, ${fixed(big.loadAverage.after, 2)} after`;
  const tables: Table[] = [
    {
      title: `5. Create ${grouped(big.size)}: a chat created with ${grouped(big.size)} connected participants, one message sent as POST /chats returns`,
      header: ['participants', 'POST /chats ms', 'message reached', 'send → last delivery ms'],
      rows: [[grouped(big.size), fixed(big.create.createMs, 0), `${grouped(big.create.probeReached)} of ${grouped(big.size)}`, fixed(big.create.probeLastMs, 0)]],
      notes: [
        `${grouped(big.size)} ws clients (a child process) connected in ${fixed(big.connectMs / 1000, 1)} s to a runtime with the default settings (handlers in their worker thread, their logs at WARN); then one of them created the chat through the HTTP API, which puts every participant's connections in the room before it answers. Reached: within 15 s. ${load}.`,
      ],
    },
  ];
  const room = big.room;
  if (room !== undefined) {
    tables.push({
      title: `6. Room ${grouped(big.size)}: ${room.messages} messages at ${room.rate}/s from ${room.senders} senders`,
      header: ['receivers', 'expected', 'within 2 s of the last send', 'within 15 s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'server CPU ms (node + java)', 'CPU ms / 1,000 deliveries'],
      rows: [
        [
          grouped(big.size),
          grouped(room.expected),
          grouped(room.inWindow),
          grouped(room.eventually),
          fixed(room.latency.p50),
          fixed(room.latency.p95),
          fixed(room.latency.p99),
          fixed(room.latency.max),
          `${grouped(room.cpu.nodeMs + room.cpu.javaMs)} (${grouped(room.cpu.nodeMs)} + ${grouped(room.cpu.javaMs)})`,
          fixed(room.cpuMsPer1kDeliveries),
        ],
      ],
      notes: [
        `The senders are members of the chat, connected like the others (every connection receives every message). Sends are not paced by deliveries; ${room.refused} refused.`,
        'Latency: send → delivery of the deliveries within the window, on the load generator’s clock. CPU: this process (runtime, stream pollers, handler thread) and DynamoDB Local’s Java process, from the first send until the window closed (2 s after the last send, or every delivery).',
        `${load}.`,
      ],
    });
  }
  return tables;
}

/** Server CPU (runtime thread + java) per 1,000 deliveries. */
const cpuPer1k = (cpuMs: number, deliveries: number): string => (deliveries > 0 ? fixed((cpuMs / deliveries) * 1000, 0) : '');

/** The fan-out function's time per PostToConnection it made, µs. */
function fanOutUsPerPost(calls: AwsCallSnapshot): string {
  const posts = calls.operations.find((op) => op.caller === 'fanOut' && op.operation === 'PostToConnection')?.requests ?? 0;
  return posts > 0 ? fixed(((calls.invocations.fanOut?.totalMs ?? 0) / posts) * 1000, 0) : '';
}

function deliveryCpuTable(rooms: readonly RoomResult[], burst: LoginBurstResult | undefined): Table {
  const rows = rooms.map((room) => [
    `message:new, room of ${room.size}`,
    grouped(room.deliveries),
    fixed(room.cpu.nodeMs, 0),
    fixed(room.cpu.javaMs, 0),
    cpuPer1k(room.cpu.nodeMs + room.cpu.javaMs, room.deliveries),
    fanOutUsPerPost(room.calls),
  ]);
  if (burst !== undefined) {
    rows.push([
      `user:online, login burst of ${burst.size}`,
      grouped(burst.onlineFrames),
      fixed(burst.cpu.nodeMs, 0),
      fixed(burst.cpu.javaMs, 0),
      cpuPer1k(burst.cpu.nodeMs + burst.cpu.javaMs, burst.onlineFrames),
      fanOutUsPerPost(burst.calls),
    ]);
  }
  return {
    title: '2c. Server cost per delivery, messages and presence (same run)',
    header: ['deliveries of', 'count', 'node ms', 'java ms', 'CPU ms per 1,000', 'fan-out µs per post'],
    rows,
    notes: [
      'node: the runtime\'s thread, which runs the gateway, the pollers and (in the bench) the handlers; java: DynamoDB Local. From /proc, from the first send (or connect) until the streams settled. The clients\' CPU is not included.',
      'The login burst\'s CPU holds everything the burst costs (the $connect handlers, room and presence writes, every client\'s presence:query, the pollers while it lasts), all charged to its user:online deliveries: an upper bound on a presence delivery. The fan-out\'s own time per post (its invocations\' wall time ÷ its posts) compares the two deliveries alone.',
    ],
  };
}

function loginBurstTable(burst: LoginBurstResult): Table {
  return {
    title: `2d. Login burst: ${burst.size} users who share a chat connect at once`,
    header: ['all connected', 'presence settled (all clients)', 'median client', 'last user:online', 'user:online frames', 'presence:query acks', 'server CPU (node + java)'],
    rows: [
      [
        `${fixed(burst.connectedMs / 1000, 2)} s`,
        Number.isFinite(burst.settledMs) ? `${fixed(burst.settledMs / 1000, 2)} s` : 'not within 120 s',
        `${fixed(burst.medianSettledMs / 1000, 2)} s`,
        `${fixed(burst.lastOnlineMs / 1000, 2)} s`,
        grouped(burst.onlineFrames),
        `${grouped(burst.queryAcks)}${burst.queryErrors > 0 ? ` (+${burst.queryErrors} refused)` : ''}`,
        `${fixed((burst.cpu.nodeMs + burst.cpu.javaMs) / 1000, 2)} s (${fixed(burst.cpu.nodeMs / 1000, 2)} + ${fixed(burst.cpu.javaMs / 1000, 2)})`,
      ],
    ],
    notes: [
      'Settled: the client knows every other user online, from user:online events and the presence:query it sends as soon as it is open (as the demo page does). "Last user:online" is when the last event arrived, the socket.io peer benchmark\'s definition. Target (issue 11): settled within 3 s on this machine.',
      ...(burst.connectFailures > 0 ? [`${burst.connectFailures} connection(s) refused.`] : []),
    ],
  };
}

function lambdaTable(results: NonNullable<BenchResults['lambdas']>): Table {
  return {
    title: '3. Lambda bundles (ChatFunction\'s esbuild options) and cold init',
    header: ['function', 'index.mjs', 'gzip', 'zip (+map)', 'init ms', 'init ms, no source maps'],
    rows: results.bundles.map((b) => [b.name, kib(b.bytes), kib(b.gzipBytes), kib(b.zipBytes), fixed(b.initMs), fixed(b.initNoSourceMapsMs)]),
    notes: [
      `esbuild through the CDK construct: ESM, minify, target ${results.target}, platform node, external source map, AWS SDK bundled.`,
      `init: time to import the bundle in a fresh \`node\` process (${process.version} here, Lambda runs ${results.target}), median of ${results.runs}, with the deployed NODE_OPTIONS=--enable-source-maps and without. Excludes the first network call.`,
    ],
  };
}

function clientTable(client: NonNullable<BenchResults['client']>): Table {
  return {
    title: '4. Client bundle (lettera-realtime/client, esbuild, minified)',
    header: ['bundle', 'minified', 'minified + gzip'],
    rows: [['dist/client/index.js', `${grouped(client.bytes)} B (${kib(client.bytes)})`, `${grouped(client.gzipBytes)} B (${kib(client.gzipBytes)})`]],
  };
}

function setupNotes(results: BenchResults): string[] {
  const realtime = results.realtime;
  if (realtime === undefined) return [];
  const frames = Object.entries(realtime.framesByEvent)
    .map(([event, count]) => `${event} ${grouped(count)}`)
    .join(', ');
  const creates = realtime.creates.map((create) => `${fixed(create.createMs, 0)} ms for ${grouped(create.size)} participants`).join(', ');
  const short = realtime.creates.filter((create) => create.joinedAtAnswer < create.size);
  const joined =
    short.length === 0
      ? 'every connection was in its room when the call answered'
      : short.map((create) => `the room of ${grouped(create.size)} had ${grouped(create.joinedAtAnswer)} connections when the call answered and was full ${fixed(create.waitMs, 0)} ms later`).join('; ');
  return [
    `${realtime.connections} ws clients (one user each, in a worker thread) connected in ${fixed(realtime.connectMs / 1000, 1)} s. Then one member of each chat created it through the HTTP API, POST /chats with the other members as participants, which puts their open connections in the chat's room before it answers. Request → 201, one create at a time on a settled runtime: ${creates}; ${joined}. Five members take turns posting through the HTTP API, one message at a time (one user alone would hit the flood limit).`,
    `Frames received over the run: ${frames}. Stream batches discarded: ${realtime.streamFailures}.`,
  ];
}

function machineLine(results: BenchResults): string {
  const m = results.machine;
  return `Node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.java}, ${m.date.slice(0, 10)}; load average ${fixed(m.loadAverage, 2)} at start; whole run ${fixed(results.durationMs / 1000, 0)} s.`;
}

/** The hot post section: the posters side by side, relative to the SDK client. */
function hotPostTable(result: HotPostResult): Table {
  const sdk = result.paths[0]?.cpuUsPerPost ?? Number.NaN;
  return {
    title: 'Hot post: handler CPU per delivery against a local HTTP sink (same run)',
    header: ['path', 'posts', 'CPU µs / post', 'vs SDK client', 'posts/s'],
    rows: result.paths.map((p) => [p.path, String(p.posts), p.cpuUsPerPost.toFixed(0), (p.cpuUsPerPost / sdk).toFixed(2), p.postsPerSecond.toFixed(0)]),
    notes: [
      `Broadcasts of one ${result.frameBytes}-byte message:new through the fan-out's broadcaster (frame cache, limiter, per-post timeout), ${result.concurrency} posts in flight; the sink runs in a child process, so only the poster's side is counted. Load average ${result.loadAverage.toFixed(2)} when the section started.`,
      ...(result.roomListing === undefined
        ? []
        : [
            `Listing the room (the broadcast's other per-recipient cost): ${result.roomListing.cpuUsPerRow.toFixed(1)} µs of CPU per row, Query pages of ${result.roomListing.rowsPerPage} rows (${(result.roomListing.pageBytes / 1024).toFixed(0)} KiB as DynamoDB sends them) through the fan-out's document client and room store, against a sink answering a canned page.`,
          ]),
      'The fan-out posts through the signed poster (target: at most 150 µs per delivery); the SDK client stays for DeleteConnection, GetConnection, the open packet and the other functions. It signs with its own SigV4 signer (lambdas/adapters/api-gateway/sigv4.ts, same headers as @smithy/signature-v4); the smithy row is the same poster signed by @smithy/signature-v4, as before that signer. The floor is the same HTTP transport without signing. The HTTPS row is the signed poster against a TLS sink (keep-alive, RSA 2048 certificate), as the posts travel in AWS; its ratio is to the SDK client over plain HTTP.',
    ],
  };
}

/** The printed report and the README snippet. */
export function renderReport(results: BenchResults): { text: string; markdown: string } {
  const tables: Table[] = [];
  if (results.realtime !== undefined) {
    const rows = results.realtime.rooms.map(latencyOf);
    tables.push(latencyTable(rows));
    tables.push(phaseTable(results.realtime.rooms));
    const ratios = ratioTable(rows, results.realtime.rooms);
    if (ratios !== undefined) tables.push(ratios);
    tables.push(callsTable(results.realtime.rooms));
    if (results.realtime.connectStorm !== undefined) tables.push(connectStormTable(results.realtime.connectStorm));
    tables.push(deliveryCpuTable(results.realtime.rooms, results.realtime.loginBurst));
    if (results.realtime.loginBurst !== undefined) tables.push(loginBurstTable(results.realtime.loginBurst));
  }
  if (results.hotPost !== undefined) tables.push(hotPostTable(results.hotPost));
  if (results.lambdas !== undefined) tables.push(lambdaTable(results.lambdas));
  if (results.client !== undefined) tables.push(clientTable(results.client));
  if (results.bigRoom !== undefined) tables.push(...bigRoomTables(results.bigRoom));

  const intro =
    results.realtime === undefined
      ? []
      : ['Local runtime in one process (DynamoDB Local in Java, API Gateway emulator, stream pollers every 200 ms), all on 127.0.0.1.', ...setupNotes(results)];
  const text = [
    `lettera-realtime benchmark — ${machineLine(results)}`,
    ...intro,
    ...tables.map((t) => ['', t.title, textTable(t.header, t.rows), ...(t.notes ?? []).map((n) => `  ${n}`)].join('\n')),
  ].join('\n');
  const markdown = [
    '### Benchmark (`npm run bench`)',
    '',
    `Machine: ${machineLine(results)}`,
    '',
    // One paragraph per line: consecutive lines would run together in markdown.
    ...intro.flatMap((line, i) => (i === 0 ? [line] : ['', line])),
    ...tables.flatMap((t) => ['', `**${t.title}**`, '', markdownTable(t.header, t.rows), ...(t.notes !== undefined ? ['', ...t.notes.map((n) => `- ${n}`)] : [])]),
    '',
  ].join('\n');
  return { text, markdown };
}
