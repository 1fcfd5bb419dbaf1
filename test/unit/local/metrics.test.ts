import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsCollector, createMetricsEndpoint, parseEmfLine, percentile } from '../../../local/metrics';

/** An EMF line as Powertools writes it. */
function emf(metrics: Record<string, { unit: string; value: number | number[] }>, dimensions: Record<string, string> = { service: 'lettera-realtime' }): string {
  return JSON.stringify({
    _aws: {
      Timestamp: 1_764_201_600_000,
      CloudWatchMetrics: [
        { Namespace: 'Lettera/Realtime', Dimensions: [Object.keys(dimensions)], Metrics: Object.entries(metrics).map(([Name, { unit }]) => ({ Name, Unit: unit })) },
      ],
    },
    ...dimensions,
    ...Object.fromEntries(Object.entries(metrics).map(([name, { value }]) => [name, value])),
  });
}

describe('Function: parseEmfLine', () => {
  it('reads every metric of an EMF line with its unit, dimensions and values', () => {
    // Act
    const metrics = parseEmfLine(emf({ DeliveriesPosted: { unit: 'Count', value: 3 }, StreamRecordAge: { unit: 'Milliseconds', value: [10, 20] } }));

    // Assess
    expect(metrics).toEqual([
      { namespace: 'Lettera/Realtime', name: 'DeliveriesPosted', unit: 'Count', dimensions: { service: 'lettera-realtime' }, values: [3] },
      { namespace: 'Lettera/Realtime', name: 'StreamRecordAge', unit: 'Milliseconds', dimensions: { service: 'lettera-realtime' }, values: [10, 20] },
    ]);
  });

  it.each([
    ['a log line', '{"level":"INFO","message":"record processed"}'],
    ['plain text', 'Debugger attached.'],
    ['broken JSON that mentions _aws', '{"_aws": {'],
    ['_aws without metrics', '{"_aws":{"Timestamp":1}}'],
  ])('returns undefined for %s', (_name, line) => {
    // Act & Assess
    expect(parseEmfLine(line)).toBeUndefined();
  });
});

describe('Function: percentile', () => {
  it('is the nearest-rank percentile, 0 for no values', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, i) => i + 1);

    // Act & Assess
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('Function: createMetricsCollector', () => {
  it('sums counters per metric and dimension set, and gives percentiles of the time metrics', () => {
    // Prepare
    const collector = createMetricsCollector();

    // Act
    const consumed = [
      collector.ingest(emf({ ConnectionsOpened: { unit: 'Count', value: 1 } })),
      collector.ingest(emf({ ConnectionsOpened: { unit: 'Count', value: 2 } })),
      collector.ingest(emf({ ConnectionsRefused: { unit: 'Count', value: 1 } }, { service: 'lettera-realtime', reason: 'origin' })),
      collector.ingest(emf({ StreamRecordAge: { unit: 'Milliseconds', value: [100, 200, 300, 400] } })),
      collector.ingest('{"level":"INFO","message":"not a metric"}'),
    ];
    const snapshot = collector.snapshot();

    // Assess
    expect(consumed).toEqual([true, true, true, true, false]);
    expect(snapshot.counters).toEqual({
      ConnectionsOpened: { 'service=lettera-realtime': 3 },
      ConnectionsRefused: { 'reason=origin,service=lettera-realtime': 1 },
      StreamRecordAge: { 'service=lettera-realtime': 1000 },
    });
    expect(snapshot.timings.StreamRecordAge).toEqual({ count: 4, p50: 200, p99: 400, max: 400 });
    expect(snapshot.namespace).toBe('Lettera/Realtime');
  });

  it('summarizes the traffic since the last summary, and nothing while idle', () => {
    // Prepare
    let now = 0;
    const collector = createMetricsCollector(() => now);
    collector.ingest(emf({ DeliveriesPosted: { unit: 'Count', value: 50 }, DeliveriesFailed: { unit: 'Count', value: 2 } }));
    collector.ingest(emf({ StreamRecordAge: { unit: 'Milliseconds', value: [100, 900] } }));
    now = 10_000;

    // Act
    const busy = collector.summarize();
    now = 20_000;
    const idle = collector.summarize();

    // Assess
    expect(busy).toBe('5.0 deliveries/s, lag p50 100 ms p99 900 ms, 2 failed deliveries');
    expect(idle).toBeUndefined();
  });
});

describe('Function: createMetricsEndpoint', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  async function serve(): Promise<string> {
    const collector = createMetricsCollector();
    collector.ingest(emf({ MessagesAccepted: { unit: 'Count', value: 3 } }));
    const endpoint = createMetricsEndpoint(collector);
    server = createServer(async (req, res) => {
      if (!(await endpoint(req, res))) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('answers GET /_local/metrics with the snapshot, other methods with 405, and leaves other paths alone', async () => {
    // Prepare
    const base = await serve();

    // Act
    const got = await fetch(`${base}/_local/metrics`);
    const posted = await fetch(`${base}/_local/metrics`, { method: 'POST' });
    const other = await fetch(`${base}/_local/other`);

    // Assess
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toContain('application/json');
    expect(((await got.json()) as { counters: unknown }).counters).toEqual({ MessagesAccepted: { 'service=lettera-realtime': 3 } });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
    expect(other.status).toBe(404);
  });
});
