/** The wire protocols a connection can speak. */

/** Subprotocol a JSON client offers (and the server echoes) on connect. */
export const JSON_SUBPROTOCOL = 'lettera.v1';

/** Wire protocols a connection can speak; room rows record it for the fan-out. */
export type WireProtocol = 'lettera.v1' | 'socket.io';
