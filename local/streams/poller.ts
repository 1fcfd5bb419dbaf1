/**
 * A Lambda event source mapping for one DynamoDB stream, run locally
 * (AWS's event source mapping documentation; LocalStack's stream poller is the
 * semantic model): shards discovered and processed parents first, one batch
 * in flight per shard, in order, batch size and window, filters, retries
 * with backoff, bisect on error, batchItemFailures, record age, and a
 * visible failure log for batches that are given up.
 */
import { DescribeStreamCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type Shard, type ShardIteratorType } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StreamMapping } from '../../lambdas/system/topology';
import { invokeHandler, type LambdaHandler } from '../lambda';
import { MemoryCheckpointStore, type CheckpointStore } from './checkpoints';
import { matchesFilters } from './filters';
import { StreamRecordsReader } from './get-records';
import { toLambdaRecord, toLambdaStreamArn, withReadTime, type StreamRecord } from './records';

/** The event source mapping settings the poller honours (topology.ts StreamMapping without table/function). */
export type StreamSettings = Omit<StreamMapping, 'table' | 'function'>;

/** A batch the poller gave up on: the local stand-in for an on-failure destination. */
export interface DiscardedBatch {
  readonly functionName: string;
  readonly eventSourceARN: string;
  readonly shardId: string;
  readonly reason: string;
  readonly attempts: number;
  readonly firstSequenceNumber: string;
  readonly lastSequenceNumber: string;
  readonly records: readonly DynamoDBRecord[];
  readonly at: string;
}

export interface StreamPollerOptions {
  /** DescribeStream and GetShardIterator (a few calls a minute). */
  readonly client: DynamoDBStreamsClient;
  /**
   * DynamoDB Local's endpoint: GetRecords, 5 calls a second per shard, goes
   * there directly (get-records.ts), not through the SDK client.
   */
  readonly endpoint: string;
  /** The stream ARN as DynamoDB Local reports it. */
  readonly streamArn: string;
  readonly settings: StreamSettings;
  readonly handler: LambdaHandler;
  readonly functionName: string;
  /** The region records and the ARN report to the function. */
  readonly region: string;
  /** @default 30000 */
  readonly functionTimeoutMs?: number;
  /** Delay between polls of a shard with nothing new (at least 4 polls a second). @default 200 */
  readonly pollIntervalMs?: number;
  /** How often the shard list is refreshed. @default 30000 */
  readonly shardRefreshMs?: number;
  /** First retry delay; doubles per attempt. @default 250 */
  readonly retryDelayMs?: number;
  /** @default 10000 */
  readonly maxRetryDelayMs?: number;
  /** @default in memory */
  readonly checkpoints?: CheckpointStore;
  /** Called for every discarded batch (after it is added to `failures`). @default logs to stderr */
  readonly onFailure?: (batch: DiscardedBatch) => void;
  readonly log?: (message: string, error?: unknown) => void;
}

type Outcome = { kind: 'success' } | { kind: 'partial'; index: number } | { kind: 'error'; reason: string };

const ITERATOR_ERRORS = new Set(['ExpiredIteratorException', 'TrimmedDataAccessException']);

function isIteratorError(err: unknown): boolean {
  const { name, message } = err as { name?: string; message?: string };
  return ITERATOR_ERRORS.has(name ?? '') || /Invalid ShardId in ShardIterator|shard iterator/i.test(message ?? '');
}

function sequenceOf(record: DynamoDBRecord | StreamRecord): string {
  return record.dynamodb?.SequenceNumber ?? '';
}

/**
 * Reads a handler's response the way Lambda does with ReportBatchItemFailures:
 * nothing or an empty list is success; the lowest valid identifier marks
 * where to restart; anything malformed fails the whole batch.
 *
 * @example
 * parseBatchResponse({ batchItemFailures: [{ itemIdentifier: '300' }] }, batch); // { kind: 'partial', index: 2 }
 */
export function parseBatchResponse(response: unknown, batch: readonly DynamoDBRecord[]): Outcome {
  if (response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'error', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  let lowest: { index: number; value: bigint } | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? batch.findIndex((r) => sequenceOf(r) === id) : -1;
    if (index < 0) return { kind: 'error', reason: `invalid itemIdentifier ${JSON.stringify(id)}` };
    const value = BigInt(id as string);
    if (lowest === undefined || value < lowest.value) lowest = { index, value };
  }
  return { kind: 'partial', index: (lowest as { index: number }).index };
}

class StoppedError extends Error {}

/** One shard's loop: read, batch, deliver, checkpoint. */
class ShardWorker {
  readonly shardId: string;
  done = false;
  /** When the last empty poll with nothing buffered or in flight was issued. */
  idleSince: number | undefined;
  ready: Promise<void>;
  run: Promise<void> = Promise.resolve();
  #iterator: string | undefined;
  #lastRead: string | undefined;
  #skipToEnd = false;

  constructor(
    readonly poller: StreamPoller,
    shard: Shard,
    readonly initialPosition: ShardIteratorType,
  ) {
    this.shardId = shard.ShardId as string;
    this.ready = this.acquire().then(async () => {
      if (this.#skipToEnd) await this.skipExisting();
      this.run = this.loop();
    });
  }

  get key(): string {
    return `${this.poller.streamArn}|${this.shardId}`;
  }

  /**
   * Iterator from what was read, else the checkpoint, else the starting
   * position. LATEST is taken as TRIM_HORIZON plus skipping what is there:
   * DynamoDB Local's LATEST iterator on a shard that has no records yet can
   * miss the first writes that follow.
   */
  async acquire(): Promise<void> {
    const after = this.#lastRead ?? this.poller.checkpoints.get(this.key);
    this.#skipToEnd = after === undefined && this.initialPosition === 'LATEST';
    const { ShardIterator } = await this.poller.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.poller.streamArn,
        ShardId: this.shardId,
        ...(after !== undefined
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: this.#skipToEnd ? 'TRIM_HORIZON' : this.initialPosition }),
      }),
    );
    this.#iterator = ShardIterator;
  }

  /** Reads past every record already in the shard (the LATEST starting position). */
  async skipExisting(): Promise<void> {
    while (this.#iterator !== undefined) {
      const page = await this.poller.reader.getRecords(this.#iterator, 1000);
      const records = page.Records ?? [];
      if (records.length > 0) this.#lastRead = sequenceOf(records[records.length - 1] as StreamRecord);
      this.#iterator = page.NextShardIterator;
      if (records.length === 0) return;
    }
  }

  async loop(): Promise<void> {
    const p = this.poller;
    const buffer: StreamRecord[] = [];
    let windowStart: number | undefined;
    try {
      while (p.running) {
        let gotRecords = false;
        if (this.#iterator !== undefined) {
          const issuedAt = Date.now();
          try {
            const page = await p.reader.getRecords(this.#iterator, 1000);
            const records = page.Records ?? [];
            gotRecords = records.length > 0;
            if (gotRecords) {
              buffer.push(...records.map((record) => withReadTime(record, issuedAt)));
              this.#lastRead = sequenceOf(records[records.length - 1] as StreamRecord);
            }
            this.#iterator = page.NextShardIterator;
            this.idleSince = !gotRecords && buffer.length === 0 ? issuedAt : undefined;
          } catch (err) {
            if (!p.running) break;
            if (isIteratorError(err)) {
              await this.acquire();
            } else {
              p.log(`GetRecords failed on ${this.shardId}`, err);
              await p.sleep(p.pollIntervalMs);
            }
            continue;
          }
        }
        const shardEnded = this.#iterator === undefined;
        if (buffer.length > 0) {
          windowStart ??= Date.now();
          const windowElapsed = Date.now() - windowStart >= p.settings.maxBatchingWindowSeconds * 1000;
          if (buffer.length >= p.settings.batchSize || windowElapsed || shardEnded) {
            this.idleSince = undefined;
            await p.deliver(this, buffer.splice(0, p.settings.batchSize));
            if (buffer.length === 0) windowStart = undefined;
            continue;
          }
        }
        if (shardEnded) {
          this.done = true;
          p.onShardEnded();
          return;
        }
        if (!gotRecords || buffer.length > 0) await p.sleep(p.untilNextPoll());
      }
    } catch (err) {
      if (!(err instanceof StoppedError)) p.log(`shard ${this.shardId} stopped`, err);
    }
  }
}

/**
 * Polls one stream and invokes a handler as Lambda's event source mapping would.
 *
 * @example
 * const poller = new StreamPoller({ client, endpoint: dynamo.endpoint, streamArn, settings: mapping, handler, functionName: 'fanOut', region: 'eu-west-1' });
 * await poller.start();  // LATEST is captured here
 * // ...
 * await poller.stop();
 */
export class StreamPoller {
  readonly client: DynamoDBStreamsClient;
  readonly reader: StreamRecordsReader;
  readonly streamArn: string;
  readonly eventSourceARN: string;
  readonly settings: StreamSettings;
  readonly checkpoints: CheckpointStore;
  readonly pollIntervalMs: number;
  readonly log: (message: string, error?: unknown) => void;
  /** Every batch given up on, oldest first. */
  readonly failures: DiscardedBatch[] = [];
  running = false;
  readonly #options: StreamPollerOptions;
  readonly #workers = new Map<string, ShardWorker>();
  readonly #sleepers = new Set<() => void>();
  #refreshTimer: NodeJS.Timeout | undefined;
  #discovering: Promise<void> | undefined;

  constructor(options: StreamPollerOptions) {
    this.#options = options;
    this.client = options.client;
    this.reader = new StreamRecordsReader({ endpoint: options.endpoint, region: options.region });
    this.streamArn = options.streamArn;
    this.eventSourceARN = toLambdaStreamArn(options.streamArn, options.region);
    this.settings = options.settings;
    this.checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.log = options.log ?? ((message, error) => console.error(`[streams] ${message}`, error ?? ''));
  }

  /** Discovers the shards and takes their starting iterators; resolves once writes from now on will be seen. */
  async start(): Promise<void> {
    this.running = true;
    await this.#discover(true);
    this.#refreshTimer = setInterval(() => void this.#discover(false), this.#options.shardRefreshMs ?? 30_000);
  }

  /** Stops polling; a delivery in progress finishes (or times out) first. Unfinished batches are not checkpointed. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.#refreshTimer);
    for (const wake of this.#sleepers) wake();
    await this.#discovering?.catch(() => undefined);
    await Promise.allSettled([...this.#workers.values()].map(async (w) => {
      await w.ready.catch(() => undefined);
      await w.run;
    }));
    this.reader.close();
  }

  /**
   * Resolves once every open shard has polled empty, with nothing buffered
   * or in flight, after this call: everything written before it has been
   * delivered (or given up on).
   */
  async settle(timeoutMs = 10_000): Promise<void> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      await this.#discovering;
      const active = [...this.#workers.values()].filter((w) => !w.done);
      if (active.every((w) => w.idleSince !== undefined && w.idleSince >= since)) return;
      if (Date.now() > deadline) throw new Error(`stream ${this.streamArn} did not settle within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * The time to the next poll: the next multiple of the poll interval on the
   * wall clock, so every shard of every poller of a runtime polls in the same
   * instant. Each shard still polls once an interval, but DynamoDB Local (and
   * this thread) wake once per interval for all of them instead of once per
   * shard, which is most of an idle runtime's CPU.
   */
  untilNextPoll(): number {
    return this.pollIntervalMs - (Date.now() % this.pollIntervalMs);
  }

  /** An interruptible sleep; stop() wakes every sleeper. */
  sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.reject(new StoppedError());
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        if (this.running) resolve();
        else reject(new StoppedError());
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  onShardEnded(): void {
    // Children of a finished shard may start now.
    void this.#discover(false);
  }

  #discover(initial: boolean): Promise<void> {
    const run = (this.#discovering ?? Promise.resolve()).then(() => this.#discoverNow(initial)).catch((err: unknown) => {
      if (this.running) this.log(`DescribeStream failed for ${this.streamArn}`, err);
    });
    this.#discovering = run;
    return run;
  }

  async #discoverNow(initial: boolean): Promise<void> {
    if (!this.running) return;
    const shards: Shard[] = [];
    let exclusiveStart: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ...(exclusiveStart !== undefined ? { ExclusiveStartShardId: exclusiveStart } : {}) }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStart = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart !== undefined);

    const listed = new Set(shards.map((s) => s.ShardId));
    const started: ShardWorker[] = [];
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (this.#workers.has(id)) continue;
      const parent = shard.ParentShardId;
      const parentPending = parent !== undefined && listed.has(parent) && this.#workers.get(parent)?.done !== true;
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const hasCheckpoint = this.checkpoints.get(`${this.streamArn}|${id}`) !== undefined;
      if (initial && this.settings.startingPosition === 'LATEST' && closed && !hasCheckpoint) continue; // LATEST only reads open shards.
      if (parentPending && !(initial && this.settings.startingPosition === 'LATEST')) continue; // Parents first.
      // Shards found after startup are read from their start, as Lambda does.
      const position: ShardIteratorType = initial ? this.settings.startingPosition : 'TRIM_HORIZON';
      const worker = new ShardWorker(this, shard, position);
      this.#workers.set(id, worker);
      started.push(worker);
    }
    await Promise.all(started.map((w) => w.ready));
  }

  /** Delivers one batch (read from the shard, in order) until done or discarded; checkpoints its end. */
  async deliver(worker: ShardWorker, raw: StreamRecord[]): Promise<void> {
    const records = raw
      .map((r) => toLambdaRecord(r, { eventSourceARN: this.eventSourceARN, region: this.#options.region }))
      .filter((r) => matchesFilters(r, this.settings.filters));
    if (records.length > 0) await this.#deliverWithRetries(worker, records);
    this.checkpoints.set(worker.key, sequenceOf(raw[raw.length - 1] as StreamRecord));
  }

  async #deliverWithRetries(worker: ShardWorker, initial: DynamoDBRecord[]): Promise<void> {
    let batch = initial;
    let attempts = 0;
    for (;;) {
      if (!this.running) throw new StoppedError();
      if (this.#tooOld(batch)) return this.#discard(worker, batch, 'record age exceeded MaximumRecordAgeInSeconds', attempts);
      attempts += 1;
      const outcome = await this.#invoke(batch);
      if (outcome.kind === 'success') return;
      if (outcome.kind === 'partial') {
        // Everything before the lowest failure is done; restart from it.
        if (outcome.index > 0) this.checkpoints.set(worker.key, sequenceOf(batch[outcome.index - 1] as DynamoDBRecord));
        batch = batch.slice(outcome.index);
      } else if (this.settings.bisectBatchOnError && batch.length > 1) {
        // Splitting does not use up retry attempts.
        const half = Math.ceil(batch.length / 2);
        await this.#deliverWithRetries(worker, batch.slice(0, half));
        await this.#deliverWithRetries(worker, batch.slice(half));
        return;
      }
      const retries = attempts - 1;
      if (this.settings.retryAttempts !== -1 && retries >= this.settings.retryAttempts) {
        const reason = outcome.kind === 'error' ? outcome.reason : 'batch item failures reported';
        return this.#discard(worker, batch, `retry attempts exhausted: ${reason}`, attempts);
      }
      const delay = Math.min((this.#options.retryDelayMs ?? 250) * 2 ** retries, this.#options.maxRetryDelayMs ?? 10_000);
      this.log(`${this.#options.functionName} failed on ${batch.length} record(s) from ${worker.shardId} (attempt ${attempts}); retrying in ${delay} ms`);
      await this.sleep(delay);
    }
  }

  async #invoke(batch: DynamoDBRecord[]): Promise<Outcome> {
    try {
      const response = await invokeHandler(this.#options.handler, { Records: batch }, {
        functionName: this.#options.functionName,
        timeoutMs: this.#options.functionTimeoutMs ?? 30_000,
      });
      return this.settings.reportBatchItemFailures ? parseBatchResponse(response, batch) : { kind: 'success' };
    } catch (err) {
      this.log(`${this.#options.functionName} threw`, err);
      return { kind: 'error', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  #tooOld(batch: DynamoDBRecord[]): boolean {
    const maxAge = this.settings.maxRecordAgeSeconds;
    const created = batch[0]?.dynamodb?.ApproximateCreationDateTime;
    return maxAge !== -1 && created !== undefined && Date.now() / 1000 - created > maxAge;
  }

  #discard(worker: ShardWorker, batch: DynamoDBRecord[], reason: string, attempts: number): void {
    const discarded: DiscardedBatch = {
      functionName: this.#options.functionName,
      eventSourceARN: this.eventSourceARN,
      shardId: worker.shardId,
      reason,
      attempts,
      firstSequenceNumber: sequenceOf(batch[0] as DynamoDBRecord),
      lastSequenceNumber: sequenceOf(batch[batch.length - 1] as DynamoDBRecord),
      records: batch,
      at: new Date().toISOString(),
    };
    this.failures.push(discarded);
    this.checkpoints.set(worker.key, discarded.lastSequenceNumber);
    (this.#options.onFailure ?? ((b) => this.log(`DISCARDED ${b.records.length} record(s) ${b.firstSequenceNumber}..${b.lastSequenceNumber}: ${b.reason}`)))(discarded);
  }
}
