/**
 * The publisher: what an existing backend (trusted, authorized by IAM at the
 * gateway) may do, in the shapes of the Socket.IO SocketHandler it replaces.
 * Messages keep the app's own ids and go through the message store, so the
 * Messages stream fans them out with the same ordering, recovery and
 * history as messages sent through the HTTP API. Custom events are volatile,
 * like typing: posted to the room at once, never stored or replayed.
 */
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError } from '../commons/errors';
import { randomId } from '../commons/ids';
import { CALL_EVENTS, MAX_CONTENT_LENGTH, type EventEnvelope, type Message } from '../../protocol';
import { roomOf } from '../system/schema';
import { DEFAULT_LIMITS } from '../system/limits';
import { toMessage } from './messages';
import type { MembershipStore, MessageRow, MessageStore, RoomBroadcaster, UserStore } from './ports';
import type { RoomJoiner } from './room-joins';
import { appMessageIdOf, chatIdOf, contentOf, expectFields, isPlainObject, titleOf, userIdOf } from './validation';

/** A message write whose sender is not (or no longer) in the chat: the app's membership sync is behind. */
function notAParticipant(senderId: string, chatId: string): ForbiddenError {
  return new ForbiddenError(`Sender ${senderId} is not a participant of chat ${chatId}; sync the participants first`);
}

/** Custom event names: what socket.io-client can emit and listen to, without our separators. */
export const CUSTOM_EVENT_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/**
 * Names a custom event may not take: our own events (a forged
 * `message:new` would bypass the store) and socket.io-client's reserved ones.
 */
export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'message:new',
  'message:edited',
  'message:deleted',
  'user:online',
  'user:offline',
  'user:typing',
  'user:stop-typing',
  'user:status',
  // Calls are relayed between two connections after checks (membership, blocks, state): never forged.
  ...CALL_EVENTS,
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
  'error',
]);

export interface PublisherDeps {
  messages: Pick<MessageStore, 'getMessage' | 'commit'>;
  memberships: Pick<MembershipStore, 'get' | 'participantsOf' | 'countParticipants' | 'putIfAbsent' | 'delete'>;
  /** The chats-per-user counters, shared with the HTTP API's creates and adds. */
  users: Pick<UserStore, 'reserveChat' | 'releaseChat'>;
  broadcaster: Pick<RoomBroadcaster, 'toRoom'>;
  /** @default the maxChatsPerUser setting's default */
  maxChatsPerUser?: number;
  /** Moves the added and removed users' connections in or out of the chat's room before setParticipants returns (room-joins.ts); without it, only the Memberships stream does. */
  joiner?: RoomJoiner;
  /** Injected for tests. @default Date.now */
  now?: () => number;
}

/** `broadcastNewMessage`'s payload, as the original SocketHandler took it. */
export interface NewMessageInput {
  messageId: string;
  chatId: string;
  senderId: string;
  content: string;
  /** ISO 8601; the time of the app's own row. @default now */
  timestamp?: string;
}
export interface EditedMessageInput {
  messageId: string;
  chatId: string;
  content: string;
  /** @default now */
  editedAt?: string;
}
export interface DeletedMessageInput {
  messageId: string;
  chatId: string;
  /** @default now */
  deletedAt?: string;
}
export interface ParticipantsInput {
  chatId: string;
  userIds: string[];
  /** The chat's title on new membership rows. @default the title already stored, else '' */
  title?: string;
}
export interface EmitToUserInput {
  userId: string;
  event: string;
  data: unknown;
}
export interface EmitToChatInput {
  chatId: string;
  event: string;
  data: unknown;
  /** A user whose connections do not get it (the original's `socket.to(room)` from the sender). */
  except?: string;
}

/** One publish request: `{type, data}`, the body of `POST /publish`. */
export type PublishRequest =
  | { type: 'message:new'; data: NewMessageInput }
  | { type: 'message:edited'; data: EditedMessageInput }
  | { type: 'message:deleted'; data: DeletedMessageInput }
  | { type: 'participants:set'; data: ParticipantsInput }
  | { type: 'emit:user'; data: EmitToUserInput }
  | { type: 'emit:chat'; data: EmitToChatInput };
export type PublishType = PublishRequest['type'];

export interface ParticipantsResult {
  chatId: string;
  added: string[];
  removed: string[];
}
export interface EmitResult {
  /** Connections the event was posted to (0 when nobody is connected: not an error). */
  recipients: number;
  delivered: number;
}

export interface Publisher {
  newMessage(input: NewMessageInput): Promise<Message>;
  editMessage(input: EditedMessageInput): Promise<Message>;
  deleteMessage(input: DeletedMessageInput): Promise<{ messageId: string; deletedAt: string }>;
  setParticipants(input: ParticipantsInput): Promise<ParticipantsResult>;
  emitToUser(input: EmitToUserInput): Promise<EmitResult>;
  emitToChat(input: EmitToChatInput): Promise<EmitResult>;
}

/** An ISO 8601 time, normalised (what toISOString gives), or undefined when absent. */
function timeOf(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new BadRequestError(`${name} must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00.000Z`);
  return new Date(ms).toISOString();
}

function eventNameOf(value: unknown): string {
  if (typeof value !== 'string' || !CUSTOM_EVENT_PATTERN.test(value)) {
    throw new BadRequestError('event must be 1-64 letters, digits, "_", ".", ":" or "-"');
  }
  if (RESERVED_EVENT_NAMES.has(value)) {
    throw new BadRequestError(`event "${value}" is reserved: use broadcastNewMessage/…Edited/…Deleted for messages`);
  }
  return value;
}

/** Custom event data: any JSON value, at most as large as a message's content once serialized. */
function customDataOf(value: unknown): unknown {
  if (value === undefined) return null;
  const size = JSON.stringify(value).length;
  if (size > MAX_CONTENT_LENGTH) throw new PayloadTooLargeError(`data is ${size} characters of JSON; at most ${MAX_CONTENT_LENGTH}`);
  return value;
}

/**
 * Checks a publish request's body: a known type and its data, strictly
 * (unknown fields refused), before any store is asked.
 *
 * @example
 * parsePublishRequest({ type: 'message:new', data: { messageId: '65f…', chatId: 'c1', senderId: 'alice', content: 'hi' } });
 */
export function parsePublishRequest(body: unknown, maxParticipants: number = DEFAULT_LIMITS.maxChatParticipants): PublishRequest {
  const { type, data } = expectFields(body, ['type', 'data'], ['type', 'data'], 'body');
  if (!isPlainObject(data)) throw new BadRequestError('body.data must be an object');
  switch (type) {
    case 'message:new': {
      const f = expectFields(data, ['messageId', 'chatId', 'senderId', 'content', 'timestamp'], ['messageId', 'chatId', 'senderId', 'content']);
      const timestamp = timeOf(f.timestamp, 'timestamp');
      return {
        type,
        data: {
          messageId: appMessageIdOf(f.messageId),
          chatId: chatIdOf(f.chatId),
          senderId: userIdOf(f.senderId, 'senderId'),
          content: contentOf(f.content),
          ...(timestamp !== undefined && { timestamp }),
        },
      };
    }
    case 'message:edited': {
      const f = expectFields(data, ['messageId', 'chatId', 'content', 'editedAt'], ['messageId', 'chatId', 'content']);
      const editedAt = timeOf(f.editedAt, 'editedAt');
      return { type, data: { messageId: appMessageIdOf(f.messageId), chatId: chatIdOf(f.chatId), content: contentOf(f.content), ...(editedAt !== undefined && { editedAt }) } };
    }
    case 'message:deleted': {
      const f = expectFields(data, ['messageId', 'chatId', 'deletedAt'], ['messageId', 'chatId']);
      const deletedAt = timeOf(f.deletedAt, 'deletedAt');
      return { type, data: { messageId: appMessageIdOf(f.messageId), chatId: chatIdOf(f.chatId), ...(deletedAt !== undefined && { deletedAt }) } };
    }
    case 'participants:set': {
      const f = expectFields(data, ['chatId', 'userIds', 'title'], ['chatId', 'userIds']);
      if (!Array.isArray(f.userIds)) throw new BadRequestError('userIds must be an array of user ids');
      const userIds = [...new Set(f.userIds.map((id, i) => userIdOf(id, `userIds[${i}]`)))];
      if (userIds.length > maxParticipants) throw new PayloadTooLargeError(`A chat has at most ${maxParticipants} participants, got ${userIds.length}`);
      return { type, data: { chatId: chatIdOf(f.chatId), userIds, ...(f.title !== undefined && { title: titleOf(f.title) }) } };
    }
    case 'emit:user': {
      const f = expectFields(data, ['userId', 'event', 'data'], ['userId', 'event']);
      return { type, data: { userId: userIdOf(f.userId), event: eventNameOf(f.event), data: customDataOf(f.data) } };
    }
    case 'emit:chat': {
      const f = expectFields(data, ['chatId', 'event', 'data', 'except'], ['chatId', 'event']);
      return {
        type,
        data: {
          chatId: chatIdOf(f.chatId),
          event: eventNameOf(f.event),
          data: customDataOf(f.data),
          ...(f.except !== undefined && { except: userIdOf(f.except, 'except') }),
        },
      };
    }
    default:
      throw new BadRequestError(
        `body.type must be one of message:new, message:edited, message:deleted, participants:set, emit:user, emit:chat, got ${JSON.stringify(type)}`,
      );
  }
}

/** Creates the publisher over the message and membership stores and the room broadcaster. */
export function createPublisher(deps: PublisherDeps): Publisher {
  const { messages, memberships, users, broadcaster } = deps;
  const maxChatsPerUser = deps.maxChatsPerUser ?? DEFAULT_LIMITS.maxChatsPerUser;
  const now = deps.now ?? Date.now;

  /** A chat is its membership rows: none means the app never synced it (setChatParticipants). */
  const requireChat = async (chatId: string): Promise<void> => {
    if ((await memberships.countParticipants(chatId)) === 0) {
      throw new NotFoundError(`Chat ${chatId} not found: sync its participants first (setChatParticipants)`);
    }
  };

  const requireMessage = async (chatId: string, messageId: string): Promise<MessageRow> => {
    const stored = await messages.getMessage(chatId, messageId);
    if (stored === undefined) throw new NotFoundError(`Message ${messageId} not found in chat ${chatId}`);
    return stored;
  };

  /** A volatile event to one room: posted now, never stored, no recovery offset. */
  const emit = async (room: string, event: string, data: unknown, exceptUserId?: string): Promise<EmitResult> => {
    // Custom names are outside ServerEvents by design; the wire encoders take any name.
    const envelope = { event, data, id: randomId(), ts: now() } as unknown as EventEnvelope;
    const result = await broadcaster.toRoom(room, envelope, exceptUserId === undefined ? undefined : { exceptUserId });
    return { recipients: result.recipients, delivered: result.delivered };
  };

  return {
    /**
     * Stores the app's message under the app's id; the INSERT drives
     * `message:new`. Publishing the same id again (a retry) returns the
     * stored message and writes nothing, so nothing is broadcast twice.
     */
    async newMessage(input) {
      await requireChat(input.chatId);
      const at = now();
      const row: Omit<MessageRow, 'seq' | 'createdSeq'> = {
        chatId: input.chatId,
        messageId: input.messageId,
        kind: 'message',
        senderId: input.senderId,
        content: input.content,
        createdAt: input.timestamp ?? new Date(at).toISOString(),
      };
      // The chat's next position, in the same transaction as the row: published messages are ordered,
      // recovered and paged like any other.
      const write = await messages.commit(input.chatId, input.senderId, { kind: 'member' }, { kind: 'create', row });
      if (write.outcome === 'written') return toMessage({ ...row, seq: write.seq, createdSeq: write.seq });
      if (write.by === 'member') throw notAParticipant(input.senderId, input.chatId);
      const stored = await requireMessage(input.chatId, input.messageId);
      if (stored.senderId !== input.senderId) {
        throw new ConflictError(`Message ${input.messageId} was already published by another sender`);
      }
      return toMessage(stored);
    },

    /** Edits as the message's own sender (the app authorized the edit); the same content again writes nothing. */
    async editMessage(input) {
      const stored = await requireMessage(input.chatId, input.messageId);
      if (stored.deletedAt !== undefined) throw new ConflictError(`Message ${input.messageId} was deleted`);
      if (stored.editedAt !== undefined && stored.content === input.content) return toMessage(stored);
      const editedAt = input.editedAt ?? new Date(now()).toISOString();
      const write = await messages.commit(input.chatId, stored.senderId, { kind: 'member' }, { kind: 'edit', messageId: input.messageId, content: input.content, editedAt });
      if (write.outcome === 'refused') {
        if (write.by === 'member') throw notAParticipant(stored.senderId, input.chatId);
        throw new ConflictError(`Message ${input.messageId} changed meanwhile (deleted); not edited`);
      }
      return toMessage({ ...stored, content: input.content, editedAt, seq: write.seq });
    },

    /** Soft-deletes as the sender; deleting twice answers with the first deletion and broadcasts once. */
    async deleteMessage(input) {
      const stored = await requireMessage(input.chatId, input.messageId);
      if (stored.deletedAt !== undefined) return { messageId: input.messageId, deletedAt: stored.deletedAt };
      const deletedAt = input.deletedAt ?? new Date(now()).toISOString();
      const write = await messages.commit(input.chatId, stored.senderId, { kind: 'member' }, { kind: 'delete', messageId: input.messageId, deletedAt });
      if (write.outcome === 'written') return { messageId: input.messageId, deletedAt };
      if (write.by === 'member') throw notAParticipant(stored.senderId, input.chatId);
      const old = write.by === 'message' ? write.old : undefined;
      if (typeof old?.deletedAt === 'string') return { messageId: input.messageId, deletedAt: old.deletedAt };
      throw new ConflictError(`Message ${input.messageId} changed meanwhile; not deleted`);
    },

    /**
     * Brings the chat's membership to exactly `userIds`: adds the missing,
     * removes the others, and (with a joiner) their connections are in or
     * out of the chat's room when it returns. A chat not known yet is created this way; an empty set
     * removes everyone. Calling it twice with the same set writes nothing.
     */
    async setParticipants(input) {
      const current = await memberships.participantsOf(input.chatId);
      const wanted = new Set(input.userIds);
      const added = input.userIds.filter((userId) => !current.includes(userId));
      const removed = current.filter((userId) => !wanted.has(userId));
      const existingTitle = current.length > 0 ? (await memberships.get(input.chatId, current[0] as string))?.title : undefined;
      const title = input.title ?? existingTitle ?? '';
      const addedAt = new Date(now()).toISOString();
      // Every added user is counted first, so a refusal writes no membership (the counts taken are given back).
      const reserved: string[] = [];
      for (const userId of added) {
        if (!(await users.reserveChat(userId, maxChatsPerUser))) {
          for (const taken of reserved) await users.releaseChat(taken);
          throw new ConflictError(`User ${userId} is in ${maxChatsPerUser} chats already (maxChatsPerUser); no participant changed`);
        }
        reserved.push(userId);
      }
      for (const userId of added) {
        // A row that appeared meanwhile was counted by whoever wrote it.
        if (!(await memberships.putIfAbsent({ chatId: input.chatId, userId, title, addedAt, addedBy: 'publisher' }))) await users.releaseChat(userId);
      }
      for (const userId of removed) {
        if (await memberships.delete(input.chatId, userId)) await users.releaseChat(userId);
      }
      // After the writes, as the chat service does. A failed join fails the call; the Memberships stream still joins them.
      if (added.length > 0) await deps.joiner?.join(input.chatId, added);
      if (removed.length > 0) await deps.joiner?.leave(input.chatId, removed);
      return { chatId: input.chatId, added, removed };
    },

    emitToUser: (input) => emit(roomOf.user(input.userId), input.event, input.data),

    async emitToChat(input) {
      await requireChat(input.chatId);
      return emit(roomOf.chat(input.chatId), input.event, input.data, input.except);
    },
  };
}

/**
 * Runs one parsed publish request.
 *
 * @example
 * await publish(publisher, { type: 'emit:user', data: { userId: 'bob', event: 'friend:request', data: { from: 'alice' } } });
 */
export function publish(publisher: Publisher, request: PublishRequest): Promise<unknown> {
  switch (request.type) {
    case 'message:new':
      return publisher.newMessage(request.data);
    case 'message:edited':
      return publisher.editMessage(request.data);
    case 'message:deleted':
      return publisher.deleteMessage(request.data);
    case 'participants:set':
      return publisher.setParticipants(request.data);
    case 'emit:user':
      return publisher.emitToUser(request.data);
    case 'emit:chat':
      return publisher.emitToChat(request.data);
  }
}
