/**
 * Limits every side must agree on: the server enforces them, the client and
 * the demo page check them before sending so a user hears about it at once.
 */

/** Largest message content accepted, in characters: well under the 32 KB frame. */
export const MAX_CONTENT_LENGTH = 4000;

/** How long a typing indicator lives on the receiving side without a refresh. */
export const TYPING_EXPIRES_IN_MS = 3000;

/** At most one typing broadcast per user per chat per this many ms. */
export const TYPING_THROTTLE_MS = 1000;

/**
 * Flood limit: at most this many messages sent or edited per user per chat
 * per window. The starting point was 100 per minute per user; over a
 * 10-second window that is about 17, rounded up
 * to 20 so a person's quickest burst (short replies, a pasted list sent line
 * by line) is never refused, while a script is held to about 2 a second in
 * each chat. A short window also means a refused client waits at most 10 s.
 * Each message costs N posts to a room of N connections, so this bounds what
 * one user can make the whole room pay.
 */
export const MESSAGE_RATE_LIMIT = 20;
/** The window of MESSAGE_RATE_LIMIT, in ms. */
export const MESSAGE_RATE_WINDOW_MS = 10_000;

/**
 * Most open connections per user, counted at `$connect`
 * from the user's presence set. A person has a few devices and a few tabs
 * each; 20 leaves room for that plus reconnects that overlap the connection
 * they replace (the old id leaves the set only at its `$disconnect`), while
 * bounding what one account can cost: every connection receives, and is
 * billed for, every broadcast of every chat the user is in.
 */
export const MAX_CONNECTIONS_PER_USER = 20;
