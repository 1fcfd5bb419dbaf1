/**
 * `npm start`: the whole system on this machine. Flags: `--data DIR`
 * (persist DynamoDB Local, checkpoints and the stream failure log),
 * `--no-seed` (no demo chat), `--origin URL` (a frontend dev server allowed
 * besides the demo page; repeatable, or FRONTEND_URL). Ports: WS_PORT
 * (3001), PORT (3000); STAGE. Ctrl-C stops everything, DynamoDB Local's
 * Java process included. The line containing "is running locally" is
 * printed once everything runs: tools wait for it.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JavaMissingError } from './dynamodb-local';
import { InvalidSettingError, LIMIT_SETTINGS, limitsFromEnv } from '../lambdas/system/limits';
import { InvalidOriginError } from './origins';
import { DEV_PUBLISHER_CREDENTIALS } from './publish-auth';
import { startLocalRuntime, type LocalRuntime } from './runtime';
import { DEMO_CHAT, DEMO_USERS } from './seed';

/** The limit settings' variables, wrapped for the usage text (from LIMIT_SETTINGS, so none is forgotten). */
const LIMIT_VARIABLES = Object.values(LIMIT_SETTINGS)
  .map((setting) => setting.env)
  .reduce<string[]>((lines, name) => {
    const last = lines.at(-1);
    if (last !== undefined && last.length + name.length < 88) lines[lines.length - 1] = `${last}, ${name}`;
    else lines.push(name);
    return lines;
  }, [])
  .map((line) => `\n             ${line}`)
  .join(',');

export const USAGE = `Usage: npm start -- [--data DIR] [--no-seed] [--origin URL]...
  --data DIR     keep DynamoDB Local's data (and stream checkpoints) in DIR; in memory otherwise
  --no-seed      do not create the demo chat
  --origin URL   let a page served from URL (e.g. http://localhost:5173) open the WebSocket and call
                 the HTTP API with CORS, besides the demo page; repeatable
Environment: PORT (HTTP, 3000), WS_PORT (WebSocket, 3001), STAGE (local), JWT_ACCESS_SECRET,
             FRONTEND_URL (origins as --origin, comma-separated; --origin wins),
             LOCAL_PUBLISHER_ACCESS_KEY_ID, LOCAL_PUBLISHER_SECRET_ACCESS_KEY (POST /publish's credential),
             LOCAL_POST_FAULTS, LOCAL_IDLE_TIMEOUT_MS (fault injection), LOCAL_SLICE_WORKERS,
             LOCAL_POST_TRANSPORT (channel | http), JAVA_TOOL_OPTIONS, DDB_LOCAL_TELEMETRY
             (see local/README.md); limits (see README):${LIMIT_VARIABLES}`;

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new Error(`${name} must be a port number, got ${JSON.stringify(value)}`);
  return parsed;
}

/**
 * The ready banner. A ready-made token is printed only with the development
 * secret: with the user's JWT_ACCESS_SECRET, a valid token in the terminal
 * (and its scrollback, CI logs) would be a credential of theirs.
 */
export async function bannerLines(runtime: LocalRuntime, dataDir: string | undefined, seeded: boolean): Promise<string[]> {
  const alice = runtime.usesDevelopmentSecret ? await runtime.token('alice') : '$(npm run -s token -- alice)';
  const lines = [
    '',
    'lettera-realtime is running locally',
    `  WebSocket    ${runtime.wsUrl}`,
    `  @connections ${runtime.callbackUrl}/@connections/{connectionId}`,
    `  HTTP API     ${runtime.httpUrl}   (demo page: ${runtime.httpUrl}/)`,
    `  Origins      ${runtime.allowedOrigins.join(', ')}   (may connect and call the API from a browser)`,
    `  DynamoDB     ${runtime.dynamoEndpoint}   (${dataDir !== undefined ? `data in ${dataDir}` : 'in memory'})`,
    '',
  ];
  if (runtime.usesDevelopmentSecret) {
    lines.push(
      'WARNING: JWT_ACCESS_SECRET is not set; tokens are signed with the DEVELOPMENT secret',
      `  ${runtime.jwtSecret}`,
      '  Anyone can forge tokens with it. Local use only; never deploy it.',
      '',
    );
  }
  const publisher = runtime.publisherCredentials;
  const isDevPublisher = publisher.accessKeyId === DEV_PUBLISHER_CREDENTIALS.accessKeyId && publisher.secretAccessKey === DEV_PUBLISHER_CREDENTIALS.secretAccessKey;
  lines.push(
    'Publisher (lettera-realtime/publisher, SigV4 like IAM in AWS):',
    `  endpoint ${runtime.httpUrl}   region ${runtime.region}`,
    isDevPublisher
      ? `  accessKeyId ${publisher.accessKeyId}   secretAccessKey ${publisher.secretAccessKey}   (DEVELOPMENT credential: local only)`
      : `  accessKeyId ${publisher.accessKeyId}   (secret from LOCAL_PUBLISHER_SECRET_ACCESS_KEY)`,
    '',
  );
  lines.push(
    `Demo users: ${DEMO_USERS.join(', ')}${seeded ? `; chat "${DEMO_CHAT.chatId}" has ${DEMO_CHAT.participants.join(' and ')}` : ''}`,
    `Tokens:     npm run token -- alice      or  curl -X POST ${runtime.httpUrl}/dev/token -d '{"userId":"alice"}'`,
    '',
    'Try it with two clients:',
    `  npx wscat -c "${runtime.wsUrl}?token=$(npm run -s token -- alice)"`,
    `  npx wscat -c "${runtime.wsUrl}?token=$(npm run -s token -- bob)"`,
    `  then in the first: {"action":"message:send","data":{"chatId":"${DEMO_CHAT.chatId}","content":"hi bob"},"ackId":1}`,
    `  or over HTTP:      curl -X POST ${runtime.httpUrl}/chats/${DEMO_CHAT.chatId}/messages -H "authorization: Bearer ${alice}" -H "content-type: application/json" -d '{"content":"hi"}'`,
    '',
    'Ctrl-C stops everything.',
  );
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      'no-seed': { type: 'boolean', default: false },
      origin: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const seed = values['no-seed'] !== true;
  // The handlers read the same variables at their cold start; refuse nonsense here, in one line, before anything starts.
  limitsFromEnv(process.env);
  const runtime = await startLocalRuntime({
    httpPort: port('PORT', 3000),
    wsPort: port('WS_PORT', 3001),
    ...(process.env.STAGE !== undefined && process.env.STAGE !== '' ? { stage: process.env.STAGE } : {}),
    ...(values.data !== undefined ? { dataDir: values.data } : {}),
    ...(values.origin !== undefined ? { origins: values.origin } : {}),
    seed,
  });
  console.log((await bannerLines(runtime, values.data, seed)).join('\n'));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.exit(130); // A second Ctrl-C: leave now (the exit hook still kills Java).
    }
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    runtime.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

// Only when run (npm start), not when a test imports bannerLines.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    const usage = err instanceof InvalidOriginError || err instanceof InvalidSettingError;
    if (usage || err instanceof JavaMissingError) console.error(`\n${err.message}\n`);
    else console.error(err);
    process.exit(usage ? 2 : 1);
  });
}
