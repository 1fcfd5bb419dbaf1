/**
 * Client frames over the JSON protocol: parse `{action, data, ackId}`,
 * validate the payload strictly, dispatch through one table, and answer with
 * an ack (when the client asked for one) or an error frame. Identity comes
 * from the connection's row, never from the frame.
 */
import { BadRequestError, ChatError, toClientError, UnknownActionError } from '../commons/errors';
import { CALL_ACTIONS, KEEPALIVE_ACTION, type AckFrame, type CallActions, type ClientActionName, type ClientActions, type ErrorFrame } from '../../protocol';
import { logger } from '../commons/logger';
import { countMessageRefused } from '../commons/metrics';
import type { Caller } from './typing';
import { setTyping, type TypingDeps } from './typing';
import type { MessageService } from './messages';
import { presenceQueryUserIdsOf, queryPresence, type PresenceQueryDeps } from './presence-query';
import { parseStatus, setStatus, type StatusDeps } from './status';
import { callPayloads, runCallAction, type CallActionName, type CallService } from './calls';
import type { MarkRead } from './reads';
import { appMessageIdOf, chatIdOf, clientMessageIdOf, contentOf, expectFields, isPlainObject, messageIdOf } from './validation';

export interface ActionDeps {
  typing: TypingDeps;
  messages: MessageService;
  /** Where `presence:query` reads. */
  presence: PresenceQueryDeps;
  /** Where `user:status` writes. */
  status: StatusDeps;
  calls: CallService;
  markRead: MarkRead;
  /** Who sent the frame (see loadCaller); called only for a well-formed frame. */
  loadCaller: (connectionId: string) => Promise<Caller>;
}

/**
 * One action: validates its `data` (synchronously, before any I/O) and
 * returns the work to run. `what` names the payload in error messages (the
 * HTTP API parses its message routes with the same definitions: 'body').
 */
interface ActionDefinition<A extends ClientActionName> {
  parse(data: unknown, what?: string): ClientActions[A];
  run(deps: ActionDeps, caller: Caller, data: ClientActions[A]): Promise<unknown>;
}

const typingAction = <A extends 'user:typing' | 'user:stop-typing'>(isTyping: boolean): ActionDefinition<A> => ({
  parse: (data, what) => ({ chatId: chatIdOf(expectFields(data, ['chatId'], ['chatId'], what).chatId) }),
  run: (deps, caller, { chatId }) => setTyping(deps.typing, caller, chatId, isTyping),
});

/**
 * A message action whose refused payload counts as MessagesRefused (its
 * error code), like a refusal by the service (message-metrics.ts); every
 * path (JSON, Socket.IO, HTTP) parses with these definitions.
 */
const messageAction = <A extends 'message:send' | 'message:edit' | 'message:delete'>(definition: ActionDefinition<A>): ActionDefinition<A> => ({
  parse(data, what) {
    try {
      return definition.parse(data, what);
    } catch (err) {
      countMessageRefused(toClientError(err).code);
      throw err;
    }
  },
  run: definition.run,
});

/** A call action: its payload parser and the call service (calls.ts). */
const callAction = <A extends CallActionName>(action: A): ActionDefinition<A> => ({
  parse: (data, what) => callPayloads[action](data, what) as ClientActions[A],
  run: (deps, caller, data) => runCallAction(deps.calls, caller, action, data as CallActions[A]),
});

/** The dispatch table: action name → parse + run. */
export const actions: { [A in ClientActionName]: ActionDefinition<A> } = {
  'user:typing': typingAction<'user:typing'>(true),
  'user:stop-typing': typingAction<'user:stop-typing'>(false),
  'message:send': messageAction({
    parse(data, what) {
      const fields = expectFields(data, ['chatId', 'content', 'clientMessageId'], ['chatId', 'content'], what);
      return {
        chatId: chatIdOf(fields.chatId),
        content: contentOf(fields.content),
        ...(fields.clientMessageId !== undefined && { clientMessageId: clientMessageIdOf(fields.clientMessageId) }),
      };
    },
    run: (deps, caller, data) => deps.messages.send(caller.userId, data),
  }),
  'message:edit': messageAction({
    parse(data, what) {
      const fields = expectFields(data, ['chatId', 'messageId', 'content'], ['chatId', 'messageId', 'content'], what);
      return { chatId: chatIdOf(fields.chatId), messageId: messageIdOf(fields.messageId), content: contentOf(fields.content) };
    },
    run: (deps, caller, data) => deps.messages.edit(caller.userId, data),
  }),
  'message:delete': messageAction({
    parse(data, what) {
      const fields = expectFields(data, ['chatId', 'messageId'], ['chatId', 'messageId'], what);
      return { chatId: chatIdOf(fields.chatId), messageId: messageIdOf(fields.messageId) };
    },
    run: (deps, caller, data) => deps.messages.remove(caller.userId, data),
  }),
  'presence:query': {
    parse(data, what = 'data') {
      const fields = expectFields(data, ['userIds'], ['userIds'], what);
      // An array here; the comma-separated form is the query string's.
      if (!Array.isArray(fields.userIds)) throw new BadRequestError(`${what}.userIds must be an array of user ids`);
      return { userIds: presenceQueryUserIdsOf(fields.userIds, `${what}.userIds`) };
    },
    run: (deps, caller, { userIds }) => queryPresence(deps.presence, caller.userId, userIds),
  },
  'user:status': {
    parse: (data, what) => parseStatus(data, what),
    run: (deps, caller, status) => setStatus(deps.status, caller.userId, status),
  },
  ...(Object.fromEntries(CALL_ACTIONS.map((action) => [action, callAction(action)])) as { [A in CallActionName]: ActionDefinition<A> }),
  'message:read': {
    parse(data, what) {
      const fields = expectFields(data, ['chatId', 'messageId'], ['chatId', 'messageId'], what);
      // Published messages keep the app's ids: reads take those too.
      return { chatId: chatIdOf(fields.chatId), messageId: appMessageIdOf(fields.messageId) };
    },
    run: (deps, caller, data) => deps.markRead(caller.userId, data),
  },
};


/**
 * Runs one client action for a known caller: validates `data` for the
 * action, then runs it. Shared by both wire protocols, so a JSON ack and a
 * Socket.IO ack carry the same result (or throw the same error).
 */
export async function runAction(deps: ActionDeps, caller: Caller, action: ClientActionName, data: unknown): Promise<unknown> {
  const definition = actions[action] as ActionDefinition<ClientActionName>;
  return definition.run(deps, caller, definition.parse(data));
}

const MAX_ACK_ID_LENGTH = 64;

function isAckId(value: unknown): value is number | string {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === 'string' && value.length > 0 && value.length <= MAX_ACK_ID_LENGTH)
  );
}

/** A frame that passed the envelope checks, with its payload validated for its action. */
interface ParsedFrame {
  action: ClientActionName | typeof KEEPALIVE_ACTION;
  data: unknown;
  ackId?: number | string;
}

/**
 * Parses a frame's text. Throws a ChatError carrying the ackId (when one
 * could be read) so the caller can answer with an ack rather than an error frame.
 */
export function parseFrame(body: string | undefined): ParsedFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(body ?? '');
  } catch (err) {
    throw new BadRequestError('Frame is not valid JSON', { cause: err });
  }
  if (!isPlainObject(raw)) throw new BadRequestError('Frame must be a JSON object');
  const ackId = Object.hasOwn(raw, 'ackId') ? raw.ackId : undefined;
  const withAck = <E extends ChatError>(err: E): E => Object.assign(err, isAckId(ackId) ? { ackId } : {});
  if (ackId !== undefined && !isAckId(ackId)) {
    throw new BadRequestError(`ackId must be a non-negative integer or a string of at most ${MAX_ACK_ID_LENGTH} characters`);
  }
  try {
    const frame = expectFields(raw, ['action', 'data', 'ackId'], ['action'], 'frame');
    const { action } = frame;
    if (typeof action !== 'string') throw new BadRequestError('frame.action must be a string');
    // Object.hasOwn: 'constructor' or '__proto__' must not reach the prototype.
    if (action !== KEEPALIVE_ACTION && !Object.hasOwn(actions, action)) throw new UnknownActionError(`Unknown action ${JSON.stringify(action.slice(0, 64))}`);
    return { action: action as ParsedFrame['action'], data: frame.data, ...(ackId !== undefined && { ackId }) };
  } catch (err) {
    throw err instanceof ChatError ? withAck(err) : err;
  }
}

/** The answer to a frame: an ack, an error frame, or nothing (success without ackId). */
export type FrameReply = AckFrame | ErrorFrame | undefined;

function replyToError(err: unknown, ackId: number | string | undefined): AckFrame | ErrorFrame {
  if (!(err instanceof ChatError)) logger.error('action failed', { error: err as Error });
  const error = toClientError(err);
  return ackId === undefined ? { event: 'error', data: error } : { event: 'ack', ackId, error };
}

/**
 * Handles one client frame end to end and returns the reply to put in the
 * route response. Never throws for a client's mistake: bad input becomes an
 * error frame (or an error ack) and the socket stays open. Infrastructure
 * failures (DynamoDB throttling…) become an INTERNAL error reply, never a
 * silent success.
 *
 * @example
 * const reply = await handleFrame(deps, 'abc=', '{"action":"user:typing","data":{"chatId":"c1"},"ackId":7}');
 * // { event: 'ack', ackId: 7, data: { delivered: true } }
 */
export async function handleFrame(deps: ActionDeps, connectionId: string, body: string | undefined): Promise<FrameReply> {
  let frame: ParsedFrame;
  try {
    frame = parseFrame(body);
  } catch (err) {
    return replyToError(err, (err as { ackId?: number | string }).ackId);
  }
  const { ackId, action } = frame;
  if (action === KEEPALIVE_ACTION) return ackId === undefined ? undefined : { event: 'ack', ackId, data: {} };
  try {
    const definition = actions[action] as ActionDefinition<ClientActionName>;
    const data = definition.parse(frame.data);
    const caller = await deps.loadCaller(connectionId);
    const result = await definition.run(deps, caller, data);
    return ackId === undefined ? undefined : { event: 'ack', ackId, data: result };
  } catch (err) {
    return replyToError(err, ackId);
  }
}
