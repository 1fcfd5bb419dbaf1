import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createFunctionInvoker,
  FunctionInvocationError,
  InvokeRefusedError,
  MAX_INVOKE_PAYLOAD_BYTES,
  PayloadTooLargeError,
} from '../../../../../lambdas/adapters/lambda/invoker';
import { invokeSliceWorker } from '../../../../../lambdas/adapters/lambda/slice-worker';
import { MalformedSliceError } from '../../../../../lambdas/domain/fan-out/slices';
import { sdkSha256, signatureVerifies } from '../../../../helpers/sigv4';
import type { BroadcastSlice } from '../../../../../lambdas/domain/ports';
import type { EventEnvelope } from '../../../../../protocol';

/** A local HTTP sink standing in for Lambda's Invoke API: records each request, answers what the test set. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}
let server: Server;
let endpoint: string;
let seen: Seen[];
let answer: { status: number; headers?: Record<string, string>; body: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), raw: Buffer.concat(chunks) });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  answer = { status: 200, body: '{"ok":true}' };
});

function invoker() {
  return createFunctionInvoker({
    functionName: 'SlicePoster-abc',
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    sha256: sdkSha256,
    timeoutMs: 5_000,
  });
}

describe('Function: createFunctionInvoker', () => {
  it('posts the payload as JSON to the Invoke API, RequestResponse, signed for lambda in the region', async () => {
    // Act
    const result = await invoker()({ hello: 'world' });

    // Assess
    expect(result).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/2015-03-31/functions/SlicePoster-abc/invocations');
    expect(request!.headers['x-amz-invocation-type']).toBe('RequestResponse');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=.*x-amz-invocation-type/);
    expect(JSON.parse(request!.body)).toEqual({ hello: 'world' });
    // The signature verifies when recomputed from what arrived, and not with another secret.
    const received = { method: request!.method, path: request!.url, headers: request!.headers, body: request!.raw };
    expect(await signatureVerifies(received, 'secret')).toBe(true);
    expect(await signatureVerifies(received, 'another-secret')).toBe(false);
  });

  it('throws FunctionInvocationError with the function\'s error when Lambda answers X-Amz-Function-Error', async () => {
    // Prepare
    answer = {
      status: 200,
      headers: { 'x-amz-function-error': 'Unhandled' },
      body: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 20.00 seconds' }),
    };

    // Act
    const caught = await invoker()({}).catch((err: unknown) => err);

    // Assess
    expect(caught).toBeInstanceOf(FunctionInvocationError);
    expect((caught as FunctionInvocationError).errorType).toBe('Sandbox.Timedout');
    expect((caught as Error).message).toBe('SlicePoster-abc failed (Unhandled): Sandbox.Timedout: Task timed out after 20.00 seconds');
  });

  it('throws an error named by x-amzn-ErrorType when Lambda refuses the call', async () => {
    // Prepare
    answer = {
      status: 429,
      headers: { 'x-amzn-errortype': 'TooManyRequestsException:http://internal.amazon.com/coral/com.amazonaws.awsgirapi/' },
      body: JSON.stringify({ Type: 'User', message: 'Rate Exceeded.' }),
    };

    // Act
    const caught = await invoker()({}).catch((err: unknown) => err);

    // Assess
    expect(caught).toBeInstanceOf(InvokeRefusedError);
    expect((caught as InvokeRefusedError).name).toBe('TooManyRequestsException');
    expect((caught as InvokeRefusedError).statusCode).toBe(429);
    expect((caught as Error).message).toBe('Invoke answered 429 TooManyRequestsException: Rate Exceeded.');
  });

  it('never sends a payload over 6 MB', async () => {
    // Act
    const caught = await invoker()({ data: 'x'.repeat(MAX_INVOKE_PAYLOAD_BYTES) }).catch((err: unknown) => err);

    // Assess
    expect(caught).toBeInstanceOf(PayloadTooLargeError);
    expect(seen).toHaveLength(0);
  });
});

describe('Function: invokeSliceWorker', () => {
  const slice: BroadcastSlice = {
    envelope: { event: 'message:new', data: {}, id: 'c1:1', ts: 1 } as unknown as EventEnvelope,
    members: [{ connectionId: 'a', userId: 'u', protocol: 'lettera.v1' }],
  };

  it('invokes the slice poster with the slice and returns its broadcast result', async () => {
    // Prepare
    const result = { recipients: 1, delivered: 1, gone: 0, disconnected: 0, undeliverable: 0, failed: 0 };
    answer = { status: 200, body: JSON.stringify(result) };

    // Act
    const returned = await invokeSliceWorker(invoker())(slice);

    // Assess
    expect(returned).toEqual(result);
    expect(JSON.parse(seen[0]!.body)).toEqual(slice);
  });

  it('refuses an answer that is not a broadcast result', async () => {
    // Prepare
    answer = { status: 200, body: JSON.stringify({ recipients: 1, delivered: 'all' }) };

    // Act / Assess
    await expect(invokeSliceWorker(invoker())(slice)).rejects.toBeInstanceOf(MalformedSliceError);
  });
});
