/**
 * Signature Version 4 for `execute-api`, over @smithy/signature-v4 (the AWS
 * SDK's own signer) with node:crypto for SHA-256, so the publisher needs no
 * other package. The local runtime verifies calls with the same code.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as the SDK's providers return them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; a provider is asked again before then. */
  readonly expiration?: Date;
}

/** Static credentials, or a provider such as `fromNodeProviderChain()` of `@aws-sdk/credential-providers`. */
export type CredentialsOption = AwsCredentials | (() => Promise<AwsCredentials>);

/** The signer's hash: SHA-256, or HMAC-SHA-256 when given a secret (the `Checksum` shape it expects). */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: string | Uint8Array;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : typeof secret === 'string' ? secret : toBytes(secret);
    this.hash = this.fresh();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** What is signed: the request as it will be sent. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  /** Headers besides `host` (which comes from the URL); names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SignOptions {
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** @default new Date() */
  readonly signingDate?: Date;
}

/**
 * Returns the request's headers with `authorization`, `x-amz-date` (and
 * `x-amz-security-token` for temporary credentials) added.
 *
 * @example
 * const headers = await signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, { credentials, region: 'eu-west-1' });
 */
export async function signRequest(request: SignableRequest, options: SignOptions): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: 'execute-api', sha256: NodeSha256 });
  const query: Record<string, string> = {};
  for (const [key, value] of request.url.searchParams) query[key] = value;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port !== '' && { port: Number(request.url.port) }),
      path: request.url.pathname,
      query,
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    options.signingDate !== undefined ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}
