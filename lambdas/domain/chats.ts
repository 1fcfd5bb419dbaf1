/**
 * The chat service: create a chat, list a user's chats, add and remove
 * participants. There is no chats table: a chat is its membership rows, each
 * carrying the title.
 */
import { BadRequestError, ConflictError } from '../commons/errors';
import { sortableId } from '../commons/ids';
import type { Chat } from '../../protocol';
import { requireParticipant } from './memberships';
import type { MembershipStore } from './ports';
import { DEFAULT_LIMITS } from '../system/limits';

/** Chats whose participants are read at once when listing. */
const LIST_CONCURRENCY = 8;

export interface ChatServiceDeps {
  memberships: Pick<MembershipStore, 'get' | 'rowsOfUser' | 'participantsOf' | 'countParticipants' | 'putAll' | 'putIfAbsent' | 'delete'>;
  /** Most participants per chat; bounds every fan-out and membership query. @default the maxChatParticipants setting's default */
  maxParticipants?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface CreateChatInput {
  title: string;
  participants: readonly string[];
}

export interface ChatService {
  create(callerId: string, input: CreateChatInput): Promise<Chat>;
  listForUser(userId: string): Promise<Chat[]>;
  addParticipant(callerId: string, chatId: string, userId: string): Promise<{ chatId: string; userId: string }>;
  removeParticipant(callerId: string, chatId: string, userId: string): Promise<void>;
}

/** Creates the chat service over the membership store. */
export function createChatService(deps: ChatServiceDeps): ChatService {
  const { memberships } = deps;
  const now = deps.now ?? Date.now;
  const maxParticipants = deps.maxParticipants ?? DEFAULT_LIMITS.maxChatParticipants;

  return {
    async create(callerId, input) {
      // The caller is always a participant; duplicates collapse.
      const participants = [...new Set([callerId, ...input.participants])];
      if (participants.length > maxParticipants) {
        throw new BadRequestError(`A chat has at most ${maxParticipants} participants`);
      }
      const chatId = sortableId(now());
      const addedAt = new Date(now()).toISOString();
      await memberships.putAll(participants.map((userId) => ({ chatId, userId, title: input.title, addedAt, addedBy: callerId })));
      return { chatId, title: input.title, participants };
    },

    async listForUser(userId) {
      const rows = await memberships.rowsOfUser(userId);
      const chats: Chat[] = [];
      for (let i = 0; i < rows.length; i += LIST_CONCURRENCY) {
        const slice = rows.slice(i, i + LIST_CONCURRENCY);
        chats.push(
          ...(await Promise.all(
            slice.map(async (row) => ({ chatId: row.chatId, title: row.title, participants: await memberships.participantsOf(row.chatId) })),
          )),
        );
      }
      return chats;
    },

    async addParticipant(callerId, chatId, userId) {
      const { title } = await requireParticipant(memberships, chatId, callerId);
      if ((await memberships.countParticipants(chatId)) >= maxParticipants) throw new ConflictError(`A chat has at most ${maxParticipants} participants`);
      // Adding someone already in is a success that writes nothing (no second join event).
      await memberships.putIfAbsent({ chatId, userId, title, addedAt: new Date(now()).toISOString(), addedBy: callerId });
      return { chatId, userId };
    },

    /**
     * Any participant may remove any participant, themselves included: the
     * model is flat (no owner or admin role is stored), symmetric with "any
     * participant may add". Removing someone not in the chat is a no-op.
     */
    async removeParticipant(callerId, chatId, userId) {
      await requireParticipant(memberships, chatId, callerId);
      await memberships.delete(chatId, userId);
    },
  };
}
