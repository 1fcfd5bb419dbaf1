/**
 * Development tokens: HS256 JWTs signed with JWT_ACCESS_SECRET, or, in the
 * local runtime only, with a fixed development secret that is printed with
 * a warning. Deployed functions never fall back to it.
 */
import { SignJWT } from 'jose';
import { ENV, optionalEnv } from '../lambdas/commons/env';

/** The secret `npm start` uses when JWT_ACCESS_SECRET is unset. Never use it anywhere else. */
export const DEV_JWT_SECRET = 'lettera-local-development-secret-not-for-production';

export interface ResolvedSecret {
  readonly secret: string;
  /** True when the development default is in use (print the warning). */
  readonly isDevelopmentDefault: boolean;
}

/** JWT_ACCESS_SECRET from the environment, or the development default. */
export function resolveJwtSecret(env: NodeJS.ProcessEnv = process.env): ResolvedSecret {
  const secret = optionalEnv(ENV.jwtSecret, env);
  return secret !== undefined ? { secret, isDevelopmentDefault: false } : { secret: DEV_JWT_SECRET, isDevelopmentDefault: true };
}

export interface DevTokenOptions {
  readonly secret: string;
  /**
   * A jose duration such as '12h' or '3600s', or a number, which jose reads
   * as an absolute `exp` (epoch seconds), not as a duration. @default '12h'
   */
  readonly expiresIn?: string | number;
  /** Added when set (the handlers then require them). */
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Signs a token for a user (`sub` = userId).
 *
 * @example
 * const token = await signDevToken('alice', { secret: resolveJwtSecret().secret });
 */
export async function signDevToken(userId: string, options: DevTokenOptions): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuedAt().setExpirationTime(options.expiresIn ?? '12h');
  const issuer = options.issuer ?? optionalEnv(ENV.jwtIssuer);
  const audience = options.audience ?? optionalEnv(ENV.jwtAudience);
  if (issuer !== undefined) jwt = jwt.setIssuer(issuer);
  if (audience !== undefined) jwt = jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
