/**
 * `npm run token -- alice`: prints a development token for a user, signed
 * with JWT_ACCESS_SECRET or the local development secret (as `npm start`).
 * `--expires 1h` sets the lifetime (default 12h).
 */
import { parseArgs } from 'node:util';
import { resolveJwtSecret, signDevToken } from './tokens';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { expires: { type: 'string', default: '12h' } }, allowPositionals: true });
  const userId = positionals[0];
  if (userId === undefined || userId === '') {
    console.error('Usage: npm run token -- <userId> [--expires 12h]');
    process.exit(2);
  }
  const { secret, isDevelopmentDefault } = resolveJwtSecret();
  if (isDevelopmentDefault) console.error('(signed with the local development secret; set JWT_ACCESS_SECRET to use your own)');
  console.log(await signDevToken(userId, { secret, ...(values.expires !== undefined ? { expiresIn: values.expires } : {}) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
