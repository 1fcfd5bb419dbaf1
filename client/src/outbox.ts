/**
 * The sending side of a socket: frames go out at once when connected or
 * wait in order until the next connection, and each frame with an ack
 * callback gets an ack id and waits for the server's ack, its timeout, a
 * gateway error frame, or the loss of the connection it went out on (a
 * retryable frame is sent again on the next connection instead).
 */
import type { ClientFrame } from '../../protocol';
import { createDebug } from './debug';
import { AckTimeoutError, ClientError, DisconnectedError } from './errors';

const debug = createDebug('lettera:outbox');

/** `(err, data)`: err is null on success. */
export type AnyAck = (err: ClientError | null, data?: unknown) => void;

/** An ack frame from the server, as parsed (nothing checked yet). */
export interface AckFrameIn {
  ackId?: number | string;
  data?: unknown;
  error?: { code: string; message: string };
}

interface PendingAck {
  callback: AnyAck;
  timer?: ReturnType<typeof setTimeout>;
  /** The connection the frame went out on; undefined while buffered. */
  ws?: WebSocket;
  /** The frame, kept when it is safe to send again (it carries an idempotency key). */
  retry?: string;
}

/**
 * Frames waiting to go out and acks waiting to come back.
 *
 * @example
 * const outbox = new Outbox((text) => transport.send(text));
 * outbox.push('message:send', { chatId: 'c1', content: 'hi' }, (err, message) => console.log(err?.code ?? message), 5000);
 * outbox.flush();                                       // on connect: buffered frames go out in order
 * outbox.settle({ ackId: 1, data: { messageId: 'M1' } }); // an ack frame arrived: the callback runs
 */
export class Outbox {
  readonly #send: (text: string) => WebSocket | undefined;
  readonly #acks = new Map<number | string, PendingAck>();
  #buffer: { text: string; ackId?: number }[] = [];
  #nextAckId = 1;

  /** `send` sends on the current connection and returns it, or returns undefined when disconnected. */
  constructor(send: (text: string) => WebSocket | undefined) {
    this.#send = send;
  }

  /**
   * Sends (or buffers) an action; with `ack`, awaits its ack for at most
   * `timeoutMs` (0: no limit). With `retry`, a loss of the connection it
   * went out on sends it again on the next one instead of failing it.
   */
  push(action: string, data: unknown, ack?: AnyAck, timeoutMs?: number, retry?: boolean): void {
    const frame: ClientFrame = { action, data };
    let ackId: number | undefined;
    if (ack) {
      const id = (ackId = frame.ackId = this.#nextAckId++);
      const pending: PendingAck = { callback: ack };
      if (timeoutMs) {
        pending.timer = setTimeout(() => {
          this.#acks.delete(id);
          // A frame whose answer is no longer awaited must not go out later.
          this.#buffer = this.#buffer.filter((b) => b.ackId !== id);
          debug('ack %s timed out after %d ms', id, timeoutMs);
          ack(new AckTimeoutError(timeoutMs));
        }, timeoutMs);
      }
      this.#acks.set(id, pending);
    }
    const text = JSON.stringify(frame);
    if (ack && retry) this.#acks.get(ackId!)!.retry = text;
    if (!this.#sendNow(text, ackId)) {
      this.#buffer.push({ text, ackId });
    }
  }

  /** Sends the buffered frames in order (the socket just connected). */
  flush(): void {
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const entry of buffered) if (!this.#sendNow(entry.text, entry.ackId)) this.#buffer.push(entry);
  }

  /** Delivers an ack to its callback; unknown ids (keepalive answers, timed-out acks) are ignored. */
  settle(frame: AckFrameIn): void {
    const pending = frame.ackId === undefined ? undefined : this.#acks.get(frame.ackId);
    if (!pending) return;
    this.#acks.delete(frame.ackId!);
    clearTimeout(pending.timer);
    if (frame.error) pending.callback(new ClientError(frame.error.code, frame.error.message));
    else pending.callback(null, frame.data);
  }

  /**
   * The connection `ws` closed: the acks awaited on it can never come.
   * Retryable frames go back to the front of the buffer, in their order;
   * the others fail with `DISCONNECTED`.
   */
  failSentOn(ws: WebSocket): void {
    const again: { text: string; ackId: number }[] = [];
    for (const [ackId, pending] of this.#acks) {
      if (pending.ws === ws && pending.retry) {
        pending.ws = undefined;
        again.push({ text: pending.retry, ackId: ackId as number });
      }
    }
    this.#buffer.unshift(...again);
    this.#fail((pending) => pending.ws === ws);
  }

  /**
   * API Gateway answered a frame sent on `ws` with an error frame without an
   * ack id (`{"message": "Internal server error", ...}`: the backend failed
   * or passed the 29 s integration timeout). Nothing says which frame, so the
   * oldest ack awaited on that connection fails with `GATEWAY_ERROR`: it was
   * sent first, so it is the first to pass the timeout. Returns false when no
   * ack was awaited there.
   */
  failOldest(ws: WebSocket, message: string): boolean {
    for (const [ackId, pending] of this.#acks) {
      if (pending.ws !== ws) continue;
      this.#acks.delete(ackId);
      clearTimeout(pending.timer);
      debug('ack %s failed by a gateway error: %s', ackId, message);
      pending.callback(new ClientError('GATEWAY_ERROR', message));
      return true;
    }
    return false;
  }

  /** Drops the buffered frames and fails every awaited ack with `DISCONNECTED` (the socket was closed for good). */
  clear(): void {
    this.#buffer = [];
    this.#fail(() => true);
  }

  #sendNow(text: string, ackId: number | undefined): boolean {
    const ws = this.#send(text);
    if (!ws) return false;
    const pending = ackId === undefined ? undefined : this.#acks.get(ackId);
    if (pending) pending.ws = ws;
    return true;
  }

  #fail(which: (pending: PendingAck) => boolean): void {
    for (const [ackId, pending] of this.#acks) {
      if (!which(pending)) continue;
      this.#acks.delete(ackId);
      clearTimeout(pending.timer);
      pending.callback(new DisconnectedError());
    }
  }
}
