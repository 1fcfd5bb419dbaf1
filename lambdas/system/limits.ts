/**
 * The limits a deployment can tune, each with its default and the reason for
 * it: one table read by the functions (environment variables, read once at
 * cold start), by CDK (context keys, validated at synth and passed on as
 * those variables) and by the local runtime (its environment, validated at
 * `npm start`). A value outside its range stops the synth or the start with
 * one line naming the setting; it never reaches a function.
 */

export interface LimitSetting {
  /** Environment variable of the functions and of `npm start`. */
  readonly env: string;
  readonly default: number;
  /** Smallest and largest accepted values (integers). */
  readonly min: number;
  readonly max: number;
  /** What it limits, and why the default and the maximum are what they are (README configuration table). */
  readonly meaning: string;
}

/** Limit settings by CDK context key. */
export const LIMIT_SETTINGS = {
  maxChatParticipants: {
    env: 'MAX_CHAT_PARTICIPANTS',
    default: 1000,
    min: 2,
    max: 10_000,
    meaning:
      'participants per chat. Each message to a chat of N connected members is N posts; 1,000 covers a large team or community channel. The maximum bounds the rows one create or one message touches.',
  },
  fanOutSliceSize: {
    env: 'FAN_OUT_SLICE_SIZE',
    default: 250,
    min: 10,
    max: 5000,
    meaning:
      'recipients one fan-out worker posts. A broadcast to more recipients than this is split into slices of at most this size, posted by parallel slice workers (a synchronous Lambda invoke each) while the record waits for all of them. 250 posts take one worker well under a second; the maximum keeps a slice\'s invoke payload (about 200 bytes per recipient plus the event) far below Lambda\'s 6 MB.',
  },
  messageRateLimit: {
    env: 'MESSAGE_RATE_LIMIT',
    default: 20,
    min: 1,
    max: 1000,
    meaning:
      'messages sent or edited per user per chat per window. 20 per 10 s never refuses a person (short replies, a list pasted line by line) and holds a script to about 2 a second per chat.',
  },
  messageRateWindowMs: {
    env: 'MESSAGE_RATE_WINDOW_MS',
    default: 10_000,
    min: 1000,
    max: 3_600_000,
    meaning: 'the window of messageRateLimit, in ms. A short window means a refused client waits at most that long.',
  },
  maxConnectionsPerUser: {
    env: 'MAX_CONNECTIONS_PER_USER',
    default: 20,
    min: 1,
    max: 1000,
    meaning:
      'open connections per user. A few devices with a few tabs each, plus reconnects that overlap the connection they replace; every connection receives (and is billed for) every broadcast of the user\'s chats. The maximum keeps the user\'s presence item far below DynamoDB\'s 400 KB.',
  },
  maxChatsPerUser: {
    env: 'MAX_CHATS_PER_USER',
    default: 1000,
    min: 1,
    max: 5000,
    meaning:
      'chats a user is in; a create or add that would take anyone over it is refused. Every connection joins every chat of its user at $connect (1,000 chats: about 1,000 room writes), so this bounds what connecting costs. The maximum keeps a connection\'s room list far below DynamoDB\'s 400 KB item limit.',
  },
  chatChangeRateLimit: {
    env: 'CHAT_CHANGE_RATE_LIMIT',
    default: 30,
    min: 1,
    max: 10_000,
    meaning:
      'chats created plus participants added, per user per window. 30 a minute lets a person set up a team chat one participant at a time and holds a script that adds strangers to chats to that rate.',
  },
  chatChangeRateWindowMs: {
    env: 'CHAT_CHANGE_RATE_WINDOW_MS',
    default: 60_000,
    min: 1000,
    max: 86_400_000,
    meaning: 'the window of chatChangeRateLimit, in ms.',
  },
  presenceBroadcastMaxMembers: {
    env: 'PRESENCE_BROADCAST_MAX_MEMBERS',
    default: 100,
    min: 0,
    max: 10_000,
    meaning:
      'participants above which a chat broadcasts no presence or read events. A login burst in a chat of N members costs N × N posts; above this size clients ask for what they show (presence and read positions on demand). 0 turns these broadcasts off.',
  },
  callRingTimeoutMs: {
    env: 'CALL_RING_TIMEOUT_MS',
    default: 30_000,
    min: 1000,
    max: 120_000,
    meaning:
      'how long a call rings before it is missed, in ms. 30 s is what phones ring for; the invite tells both sides, whose next event after it (their ring timer\'s hangup) settles the call as missed.',
  },
  callInviteRateLimit: {
    env: 'CALL_INVITE_RATE_LIMIT',
    default: 10,
    min: 1,
    max: 1000,
    meaning:
      'calls a user may place per minute, all chats together. 10 lets a person retry a call that was not answered and holds a script that rings strangers on every tab to that rate.',
  },
  callSignalRateLimit: {
    env: 'CALL_SIGNAL_RATE_LIMIT',
    default: 200,
    min: 10,
    max: 10_000,
    meaning:
      'offers, answers and ICE candidates per call per 10 s, both sides together. A call set-up sends a few dozen (an offer, an answer, candidates per network interface); 200 leaves room for renegotiation and holds a flood to 20 posts a second.',
  },
} as const satisfies Record<string, LimitSetting>;

export type LimitKey = keyof typeof LIMIT_SETTINGS;
export type Limits = Readonly<Record<LimitKey, number>>;

export const LIMIT_KEYS = Object.keys(LIMIT_SETTINGS) as LimitKey[];

/** The defaults, for tests and for code that runs without configuration. */
export const DEFAULT_LIMITS: Limits = Object.fromEntries(LIMIT_KEYS.map((key) => [key, LIMIT_SETTINGS[key].default])) as Limits;

/** A limit setting with a value that cannot be used; the message is one line and names the setting. */
export class InvalidSettingError extends Error {
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.name = 'InvalidSettingError';
    this.setting = setting;
  }
}

/**
 * Checks one value given as text (environment, `-c key=value`) or as a number
 * (cdk.json) and returns it as an integer; `name` is how the user wrote it.
 */
export function parseLimit(key: LimitKey, name: string, value: unknown): number {
  const setting: LimitSetting = LIMIT_SETTINGS[key];
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const number = text !== undefined && /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < setting.min || number > setting.max) {
    throw new InvalidSettingError(
      name,
      `${name} must be a whole number from ${setting.min} to ${setting.max} (${setting.meaning.split('.')[0]}), got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/**
 * The limits from an environment: each variable that is set is checked,
 * the others take their defaults.
 *
 * @throws {InvalidSettingError} naming the variable
 */
export function limitsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Limits {
  return Object.fromEntries(
    LIMIT_KEYS.map((key) => {
      const { env: name, default: fallback } = LIMIT_SETTINGS[key];
      const value = env[name];
      return [key, value === undefined || value === '' ? fallback : parseLimit(key, name, value)];
    }),
  ) as Limits;
}

/** The environment variables that carry `limits` to the functions. */
export function limitsToEnv(limits: Limits): Record<string, string> {
  return Object.fromEntries(LIMIT_KEYS.map((key) => [LIMIT_SETTINGS[key].env, String(limits[key])]));
}
