/**
 * The `@connections` API without a socket: the local runtime's handler
 * workers post through a MessagePort instead of a loopback HTTP request
 * (each of which costs a TCP round trip through the kernel on both threads).
 * The request is the one the hot poster would send, signed and all; the
 * gateway answers it with the same code as the HTTP endpoint (answerPost),
 * so Gone, 413, 403 and injected faults reach the poster unchanged.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ACCEPTED, answerPost, parseConnectionsPath, type ConnectionsApiAnswer } from './connections-api';
import type { PostTransport } from '../../lambdas/adapters/api-gateway/poster';
import type { GatewayState } from './state';

/** One PostToConnection on the channel: what of the request the gateway reads. */
export interface ChannelPost {
  readonly id: number;
  readonly path: string;
  readonly body: Uint8Array;
}

/** The gateway's answer to the post with the same id. */
export interface ChannelAnswer extends ConnectionsApiAnswer {
  readonly id: number;
}

/** One turn's answers: the ids of the accepted posts (nearly all, and cheap to copy), then the others in full. */
export interface ChannelAnswers {
  readonly accepted: number[];
  readonly failed: ChannelAnswer[];
}

const NOT_FOUND: ConnectionsApiAnswer = { status: 404, errorType: 'NotFoundException', body: JSON.stringify({ message: 'Not Found' }) };
const INTERNAL: ConnectionsApiAnswer = { status: 500, errorType: 'InternalServerErrorException', body: '' };

/**
 * Opens a channel served by the gateway and returns the other end, for one
 * handler worker (transfer it in the worker's workerData). The gateway's
 * end closes with the worker's, or on closeAll (the gateway's close).
 *
 * @example
 * const channels = createPostChannels(state);
 * const port = channels.open();
 * new Worker(entry, { workerData: { postChannel: { origin, port } }, transferList: [port] });
 */
export function createPostChannels(state: GatewayState): { open(): MessagePort; closeAll(): void } {
  const served = new Set<MessagePort>();
  return {
    open() {
      const { port1: gatewayEnd, port2: workerEnd } = new MessageChannel();
      served.add(gatewayEnd);
      gatewayEnd.on('close', () => served.delete(gatewayEnd));
      const answers = batched<ChannelAnswer>((batch) => {
        const turn: ChannelAnswers = { accepted: [], failed: [] };
        for (const answer of batch) {
          if (answer.status === 200) turn.accepted.push(answer.id);
          else turn.failed.push(answer);
        }
        gatewayEnd.postMessage(turn);
      });
      gatewayEnd.on('message', (posts: readonly ChannelPost[]) => {
        state.metrics.posts.channel += posts.length;
        for (const post of posts) {
          const target = parseConnectionsPath(post.path);
          const answered = target === undefined ? Promise.resolve(NOT_FOUND) : answerPost(state, target, post.body);
          answered
            .catch((err: unknown) => {
              state.log('@connections post failed', err);
              return INTERNAL;
            })
            .then((answer) => answers.push({ ...answer, id: post.id }));
        }
      });
      return workerEnd;
    },
    closeAll() {
      for (const port of served) port.close();
      served.clear();
    },
  };
}

/**
 * Collects what one turn of the event loop produces and hands it over as
 * one array: one message (and one wake-up of the other thread) per turn
 * instead of one per post; a frame posted to many connections in one turn
 * is copied once (structured clone keeps shared references).
 */
function batched<T>(flush: (batch: T[]) => void): { push(item: T): void } {
  let batch: T[] = [];
  const send = (): void => {
    const full = batch;
    batch = [];
    flush(full);
  };
  return {
    push(item) {
      if (batch.push(item) === 1) setImmediate(send);
    },
  };
}

/**
 * The worker's end as a PostTransport (register it with routePostsThrough):
 * posts go out with a fresh id and settle with the answer of that id. A post
 * the poster gave up on (its timeout) is answered later and ignored.
 */
export function channelTransport(port: MessagePort): PostTransport {
  const pending = new Map<number, (answer: ConnectionsApiAnswer) => void>();
  let nextId = 0;
  const settle = (id: number, answer: ConnectionsApiAnswer): void => {
    const resolve = pending.get(id);
    pending.delete(id);
    resolve?.(answer);
  };
  port.on('message', ({ accepted, failed }: ChannelAnswers) => {
    for (const id of accepted) settle(id, ACCEPTED);
    for (const answer of failed) settle(answer.id, answer);
  });
  // Waiting posts do not keep a worker alive; the gateway's end keeps the channel open while it runs.
  port.unref();
  const posts = batched<ChannelPost>((batch) => port.postMessage(batch));
  return {
    send({ path, body }) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        posts.push({ id, path, body });
      });
    },
  };
}
