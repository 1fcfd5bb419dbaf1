/**
 * Presence helpers, kept out of the core bundle (which stays ≤ 6 KiB
 * gzipped): `import { queryPresence, autoAway } from 'lettera-realtime-client/presence'`.
 * The core already types `presence:query` and `user:status` in its event
 * maps, so `socket.emitWithAck(...)` works without this module; this adds
 * queries of any number of users (in parts) and the idle → away status.
 */
import { MAX_PRESENCE_QUERY_USERS, MAX_STATUS_TEXT_LENGTH, STATUS_THROTTLE_MS, type PresenceQueryResult, type PresenceState, type UserPresence } from '../../protocol';
import type { ChatSocket } from './socket';

/** What queryPresence needs of a socket: a `ChatSocket`, or `socket.timeout(ms)`. */
export interface PresenceQuerySocket {
  emitWithAck(action: 'presence:query', data: { userIds: string[] }): Promise<PresenceQueryResult>;
}

/**
 * The presence of any number of users who share a chat with the signed-in
 * user (or the user themself), asked with `presence:query` in parts of 100
 * sent at once; one entry per user, in the order given, a repeated id once.
 * Rejects with the server's `ClientError` (`FORBIDDEN` when a part
 * names someone without a shared chat, `BAD_REQUEST` for an invalid id)
 * or `TIMEOUT` / `DISCONNECTED` like any ack.
 *
 * @example
 * import { queryPresence } from 'lettera-realtime-client/presence';
 *
 * socket.on('connect', async () => {
 *   for (const { userId, online, lastSeenAt } of await queryPresence(socket, participantIds)) {
 *     showDot(userId, online, lastSeenAt);
 *   }
 * });
 */
export async function queryPresence(socket: PresenceQuerySocket, userIds: readonly string[]): Promise<UserPresence[]> {
  const unique = [...new Set(userIds)];
  const parts: string[][] = [];
  for (let i = 0; i < unique.length; i += MAX_PRESENCE_QUERY_USERS) parts.push(unique.slice(i, i + MAX_PRESENCE_QUERY_USERS));
  const answers = await Promise.all(parts.map((part) => socket.emitWithAck('presence:query', { userIds: part })));
  return answers.flatMap((answer) => answer.users);
}

/** Options of {@link autoAway}. */
export interface AutoAwayOptions {
  /** Time without activity after which the status becomes `away`, ms. @default 300000 (5 minutes) */
  awayAfter?: number;
  /**
   * Where activity is heard (pointer, keys, wheel, touch). Without one (Node.js), call `activity()`.
   * @default globalThis.document
   */
  target?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  /** Called with each status sent (to show the user their own state). */
  onChange?: (status: ChosenStatus) => void;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/** The status a client asks for: a state and an optional text. */
export interface ChosenStatus {
  state: PresenceState;
  text?: string;
}

/** What {@link autoAway} returns. */
export interface AutoAway {
  /** What this client tells the server now: the chosen status, or `away` (with the chosen text) while idle. */
  readonly status: ChosenStatus;
  /** Chooses a status (`busy` stays busy when idle; `online` becomes `away` when idle) and sends it. */
  setStatus(state: PresenceState, text?: string): void;
  /** Reports activity: back to the chosen status if idle. The `target`'s events call it. */
  activity(): void;
  /** Stops listening and sends nothing more. */
  stop(): void;
}

/** The activity events that end idleness. */
const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'];

/**
 * Keeps the signed-in user's state with `user:status`: `away` after
 * `awayAfter` without activity, back to the chosen status on activity, and
 * the status re-sent on every `connect` (a state lives on the server
 * across reconnects, so this also clears an `away` left by a closed tab).
 * A change refused with `RATE_LIMITED` (one per second) is sent again a
 * second later, the latest status winning; other refusals are dropped.
 *
 * @example
 * import { autoAway } from 'lettera-realtime-client/presence';
 *
 * const presence = autoAway(socket, { awayAfter: 2 * 60_000 });
 * busyButton.onclick = () => presence.setStatus('busy', 'In a meeting');
 * logoutButton.onclick = () => presence.stop();
 */
export function autoAway(socket: Pick<ChatSocket, 'emitWithAck' | 'on' | 'off' | 'connected'>, options: AutoAwayOptions = {}): AutoAway {
  const awayAfter = options.awayAfter ?? 300_000;
  const now = options.now ?? Date.now;
  const target = options.target ?? (globalThis as { document?: AutoAwayOptions['target'] }).document;
  let chosen: ChosenStatus = { state: 'online' };
  let idle = false;
  let lastActivity = now();
  let stopped = false;
  let sent: string | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const current = (): ChosenStatus => (idle && chosen.state === 'online' ? { ...chosen, state: 'away' } : chosen);
  const push = (force = false): void => {
    const status = current();
    const key = JSON.stringify(status);
    if (stopped || !socket.connected || (key === sent && !force)) return;
    sent = key;
    options.onChange?.(status);
    socket.emitWithAck('user:status', status).catch((err: { code?: string }) => {
      sent = undefined;
      if (err?.code === 'RATE_LIMITED' && retryTimer === undefined) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          push();
        }, STATUS_THROTTLE_MS);
      }
    });
  };
  const check = (): void => {
    const quiet = now() - lastActivity;
    idleTimer = undefined;
    if (quiet < awayAfter) idleTimer = setTimeout(check, awayAfter - quiet);
    else if (!idle) {
      idle = true;
      push();
    }
  };
  const activity = (): void => {
    lastActivity = now();
    if (idle) {
      idle = false;
      push();
    }
    idleTimer ??= setTimeout(check, awayAfter);
  };
  const onConnect = (): void => push(true);

  socket.on('connect', onConnect);
  for (const type of ACTIVITY_EVENTS) target?.addEventListener(type, activity, { passive: true });
  idleTimer = setTimeout(check, awayAfter);
  push(true);
  return {
    get status() {
      return current();
    },
    setStatus(state, text) {
      chosen = { state, ...(text !== undefined && { text }) };
      push();
    },
    activity,
    stop() {
      stopped = true;
      clearTimeout(idleTimer);
      clearTimeout(retryTimer);
      socket.off('connect', onConnect);
      for (const type of ACTIVITY_EVENTS) target?.removeEventListener(type, activity);
    },
  };
}

export { MAX_PRESENCE_QUERY_USERS, MAX_STATUS_TEXT_LENGTH };
export type { PresenceQueryResult, UserPresence };
