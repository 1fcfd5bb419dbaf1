/**
 * GetRecords for the local stream pollers without the SDK client: one
 * keep-alive HTTP POST to DynamoDB Local per poll, its JSON read with
 * JSON.parse. The SDK client's middleware stack and schema deserializer cost
 * 1-2 ms of the runtime's main thread per call (5 streams, 5 polls a second
 * each); this costs a fraction of that. Local only: Lambda's event source
 * mapping does the polling in AWS.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { StreamRecord } from './records';

/** One GetRecords answer (DynamoDB Streams API reference, GetRecords). */
export interface GetRecordsPage {
  readonly Records?: StreamRecord[];
  /** Absent once a closed shard has been read to its end. */
  readonly NextShardIterator?: string;
}

/**
 * An error answer, named as the SDK names it (the `__type` after its `#`,
 * e.g. `ExpiredIteratorException`), so callers can test `name` alike
 * whichever client made the call.
 */
export class StreamsServiceError extends Error {
  constructor(
    /** The exception type, also the error's name. */
    readonly code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** The error type the SDK reads from a JSON error body: `a.b#Type:extra` → `Type`. */
export function errorCodeOf(type: string): string {
  const head = (type.split(',')[0] as string).split(':')[0] as string;
  return head.includes('#') ? (head.split('#')[1] as string) : head;
}

function toServiceError(statusCode: number, headers: IncomingMessage['headers'], text: string): StreamsServiceError {
  let body: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // A proxy's or a crashed server's page: keep it in the message.
  }
  const type = [body.__type, body.code, headers['x-amzn-errortype']].find((value): value is string => typeof value === 'string');
  const message = [body.message, body.Message].find((value): value is string => typeof value === 'string');
  return new StreamsServiceError(type !== undefined ? errorCodeOf(type) : 'Unknown', message ?? `HTTP ${statusCode}: ${text.slice(0, 200)}`, statusCode);
}

export interface StreamRecordsReaderOptions {
  /** DynamoDB Local's endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The region in the request's credential scope. */
  readonly region: string;
}

/**
 * DynamoDB Local refuses a request without an Authorization header (400
 * MissingAuthenticationToken) or with one it cannot parse (500), and reads
 * the access key and region from its Credential to choose a database (all
 * share one with `-sharedDb`, as the runtime starts it). It checks neither
 * the signature nor the date, nor needs X-Amz-Date (DynamoDB Local
 * 2026-01-16, tried by hand), so the header is fixed: the runtime's local
 * access key, nothing signed.
 */
function authorization(region: string): string {
  return `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
}

/**
 * Reads stream records from DynamoDB Local over its own keep-alive sockets.
 *
 * @example
 * const reader = new StreamRecordsReader({ endpoint: dynamo.endpoint, region: 'eu-west-1' });
 * const { Records, NextShardIterator } = await reader.getRecords(iterator, 1000);
 * reader.close();
 */
export class StreamRecordsReader {
  readonly #url: URL;
  readonly #agent = new Agent({ keepAlive: true });
  readonly #headers: Record<string, string>;

  constructor(options: StreamRecordsReaderOptions) {
    this.#url = new URL(options.endpoint);
    this.#headers = {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDBStreams_20120810.GetRecords',
      Authorization: authorization(options.region),
    };
  }

  /**
   * One GetRecords call. Rejects with a StreamsServiceError for an error
   * answer (4xx, 5xx), with the socket's error when the connection fails.
   */
  getRecords(shardIterator: string, limit: number): Promise<GetRecordsPage> {
    return this.#post(JSON.stringify({ ShardIterator: shardIterator, Limit: limit }), true);
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }

  #post(body: string, retryReset: boolean): Promise<GetRecordsPage> {
    return new Promise((resolve, reject) => {
      const req = request(this.#url, { method: 'POST', agent: this.#agent, headers: { ...this.#headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status !== 200) return reject(toServiceError(status, res.headers, text));
          try {
            resolve(JSON.parse(text) as GetRecordsPage);
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as the request went out: Node's
        // documented case for one retry on a fresh socket (GetRecords only reads).
        if (retryReset && req.reusedSocket && err.code === 'ECONNRESET') resolve(this.#post(body, false));
        else reject(err);
      });
      req.end(body);
    });
  }
}
