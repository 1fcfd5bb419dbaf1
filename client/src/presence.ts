/**
 * Presence on request, kept out of the core bundle (which stays ≤ 6 KiB
 * gzipped): `import { queryPresence } from 'lettera-realtime-client/presence'`.
 * The core already types `presence:query` in its event maps, so
 * `socket.emitWithAck('presence:query', { userIds })` works without this
 * module for up to 100 users; this adds any number, in parts.
 */
import { MAX_PRESENCE_QUERY_USERS, type PresenceQueryResult, type UserPresence } from '../../protocol';

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

export { MAX_PRESENCE_QUERY_USERS };
export type { PresenceQueryResult, UserPresence };
