/**
 * The one connection state of a socket and the moves allowed between
 * states, in one place. Everything that depends on "are we connected?"
 * reads the state instead of a set of flags that must agree.
 */
type Timer = ReturnType<typeof setTimeout>;

/**
 * - `idle`: not trying (before `connect()`, after `disconnect()`, after giving up).
 * - `opening`: one attempt runs: the auth function, then the WebSocket handshake (`ws` once created).
 * - `open`: connected on `ws`; `id` is the client-made connection id (it survives the renewal).
 * - `waiting`: the next attempt starts when `timer` fires (reconnection backoff).
 *
 * Each attempt gets a fresh `opening` object, so an attempt that outlived
 * its state (a slow auth function, then `disconnect()`) notices by identity.
 */
export type ConnectionState =
  | { readonly name: 'idle' }
  | { readonly name: 'opening'; ws?: WebSocket }
  | { readonly name: 'open'; readonly ws: WebSocket; readonly id: string }
  | { readonly name: 'waiting'; readonly timer: Timer };

export type ConnectionStateName = ConnectionState['name'];

/**
 * Allowed moves. `open → open` is the renewal before the 2-hour cap: the
 * replacement connection becomes current and keeps the socket's id.
 */
export const TRANSITIONS: { readonly [From in ConnectionStateName]: readonly ConnectionStateName[] } = {
  idle: ['opening'],
  opening: ['open', 'waiting', 'idle'],
  open: ['open', 'waiting', 'idle'],
  waiting: ['opening', 'idle'],
};

/**
 * Checks a move against {@link TRANSITIONS}; any other move is a bug in the client.
 *
 * @example
 * assertTransition('waiting', 'opening'); // fine
 * assertTransition('idle', 'open');       // throws: a connection cannot open without an attempt
 */
export function assertTransition(from: ConnectionStateName, to: ConnectionStateName): void {
  if (!TRANSITIONS[from].includes(to)) throw new Error(`connection state cannot go from ${from} to ${to}`);
}
