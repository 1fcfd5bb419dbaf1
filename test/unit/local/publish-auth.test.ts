import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEV_PUBLISHER_CREDENTIALS, resolvePublisherCredentials, verifySignature } from '../../../local/publish-auth';
import { signRequest } from '../../../publisher/src/sigv4';

const NOW = Date.parse('2026-02-01T10:00:00.000Z');
const URL_ = new URL('http://127.0.0.1:3000/publish');
const BODY = '{"type":"emit:user","data":{"userId":"bob","event":"x"}}';
const options = { credentials: DEV_PUBLISHER_CREDENTIALS, region: 'eu-west-1', nowMs: NOW };

/** An IncomingMessage as node:http would hand the signed request to the server. */
function requestWith(headers: Record<string, string>, url = '/publish'): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'POST';
  req.url = url;
  req.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return req;
}

async function signed(overrides: { body?: string; secret?: string; region?: string; at?: number } = {}) {
  return signRequest(
    { method: 'POST', url: URL_, headers: { 'content-type': 'application/json' }, body: overrides.body ?? BODY },
    {
      credentials: { ...DEV_PUBLISHER_CREDENTIALS, ...(overrides.secret !== undefined && { secretAccessKey: overrides.secret }) },
      region: overrides.region ?? 'eu-west-1',
      signingDate: new Date(overrides.at ?? NOW),
    },
  );
}

describe('Function: verifySignature', () => {
  it('accepts a request signed by the publisher’s signer with the credential', async () => {
    // Prepare
    const headers = await signed();

    // Act
    const check = await verifySignature(requestWith(headers), Buffer.from(BODY), options);

    // Assess
    expect(check).toEqual({ ok: true });
  });

  it.each([
    ['an unsigned request', async () => ({ host: '127.0.0.1:3000' }), BODY, 'Forbidden'],
    ['a body changed after signing', () => signed(), '{"type":"emit:user","data":{"userId":"eve","event":"x"}}', 'signature we calculated does not match'],
    ['the wrong secret', () => signed({ secret: 'guess' }), BODY, 'signature we calculated does not match'],
    ['another region', () => signed({ region: 'us-east-1' }), BODY, 'valid region'],
    ['a signature older than 5 minutes', () => signed({ at: NOW - 6 * 60_000 }), BODY, 'Signature expired'],
  ])('refuses %s with API Gateway’s message', async (_name, sign, body, message) => {
    // Prepare
    const headers = await sign();

    // Act
    const check = await verifySignature(requestWith(headers as Record<string, string>), Buffer.from(body), options);

    // Assess
    expect(check).toEqual({ ok: false, message: expect.stringContaining(message) });
  });

  it('refuses an unknown access key id', async () => {
    // Prepare
    const headers = await signed();

    // Act
    const check = await verifySignature(requestWith(headers), Buffer.from(BODY), { ...options, credentials: { accessKeyId: 'OTHER', secretAccessKey: 'x' } });

    // Assess
    expect(check).toEqual({ ok: false, message: 'The security token included in the request is invalid.' });
  });

  it('refuses a request sent to another path than the one signed', async () => {
    // Prepare
    const headers = await signed();

    // Act
    const check = await verifySignature(requestWith(headers, '/publish?x=1'), Buffer.from(BODY), options);

    // Assess
    expect(check.ok).toBe(false);
  });
});

describe('Function: resolvePublisherCredentials', () => {
  it('uses the development credential unless both variables are set, and refuses one alone', () => {
    // Assess
    expect(resolvePublisherCredentials({})).toBe(DEV_PUBLISHER_CREDENTIALS);
    expect(resolvePublisherCredentials({ LOCAL_PUBLISHER_ACCESS_KEY_ID: 'K', LOCAL_PUBLISHER_SECRET_ACCESS_KEY: 'S' })).toEqual({ accessKeyId: 'K', secretAccessKey: 'S' });
    expect(() => resolvePublisherCredentials({ LOCAL_PUBLISHER_ACCESS_KEY_ID: 'K' })).toThrow(/Set both/);
  });
});
