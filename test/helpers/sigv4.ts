/**
 * Checks a SigV4-signed request the way AWS does: the signature recomputed
 * from what arrived on the wire (method, path, the headers it lists as
 * signed, the body, x-amz-date) must equal its Authorization header. For
 * tests of requests signed without an SDK client (the hot poster, the
 * Lambda invoker).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { SignatureV4 } from '@smithy/signature-v4';

/** A request as a local sink received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query as on the request line. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An SDK client's SHA-256, as the code under test is given one. */
export const { sha256: sdkSha256 } = new ApiGatewayManagementApiClient({ region: 'eu-west-1' }).config;

/**
 * @example
 * expect(await signatureVerifies(sink.requests[0], 'secret')).toBe(true);
 */
export async function signatureVerifies(request: ReceivedRequest, secretAccessKey: string): Promise<boolean> {
  const authorization = String(request.headers.authorization);
  const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  if (scope === null) return false;
  const [, accessKeyId, , region, service] = scope as unknown as [string, string, string, string, string];
  const date = String(request.headers['x-amz-date']);
  const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name])]));
  // The payload hash is taken from the body received, never from the header that claims it.
  if ('x-amz-content-sha256' in headers) headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex');
  const [host, port] = String(request.headers.host).split(':');
  const verifier = new SignatureV4({ service, region, sha256: sdkSha256, credentials: { accessKeyId, secretAccessKey, sessionToken: headers['x-amz-security-token'] } });
  const expected = await verifier.sign(
    { method: request.method, protocol: 'http:', hostname: host ?? '', port: Number(port), path: request.path, query: {}, headers, body: request.body },
    { signingDate },
  );
  return expected.headers.authorization === authorization;
}
