/** Token fixtures for the unit tests of lambdas/ (signed with the unit-test secret by default). */
import { SignJWT, type JWTPayload } from 'jose';

export const TEST_SECRET = process.env.JWT_ACCESS_SECRET ?? 'unit-test-secret-that-is-long-enough-for-hs256';

/** A valid HS256 token for a user, expiring in an hour unless the claims say otherwise. */
export async function signToken(
  userId: string | null = 'alice',
  claims: JWTPayload = {},
  secret: string | Uint8Array = TEST_SECRET,
): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (userId !== null) jwt.setSubject(userId);
  if (claims.exp === undefined) jwt.setExpirationTime('1h');
  return jwt.sign(key);
}

/** base64url of a JSON value, for hand-made malformed tokens. */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
