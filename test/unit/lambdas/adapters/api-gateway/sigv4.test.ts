import { createHash } from 'node:crypto';
import type { AwsCredentialIdentity } from '@smithy/types';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it, vi } from 'vitest';
import { encodePathLabel } from '../../../../../lambdas/adapters/api-gateway/poster';
import { createPostSigner, InvalidCredentialsError, type PostToSign } from '../../../../../lambdas/adapters/api-gateway/sigv4';
import { sdkSha256 } from '../../../../helpers/sigv4';

const temporary: AwsCredentialIdentity = { accessKeyId: 'ASIATESTTEMPORARY', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJH+session/token==' };
const longTerm: AwsCredentialIdentity = { accessKeyId: 'AKIATESTLONGTERM', secretAccessKey: 'another/secret+key' };
const HOST = 'abc123defg.execute-api.eu-west-1.amazonaws.com';
const DATE = new Date('2026-11-29T14:24:33.456Z');

/** A post as the signed poster builds it: the stage's path, the label encoded, the body's hash. */
function postOf(options: { connectionId: string; stagePath?: string; host?: string; body?: Uint8Array; contentType?: string }): PostToSign {
  const body = options.body ?? new TextEncoder().encode('{"event":"message:new"}');
  return {
    host: options.host ?? HOST,
    path: `${options.stagePath ?? '/prod'}/@connections/${encodePathLabel(options.connectionId)}`,
    contentType: options.contentType ?? 'application/octet-stream',
    contentLength: body.byteLength,
    payloadHash: createHash('sha256').update(body).digest('hex'),
  };
}

/** The headers @smithy/signature-v4 returns for the same post, as the poster signed it before (the reference). */
async function smithyHeaders(post: PostToSign, credentials: AwsCredentialIdentity, signingDate: Date, region = 'eu-west-1'): Promise<[string, unknown][]> {
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: sdkSha256 });
  const [hostname, port] = post.host.split(':');
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: hostname ?? '',
      ...(port !== undefined && { port: Number(port) }),
      path: post.path,
      query: {},
      headers: {
        host: post.host,
        'content-type': post.contentType,
        'content-length': String(post.contentLength),
        'x-amz-content-sha256': post.payloadHash,
      },
    },
    { signingDate },
  );
  return Object.entries(signed.headers);
}

describe('Function: createPostSigner', () => {
  it.each([
    ['a plain id', 'Xk0000000001Cg='],
    ['an id with = + and /', 'a+b/c=d=='],
    ['an id with %', '100%25%'],
    ["an id with !'()*", "a!b'c(d)e*f"],
    ['a unicode id', 'é-ü-中文-😀'],
    ['an id that is a dot segment', '..'],
    ['an id that is a dot', '.'],
    ['an id with spaces and ~', 'a b~c_d.e'],
  ])('signs %s exactly as SignatureV4.sign does (same headers, same order)', async (_, connectionId) => {
    // Prepare
    const post = postOf({ connectionId });
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });

    // Act
    const headers = await sign(post, DATE);

    // Assess
    expect(Object.entries(headers)).toStrictEqual(await smithyHeaders(post, temporary, DATE));
  });

  it.each([
    ['a stage', '/prod'],
    ['a stage with - and _', '/dev-1_a'],
    ['a base path and a stage (custom domain)', '/chat/v2'],
    ['no stage', ''],
    ['an encoded stage', '/my%20stage'],
    ['dot and empty segments', '/a/./b//c/../prod'],
  ])('signs the path under %s as SignatureV4.sign does', async (_, stagePath) => {
    // Prepare
    const post = postOf({ connectionId: 'abc=', stagePath });
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });

    // Act
    const headers = await sign(post, DATE);

    // Assess
    expect(Object.entries(headers)).toStrictEqual(await smithyHeaders(post, temporary, DATE));
  });

  it.each([
    ['temporary credentials, no port', temporary, HOST],
    ['temporary credentials, a port', temporary, '127.0.0.1:3001'],
    ['long-term credentials (no token), no port', longTerm, HOST],
    ['long-term credentials (no token), a port', longTerm, 'localhost:8443'],
  ])('signs with %s as SignatureV4.sign does', async (_, credentials, host) => {
    // Prepare
    const post = postOf({ connectionId: 'abc=', host });
    const sign = createPostSigner({ credentials, region: 'eu-west-1' });

    // Act
    const headers = await sign(post, DATE);

    // Assess
    expect(Object.entries(headers)).toStrictEqual(await smithyHeaders(post, credentials, DATE));
    expect('x-amz-security-token' in headers).toBe(credentials.sessionToken !== undefined);
  });

  it('signs a run of posts with one signer (frames, connections, stages and hosts changing) as SignatureV4.sign does, each', async () => {
    // Prepare: as a broadcast posts, one frame to many connections, then the next frame
    const frames = [new TextEncoder().encode('{"event":"a"}'), new Uint8Array(329).fill(1), new TextEncoder().encode('{"event":"b"}')];
    const posts = frames.flatMap((body) =>
      ['c1=', 'c2+/', "c3!'()*"].flatMap((connectionId) => [postOf({ connectionId, body }), postOf({ connectionId, body, stagePath: '/dev' }), postOf({ connectionId, body, host: 'localhost:3001' })]),
    );
    // The signer signs what it is given, even a length that does not match the hash.
    posts.push({ ...(posts.at(-1) as PostToSign), contentLength: 999 });
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });

    // Act
    const signed = [];
    for (const post of posts) signed.push(await sign(post, DATE));

    // Assess
    for (const [i, post] of posts.entries()) expect(Object.entries(signed[i] ?? {})).toStrictEqual(await smithyHeaders(post, temporary, DATE));
    expect(new Set(signed.map((headers) => headers.authorization)).size).toBe(posts.length);
  });

  it.each([0, 1, 329, 32 * 1024])('signs a body of %i bytes as SignatureV4.sign does', async (size) => {
    // Prepare
    const post = postOf({ connectionId: 'abc=', body: new Uint8Array(size).fill(7) });
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });

    // Act
    const headers = await sign(post, DATE);

    // Assess
    expect(headers['content-length']).toBe(String(size));
    expect(Object.entries(headers)).toStrictEqual(await smithyHeaders(post, temporary, DATE));
  });

  it('signs a header value with spaces trimmed and folded, as SignatureV4.sign does, and sends it as given', async () => {
    // Prepare
    const post = postOf({ connectionId: 'abc=', contentType: ' application/json;  charset=utf-8 ' });
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });

    // Act
    const headers = await sign(post, DATE);

    // Assess
    expect(headers['content-type']).toBe(' application/json;  charset=utf-8 ');
    expect(Object.entries(headers)).toStrictEqual(await smithyHeaders(post, temporary, DATE));
  });

  it('signs each second with its own x-amz-date, and across midnight with the new day\'s key, as SignatureV4.sign does', async () => {
    // Prepare
    const post = postOf({ connectionId: 'abc=' });
    const dates = ['2026-11-29T23:59:58.999Z', '2026-11-29T23:59:59.000Z', '2026-11-29T23:59:59.999Z', '2026-11-30T00:00:00.000Z', '2026-11-30T00:00:00.500Z'].map((iso) => new Date(iso));
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });

    // Act
    const signed = [];
    for (const date of dates) signed.push(await sign(post, date));

    // Assess
    for (const [i, date] of dates.entries()) expect(Object.entries(signed[i] ?? {})).toStrictEqual(await smithyHeaders(post, temporary, date));
    expect(signed.map((headers) => headers['x-amz-date'])).toEqual(['20261129T235958Z', '20261129T235959Z', '20261129T235959Z', '20261130T000000Z', '20261130T000000Z']);
    expect(signed[2]?.authorization).toContain('/20261129/eu-west-1/execute-api/aws4_request');
    expect(signed[3]?.authorization).toContain('/20261130/eu-west-1/execute-api/aws4_request');
  });

  it('signs with the current time when given no date', async () => {
    // Prepare
    const sign = createPostSigner({ credentials: temporary, region: 'eu-west-1' });
    const before = Math.floor(Date.now() / 1000) * 1000;

    // Act
    const headers = await sign(postOf({ connectionId: 'abc=' }));

    // Assess
    const date = headers['x-amz-date'];
    const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    expect(signedAt).toBeGreaterThanOrEqual(before);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
  });

  it('calls the credential provider for every request, so rotated credentials sign the next post', async () => {
    // Prepare
    const rotated: AwsCredentialIdentity = { accessKeyId: 'ASIAROTATED', secretAccessKey: 'rotated-secret', sessionToken: 'rotated-token' };
    const provider = vi.fn<() => Promise<AwsCredentialIdentity>>().mockResolvedValueOnce(temporary).mockResolvedValue(rotated);
    const sign = createPostSigner({ credentials: provider, region: 'eu-west-1' });
    const post = postOf({ connectionId: 'abc=' });

    // Act
    const first = await sign(post, DATE);
    const second = await sign(post, DATE);

    // Assess
    expect(provider).toHaveBeenCalledTimes(2);
    expect(Object.entries(first)).toStrictEqual(await smithyHeaders(post, temporary, DATE));
    expect(Object.entries(second)).toStrictEqual(await smithyHeaders(post, rotated, DATE));
    expect(second.authorization).toContain('Credential=ASIAROTATED/');
    expect(second['x-amz-security-token']).toBe('rotated-token');
  });

  it('derives a new key when only the secret changes (same access key id)', async () => {
    // Prepare
    const resecreted: AwsCredentialIdentity = { ...temporary, secretAccessKey: 'a-new-secret' };
    const provider = vi.fn<() => Promise<AwsCredentialIdentity>>().mockResolvedValueOnce(temporary).mockResolvedValue(resecreted);
    const sign = createPostSigner({ credentials: provider, region: 'eu-west-1' });
    const post = postOf({ connectionId: 'abc=' });

    // Act
    await sign(post, DATE);
    const second = await sign(post, DATE);

    // Assess
    expect(Object.entries(second)).toStrictEqual(await smithyHeaders(post, resecreted, DATE));
  });

  it('takes the region from a provider, as the SDK client config gives it, and signs with the region it gives each time', async () => {
    // Prepare
    const region = vi.fn<() => Promise<string>>().mockResolvedValueOnce('ap-southeast-2').mockResolvedValue('eu-west-2');
    const sign = createPostSigner({ credentials: temporary, region });
    const post = postOf({ connectionId: 'abc=' });

    // Act
    const first = await sign(post, DATE);
    const second = await sign(post, DATE);

    // Assess
    expect(region).toHaveBeenCalledTimes(2);
    expect(Object.entries(first)).toStrictEqual(await smithyHeaders(post, temporary, DATE, 'ap-southeast-2'));
    expect(Object.entries(second)).toStrictEqual(await smithyHeaders(post, temporary, DATE, 'eu-west-2'));
  });

  it('gives a different signature than SignatureV4.sign with another secret, region or body (the equality is not vacuous)', async () => {
    // Prepare
    const post = postOf({ connectionId: 'abc=' });
    const wrongSecret = createPostSigner({ credentials: { ...temporary, secretAccessKey: 'wrong' }, region: 'eu-west-1' });
    const otherRegion = createPostSigner({ credentials: temporary, region: 'eu-west-2' });
    const right = createPostSigner({ credentials: temporary, region: 'eu-west-1' });
    const expected = new Map(await smithyHeaders(post, temporary, DATE));

    // Act
    const signatures = [
      (await wrongSecret(post, DATE)).authorization,
      (await otherRegion(post, DATE)).authorization,
      (await right({ ...post, payloadHash: createHash('sha256').update('other').digest('hex') }, DATE)).authorization,
      (await right(post, DATE)).authorization,
    ].map((authorization) => /Signature=([0-9a-f]{64})$/.exec(authorization)?.[1]);

    // Assess
    const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(String(expected.get('authorization')))?.[1];
    expect(expectedSignature).toMatch(/^[0-9a-f]{64}$/);
    expect(signatures.slice(0, 3)).not.toContain(expectedSignature);
    expect(new Set(signatures.slice(0, 3)).size).toBe(3);
    expect(signatures[3]).toBe(expectedSignature);
  });

  it('refuses resolved credentials without a secret, as SignatureV4.sign does', async () => {
    // Prepare
    const sign = createPostSigner({ credentials: async () => ({ accessKeyId: 'AKID' }) as AwsCredentialIdentity, region: 'eu-west-1' });

    // Act
    const attempt = sign(postOf({ connectionId: 'abc=' }), DATE);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });
});
