/**
 * A scripted DynamoDB Streams GetRecords endpoint on a local port, for
 * tests of the poller's own GetRecords (local/streams/get-records.ts) and
 * of the SDK client reading the very same bytes.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer: a status and a body (sent as is when a string, as JSON otherwise), or a dropped connection. */
export type FakeAnswer = { readonly status?: number; readonly body: unknown } | 'reset';

export interface FakeGetRecordsRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: { ShardIterator?: string; Limit?: number };
}

export interface FakeGetRecords {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly requests: FakeGetRecordsRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Answers each request by its ShardIterator: that iterator's answers in
 * order, the last one repeated (as aws-sdk-client-mock's `resolvesOnce`
 * then `resolves`); an iterator with no script gets 400 ValidationException.
 *
 * @example
 * const fake = await startFakeGetRecords({ 'it-1': [{ body: { Records: [], NextShardIterator: 'it-1' } }] });
 */
export async function startFakeGetRecords(script: Record<string, readonly FakeAnswer[]>): Promise<FakeGetRecords> {
  const requests: FakeGetRecordsRequest[] = [];
  const served = new Map<string, number>();
  let connections = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as FakeGetRecordsRequest['body'];
    requests.push({ headers: req.headers, body });
    const iterator = body.ShardIterator ?? '';
    const answers = script[iterator];
    const count = served.get(iterator) ?? 0;
    served.set(iterator, count + 1);
    const answer: FakeAnswer = answers?.[Math.min(count, answers.length - 1)] ?? {
      status: 400,
      body: { __type: 'com.amazon.coral.validate#ValidationException', Message: `no script for ${iterator}` },
    };
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
