/**
 * Operations on the local runtime (issue 13): a scripted session, then the
 * handlers' metrics as `GET /_local/metrics` serves them, and the handlers'
 * own log lines, grepped for what must never be there (tokens, the secret,
 * message text) and for what must (correlation ids).
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC, SERVICE_NAME } from '../../lambdas/commons/metric-names';
import type { MetricsSnapshot } from '../../local/metrics';
import { connectWebSocket, createChat, isEvent, startTestRuntime, upgradeStatus, waitFor, type LocalRuntime, type TestSocket } from '../helpers/local-runtime';

const SECRET = 'observability-test-secret-that-is-long-enough';
const TEXTS = { sent: 'zebra-quartz-sent-7731', edited: 'zebra-quartz-edited-7731' };
const SERVICE = `service=${SERVICE_NAME}`;

let runtime: LocalRuntime;
const logLines: string[] = [];
const sockets: TestSocket[] = [];
const tokens: string[] = [];
let refusedToken: string;

async function metrics(): Promise<MetricsSnapshot> {
  const response = await fetch(`${runtime.httpUrl}/_local/metrics`);
  expect(response.status).toBe(200);
  return (await response.json()) as MetricsSnapshot;
}

const counter = (snapshot: MetricsSnapshot, name: string, dimensions = SERVICE): number => snapshot.counters[name]?.[dimensions] ?? 0;

beforeAll(async () => {
  // INFO: the level deployed functions log at by default.
  runtime = await startTestRuntime({ jwtSecret: SECRET, handlerLogLevel: 'INFO', onHandlerLog: (line) => logLines.push(line) });

  // The scripted session: two users connect, a third is refused, one sends, edits, deletes and types.
  const [alice, bob] = ['alice-ops', 'bob-ops'];
  const chatId = await createChat(runtime, alice, [bob], 'ops');
  for (const user of [alice, bob]) {
    const token = await runtime.token(user);
    tokens.push(token);
    const socket = await connectWebSocket(runtime.wsUrl, { token });
    sockets.push(socket);
  }
  const [aliceWs, bobWs] = sockets as [TestSocket, TestSocket];
  refusedToken = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('1h').sign(new TextEncoder().encode('not-the-runtime-secret-at-all-0000'));
  expect(await upgradeStatus(runtime.wsUrl, { token: refusedToken })).toBe(401);

  aliceWs.send({ action: 'message:send', data: { chatId, content: TEXTS.sent }, ackId: 1 });
  const sent = await aliceWs.nextEvent((frame) => frame?.event === 'ack' && frame.ackId === 1);
  const messageId = sent.data.messageId as string;
  await bobWs.nextEvent(isEvent('message:new', (d) => d.messageId === messageId));
  aliceWs.send({ action: 'message:edit', data: { chatId, messageId, content: TEXTS.edited }, ackId: 2 });
  await bobWs.nextEvent(isEvent('message:edited', (d) => d.messageId === messageId));
  aliceWs.send({ action: 'message:delete', data: { chatId, messageId }, ackId: 3 });
  await bobWs.nextEvent(isEvent('message:deleted', (d) => d.messageId === messageId));
  aliceWs.send({ action: 'user:typing', data: { chatId }, ackId: 4 });
  await bobWs.nextEvent(isEvent('user:typing'));
  await runtime.settle();
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await runtime?.stop();
});

describe('Local runtime: operations', () => {
  it('serves the handlers\' metrics at GET /_local/metrics with the counts of the session', async () => {
    // Act: the EMF lines come through the worker's stdout, shortly after each invocation ends.
    const snapshot = await waitFor(async () => {
      const current = await metrics();
      return counter(current, METRIC.messagesAccepted) >= 3 && counter(current, METRIC.typingPosts) >= 1 && counter(current, METRIC.connectionsOpened) >= 2 ? current : undefined;
    }) as MetricsSnapshot;

    // Assess
    expect(counter(snapshot, METRIC.connectionsOpened)).toBe(2);
    expect(counter(snapshot, METRIC.connectionsRefused, `reason=unauthorized,${SERVICE}`)).toBe(1);
    expect(counter(snapshot, METRIC.messagesAccepted)).toBe(3);
    // message:new, :edited and :deleted each to alice and bob.
    expect(counter(snapshot, METRIC.deliveriesPosted)).toBeGreaterThanOrEqual(6);
    expect(counter(snapshot, METRIC.deliveriesFailed)).toBe(0);
    expect(counter(snapshot, METRIC.typingPosts)).toBe(1);
    expect(counter(snapshot, 'ColdStart')).toBeGreaterThanOrEqual(1);
    expect(snapshot.timings[METRIC.streamRecordAge]?.count).toBeGreaterThanOrEqual(3);
    expect(snapshot.timings[METRIC.fanOutRecordDuration]?.p99).toBeGreaterThanOrEqual(snapshot.timings[METRIC.fanOutRecordDuration]?.p50 ?? Infinity);
    // Only low-cardinality dimensions: service, plus reason or event.
    for (const byDimensions of Object.values(snapshot.counters)) {
      for (const key of Object.keys(byDimensions)) {
        for (const pair of key.split(',')) expect(['service', 'reason', 'event']).toContain(pair.split('=')[0]);
      }
    }
  });

  it('writes no token, secret or message text in any handler log line, and a correlation id in each', async () => {
    // Prepare: wait for the fan-out's per-record lines of the session.
    await waitFor(() => logLines.filter((line) => line.includes('"record processed"')).length >= 3);
    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

    // Assess
    const forbidden = [SECRET, refusedToken, ...tokens, TEXTS.sent, TEXTS.edited];
    for (const line of logLines) for (const value of forbidden) expect(line).not.toContain(value);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry.correlation_id, JSON.stringify(entry)).toEqual(expect.any(String));
    const refused = entries.find((entry) => String(entry.message).startsWith('connect refused'));
    expect(refused?.correlation_id).toEqual(expect.any(String));
    const records = entries.filter((entry) => entry.message === 'record processed');
    // Per record, not per post: one line each, with the record's eventID as its correlation id.
    expect(new Set(records.map((entry) => entry.correlation_id)).size).toBe(records.length);
  });
});
