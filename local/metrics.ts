/**
 * The local runtime's view of the handlers' metrics: it reads the
 * CloudWatch embedded metric format lines the handlers write to stdout (as
 * CloudWatch Logs would), counts them per metric and dimension set, keeps
 * recent values of the time metrics for percentiles, and serves the lot at
 * `GET /_local/metrics`. A one-line summary every 10 s while traffic flows
 * shows what a production dashboard would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { METRIC, METRICS_NAMESPACE } from '../lambdas/commons/metric-names';
import type { RequestHandler } from './dev-endpoints';

/** One metric of one EMF line. */
export interface EmfMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** Every dimension of the line's first dimension set, e.g. `{ service: 'lettera-realtime', reason: 'origin' }`. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: readonly number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The metrics of one stdout line, or undefined when the line is not EMF
 * (a log line, or not JSON at all).
 *
 * @example
 * parseEmfLine('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["service"]],"Metrics":[{"Name":"A","Unit":"Count"}]}]},"service":"s","A":2}');
 * // [{ namespace: 'N', name: 'A', unit: 'Count', dimensions: { service: 's' }, values: [2] }]
 */
export function parseEmfLine(line: string): EmfMetric[] | undefined {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed._aws) || !Array.isArray(parsed._aws.CloudWatchMetrics)) return undefined;
  const root = parsed;
  const metrics: EmfMetric[] = [];
  for (const directive of parsed._aws.CloudWatchMetrics as unknown[]) {
    if (!isRecord(directive) || !Array.isArray(directive.Metrics)) continue;
    const dimensionNames = Array.isArray(directive.Dimensions) && Array.isArray(directive.Dimensions[0]) ? (directive.Dimensions[0] as unknown[]) : [];
    const dimensions: Record<string, string> = {};
    for (const key of dimensionNames) if (typeof key === 'string' && typeof root[key] === 'string') dimensions[key] = root[key] as string;
    for (const definition of directive.Metrics as unknown[]) {
      if (!isRecord(definition) || typeof definition.Name !== 'string') continue;
      const raw = root[definition.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      metrics.push({
        namespace: typeof directive.Namespace === 'string' ? directive.Namespace : '',
        name: definition.Name,
        unit: typeof definition.Unit === 'string' ? definition.Unit : 'None',
        dimensions,
        values,
      });
    }
  }
  return metrics;
}

/** `service=lettera-realtime,reason=origin`: a dimension set as one key, names sorted. */
export function dimensionKey(dimensions: Readonly<Record<string, string>>): string {
  return Object.keys(dimensions)
    .sort()
    .map((name) => `${name}=${dimensions[name]}`)
    .join(',');
}

/** Time metrics whose percentiles the snapshot reports. */
const TIMED: readonly string[] = [METRIC.streamRecordAge, METRIC.fanOutRecordDuration];
/** Recent values kept per time metric: enough for a p99, bounded memory. */
const MAX_SAMPLES = 10_000;

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What `GET /_local/metrics` answers. */
export interface MetricsSnapshot {
  readonly namespace: string;
  /** When the runtime started collecting (ISO time). */
  readonly since: string;
  /** Sum of every value, per metric name, per dimension set. */
  readonly counters: Record<string, Record<string, number>>;
  /** The time metrics (ms): the last 10,000 values of each. `StreamRecordAge` is the stream lag. */
  readonly timings: Record<string, Percentiles>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

function percentilesOf(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? 0 };
}

export interface MetricsCollector {
  /** Takes one stdout line of a handler; true when it was EMF (and is consumed). */
  ingest(line: string): boolean;
  snapshot(): MetricsSnapshot;
  /** The summary of the traffic since the previous call, or undefined when there was none. */
  summarize(): string | undefined;
}

/**
 * Creates an empty collector.
 *
 * @example
 * const collector = createMetricsCollector();
 * collector.ingest(line) || process.stdout.write(`${line}\n`);
 */
export function createMetricsCollector(now: () => number = Date.now): MetricsCollector {
  const since = new Date(now()).toISOString();
  const counters: Record<string, Record<string, number>> = {};
  const samples = new Map<string, number[]>();
  // The summary's window: what arrived since the last summary.
  let window = { lines: 0, posted: 0, failed: 0, lag: [] as number[], startedAt: now() };

  const add = (metric: EmfMetric): void => {
    const byDimensions = (counters[metric.name] ??= {});
    const key = dimensionKey(metric.dimensions);
    const sum = metric.values.reduce((a, b) => a + b, 0);
    byDimensions[key] = (byDimensions[key] ?? 0) + sum;
    if (TIMED.includes(metric.name)) {
      const kept = samples.get(metric.name) ?? [];
      kept.push(...metric.values);
      if (kept.length > MAX_SAMPLES) kept.splice(0, kept.length - MAX_SAMPLES);
      samples.set(metric.name, kept);
    }
    if (metric.name === METRIC.deliveriesPosted) window.posted += sum;
    if (metric.name === METRIC.deliveriesFailed) window.failed += sum;
    if (metric.name === METRIC.streamRecordAge) window.lag.push(...metric.values);
  };

  return {
    ingest(line) {
      const metrics = parseEmfLine(line);
      if (metrics === undefined) return false;
      window.lines += 1;
      for (const metric of metrics) add(metric);
      return true;
    },
    snapshot() {
      const timings: Record<string, Percentiles> = {};
      for (const [name, values] of samples) timings[name] = percentilesOf(values);
      return { namespace: METRICS_NAMESPACE, since, counters: structuredClone(counters), timings };
    },
    summarize() {
      const ended = now();
      const { lines, posted, failed, lag, startedAt } = window;
      window = { lines: 0, posted: 0, failed: 0, lag: [], startedAt: ended };
      if (lines === 0) return undefined;
      const seconds = Math.max(0.001, (ended - startedAt) / 1000);
      const lagText = lag.length === 0 ? 'lag n/a' : `lag p50 ${percentilesOf(lag).p50} ms p99 ${percentilesOf(lag).p99} ms`;
      return `${(posted / seconds).toFixed(1)} deliveries/s, ${lagText}, ${failed} failed deliveries`;
    },
  };
}

/**
 * The `GET /_local/metrics` endpoint of the HTTP port (local runtime only).
 *
 * @example
 * startHttpApi({ extraHandlers: [createMetricsEndpoint(collector)], … });
 */
export function createMetricsEndpoint(collector: MetricsCollector): RequestHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/_local/metrics') return false;
    const [status, body] =
      req.method === 'GET' || req.method === 'HEAD'
        ? [200, collector.snapshot()]
        : [405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method ?? ''} is not allowed on ${path}` } }];
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...(status === 405 && { allow: 'GET, HEAD' }) });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  };
}
