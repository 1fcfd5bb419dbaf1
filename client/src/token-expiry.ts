/**
 * Reading a JWT's `exp` on the client, only to renew the connection before
 * the server closes it: the signature is not (and cannot be) checked here;
 * the server verifies the token. An opaque token simply has no readable exp.
 */

/** The `exp` claim (epoch s) of a JWT, or undefined when the token is not a JWT with a numeric exp. */
export function tokenExpiry(token: string | undefined): number | undefined {
  const payload = token?.split('.')[1];
  if (payload === undefined || payload === '') return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** Renewals never come sooner than this after a connection opens, whatever the token says (no renewal loop). */
export const MIN_RENEWAL_DELAY_MS = 1_000;

/**
 * When to replace a connection opened with `token`, ms from `nowMs`: at
 * `maxConnectionAge`, or `margin` ms before the token's exp if that comes
 * first. A token too short-lived for the margin is renewed halfway to its
 * exp; an already expired one is left to the server, which closes the
 * connection (TOKEN_EXPIRED) and the socket reconnects. For a one-hour
 * token and the defaults: 59 minutes.
 */
export function renewalDelay(token: string | undefined, nowMs: number, maxConnectionAge: number, margin: number): number {
  const exp = tokenExpiry(token);
  if (exp === undefined) return maxConnectionAge;
  const left = exp * 1000 - nowMs;
  if (left <= 0) return maxConnectionAge;
  return Math.min(maxConnectionAge, Math.max(left - margin, left / 2, MIN_RENEWAL_DELAY_MS));
}
