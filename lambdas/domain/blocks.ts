/**
 * Blocks between users: a user blocks another (and lifts it); blocked
 * users cannot put the blocker in a chat (see chats.ts), and neither sees
 * the other's presence or typing (see typing.ts and fan-out/presence.ts).
 * The blocker's own connections hear of it through the Users stream
 * (`user:blocked` / `user:unblocked`).
 */
import { BadRequestError } from '../commons/errors';
import type { Block, Page } from '../../protocol';
import type { UserStore } from './ports';
import { DEFAULT_LIST_SIZE, type PageInput } from './chats';

export interface BlockServiceDeps {
  users: Pick<UserStore, 'putBlock' | 'deleteBlock' | 'blocksPage'>;
  /** @default Date.now */
  now?: () => number;
}

export interface BlockService {
  /** Blocks `userId`; blocking again changes nothing. */
  block(callerId: string, userId: string): Promise<void>;
  /** Lifts a block; lifting one that does not exist changes nothing. */
  unblock(callerId: string, userId: string): Promise<void>;
  /** One page of the users the caller blocked. */
  list(callerId: string, page?: PageInput): Promise<Page<Block>>;
}

export function createBlockService(deps: BlockServiceDeps): BlockService {
  const now = deps.now ?? Date.now;
  return {
    async block(callerId, userId) {
      if (userId === callerId) throw new BadRequestError('You cannot block yourself');
      await deps.users.putBlock(callerId, userId, new Date(now()).toISOString());
    },
    async unblock(callerId, userId) {
      await deps.users.deleteBlock(callerId, userId);
    },
    async list(callerId, page = {}) {
      const { items, next } = await deps.users.blocksPage(callerId, page.limit ?? DEFAULT_LIST_SIZE, page.cursor);
      return { items, ...(next !== undefined && { next }) };
    },
  };
}
