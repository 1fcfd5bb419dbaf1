/**
 * Lambda's Invoke API (synchronous, RequestResponse) without the SDK's
 * Lambda client, which this project does not bundle: one POST to
 * `/2015-03-31/functions/{name}/invocations`, signed with the SDK's own
 * SigV4 signer, on a keep-alive agent. It fails the way the SDK client
 * does: a refused call (throttled, not found, too large) throws an error
 * named by Lambda's `x-amzn-ErrorType`; a function that failed (it threw,
 * timed out, ran out of memory) answers 200 with `X-Amz-Function-Error`
 * and throws FunctionInvocationError. The local runtime serves the same API.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SignatureV4, type SignatureV4Init } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { ENV, optionalEnv } from '../../commons/env';

/** Invokes one function with a JSON payload and resolves with its parsed JSON result. */
export type FunctionInvoker = (payload: unknown) => Promise<unknown>;

/** Lambda's limit on a synchronous invocation's request and response payloads. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Lambda refused the call (a non-2xx answer): named as the SDK names it, e.g. TooManyRequestsException. */
export class InvokeRefusedError extends Error {
  readonly statusCode: number;

  constructor(name: string, statusCode: number, message: string) {
    super(`Invoke answered ${statusCode} ${name}${message === '' ? '' : `: ${message}`}`);
    this.name = name;
    this.statusCode = statusCode;
  }
}

/** The function ran and failed (`X-Amz-Function-Error`): its own error type and message. */
export class FunctionInvocationError extends Error {
  readonly functionError: string;
  readonly errorType: string;

  constructor(functionName: string, functionError: string, errorType: string, errorMessage: string) {
    super(`${functionName} failed (${functionError}): ${errorType}: ${errorMessage}`);
    this.name = 'FunctionInvocationError';
    this.functionError = functionError;
    this.errorType = errorType;
  }
}

/** A payload over MAX_INVOKE_PAYLOAD_BYTES: Lambda would refuse it, so it is never sent. */
export class PayloadTooLargeError extends Error {
  constructor(functionName: string, bytes: number) {
    super(`payload of ${bytes} bytes for ${functionName} is over Lambda's ${MAX_INVOKE_PAYLOAD_BYTES} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

export interface FunctionInvokerOptions {
  /** The function's name (or ARN). */
  readonly functionName: string;
  /** @default AWS_ENDPOINT_URL_LAMBDA (as the SDK reads it; the local runtime sets it), else `https://lambda.{region}.amazonaws.com` */
  readonly endpoint?: string;
  readonly region: string;
  /** A client's own provider (e.g. `client.config.credentials`), so credentials are refreshed as the SDK refreshes them. */
  readonly credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** The SHA-256 the signer uses: a client's own (`client.config.sha256`). */
  readonly sha256: NonNullable<SignatureV4Init['sha256']>;
  /** Client-side limit on one call: longer than the function's own timeout, so its timeout is reported by Lambda. */
  readonly timeoutMs: number;
  /** Sockets kept open to the endpoint: at least the invocations in flight. @default 16 */
  readonly maxSockets?: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function field(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' ? found : undefined;
}

/**
 * @example
 * const { credentials, sha256 } = client.config;
 * const invoke = createFunctionInvoker({ functionName: 'SlicePoster', region: 'eu-west-1', credentials, sha256, timeoutMs: 25_000 });
 * const result = await invoke({ envelope, members });
 */
export function createFunctionInvoker(options: FunctionInvokerOptions): FunctionInvoker {
  const url = new URL(options.endpoint ?? optionalEnv(ENV.lambdaEndpoint) ?? `https://lambda.${options.region}.amazonaws.com`);
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? undefined : Number(url.port);
  const path = `${url.pathname.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(options.functionName)}/invocations`;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 16 };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const signer = new SignatureV4({ service: 'lambda', region: options.region, credentials: options.credentials, sha256: options.sha256 });

  return async (payload) => {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    if (body.byteLength > MAX_INVOKE_PAYLOAD_BYTES) throw new PayloadTooLargeError(options.functionName, body.byteLength);
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(port !== undefined && { port }),
      path,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(body.byteLength),
        'x-amz-invocation-type': 'RequestResponse',
      },
      body,
    });
    const { status, headers, text } = await new Promise<{ status: number; headers: IncomingMessage['headers']; text: string }>((resolve, reject) => {
      const req = send(
        { agent, method: 'POST', hostname: url.hostname, port, path, headers: signed.headers, signal: AbortSignal.timeout(options.timeoutMs) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(body);
    });
    const result = parseJson(text);
    if (status < 200 || status >= 300) {
      // `x-amzn-ErrorType: TooManyRequestsException:http://…`: the name is before the colon.
      const type = String(headers['x-amzn-errortype'] ?? '').split(':')[0] || `Http${status}Error`;
      throw new InvokeRefusedError(type, status, field(result, 'message') ?? field(result, 'Message') ?? '');
    }
    const functionError = headers['x-amz-function-error'];
    if (functionError !== undefined) {
      throw new FunctionInvocationError(
        options.functionName,
        String(functionError),
        field(result, 'errorType') ?? 'Error',
        field(result, 'errorMessage') ?? (typeof result === 'string' ? result : JSON.stringify(result)),
      );
    }
    return result;
  };
}
