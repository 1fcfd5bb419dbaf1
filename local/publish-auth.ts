/**
 * IAM authorization of the publish routes, as API Gateway does it for an
 * HTTP API route with the AWS_IAM authorizer: the SigV4 signature is
 * checked (with the same signer the publisher uses) against a development
 * credential that `npm start` prints, and a refused call never reaches the
 * function. The answers are API Gateway's: 403 `{"message": …}`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { optionalEnv } from '../lambdas/commons/env';
import { signRequest, type AwsCredentials } from '../publisher/src/sigv4';

/** The development credential: fixed, so an app's local .env keeps working across restarts. Local use only. */
export const DEV_PUBLISHER_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'LETTERALOCALPUBLISHER',
  secretAccessKey: 'lettera-local-publisher-secret-never-deploy',
};

/** Overrides of the development credential, read by the local runtime only. */
export const PUBLISHER_ENV = {
  accessKeyId: 'LOCAL_PUBLISHER_ACCESS_KEY_ID',
  secretAccessKey: 'LOCAL_PUBLISHER_SECRET_ACCESS_KEY',
} as const;

/** The credential the local runtime accepts: the environment's pair, else the development one. */
export function resolvePublisherCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = optionalEnv(PUBLISHER_ENV.accessKeyId, env);
  const secretAccessKey = optionalEnv(PUBLISHER_ENV.secretAccessKey, env);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error(`Set both ${PUBLISHER_ENV.accessKeyId} and ${PUBLISHER_ENV.secretAccessKey}, or neither`);
  }
  return accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : DEV_PUBLISHER_CREDENTIALS;
}

/** SigV4's allowed clock skew: a request signed more than 5 minutes away from now is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Why a call was refused, in API Gateway's words. */
export type SignatureCheck = { ok: true } | { ok: false; message: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/execute-api\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** `20260131T120000Z` → Date, or undefined when malformed. */
function amzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match as unknown as [string, string, string, string, string, string, string];
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

export interface VerifyOptions {
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** @default Date.now() */
  readonly nowMs?: number;
}

/**
 * Verifies a request's SigV4 signature by signing it again: the signed
 * headers as received, the body as received (its hash recomputed, never
 * taken from `x-amz-content-sha256`), the date from `x-amz-date`.
 *
 * @example
 * const check = await verifySignature(req, body, { credentials: DEV_PUBLISHER_CREDENTIALS, region: 'eu-west-1' });
 * if (!check.ok) res.writeHead(403).end(JSON.stringify({ message: check.message }));
 */
export async function verifySignature(req: IncomingMessage, body: Buffer, options: VerifyOptions): Promise<SignatureCheck> {
  const authorization = req.headers.authorization;
  if (authorization === undefined) return { ok: false, message: 'Forbidden' };
  const parsed = AUTHORIZATION.exec(authorization);
  if (parsed === null) return { ok: false, message: 'Authorization header requires a valid AWS4-HMAC-SHA256 Credential, SignedHeaders and Signature.' };
  const [, accessKeyId, , region, signedHeaderList, signature] = parsed as unknown as [string, string, string, string, string, string];
  if (accessKeyId !== options.credentials.accessKeyId) return { ok: false, message: 'The security token included in the request is invalid.' };
  if (region !== options.region) return { ok: false, message: `Credential should be scoped to a valid region, not '${region}'.` };
  const signedAt = amzDate(req.headers['x-amz-date'] as string | undefined);
  if (signedAt === undefined) return { ok: false, message: 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.' };
  if (Math.abs((options.nowMs ?? Date.now()) - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) return { ok: false, message: 'Signature expired.' };
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, message: 'Forbidden' };

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    // The signer adds these itself: the date from signingDate, the payload hash from the body as received.
    if (name === 'host' || name === 'x-amz-date' || name === 'x-amz-content-sha256') continue;
    const value = req.headers[name];
    if (value === undefined) return { ok: false, message: 'Forbidden' };
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const expected = await signRequest(
    { method: req.method ?? 'GET', url, headers, body: body.toString('utf8') },
    { credentials: options.credentials, region, signingDate: signedAt },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(expected.authorization ?? '')?.[1] ?? '';
  const matches = expectedSignature.length === signature.length && timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature));
  if (!matches || !(expected.authorization ?? '').includes(`SignedHeaders=${signedHeaderList},`)) {
    return {
      ok: false,
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true };
}
