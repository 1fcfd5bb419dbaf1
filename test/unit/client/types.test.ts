import { describe, expectTypeOf, it } from 'vitest';
import { ChatSocket, type ClientError, type DisconnectReason, type EventMeta } from '../../../client/src/index';
import type { Message, MessageNewData, MessageReadData, TypingData } from '../../../protocol';

// Compile-time checks: `npx tsc --noEmit` fails if the typed maps regress.
// The socket never connects; emits just wait in its buffer.
const socket = new ChatSocket('ws://127.0.0.1:9/never', { autoConnect: false });

describe('Type: ChatSocket event maps', () => {
  it('types listeners of server and reserved events', () => {
    // Act / Assess
    socket.on('message:new', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<MessageNewData>();
      expectTypeOf(meta).toEqualTypeOf<EventMeta>();
    });
    socket.on('user:stop-typing', (data) => expectTypeOf(data).toEqualTypeOf<TypingData>());
    socket.on('message:read', (data) => expectTypeOf(data).toEqualTypeOf<MessageReadData>());
    socket.on('disconnect', (reason) => expectTypeOf(reason).toEqualTypeOf<DisconnectReason>());
    socket.on('connect_error', (err) => expectTypeOf(err).toEqualTypeOf<Error>());
    expectTypeOf(socket.on('connect', () => {})).toEqualTypeOf<() => void>();
    // @ts-expect-error not an event of the protocol
    socket.on('message:unknown', () => {});
  });

  it('types action payloads and ack results', () => {
    // Act / Assess
    socket.emit('message:send', { chatId: 'c1', content: 'hi' }, (err, data) => {
      expectTypeOf(err).toEqualTypeOf<ClientError | null>();
      expectTypeOf(data).toEqualTypeOf<Message | undefined>();
    });
    expectTypeOf(socket.emitWithAck('message:delete', { chatId: 'c1', messageId: 'm' })).resolves.toEqualTypeOf<{
      messageId: string;
      deletedAt: string;
    }>();
    expectTypeOf(socket.emitWithAck('message:read', { chatId: 'c1', messageId: 'm' })).resolves.toEqualTypeOf<MessageReadData & { moved: boolean }>();
    // @ts-expect-error content is required
    socket.emit('message:send', { chatId: 'c1' });
    // @ts-expect-error messageId is required: a read names the message read up to
    socket.emit('message:read', { chatId: 'c1' });
    // @ts-expect-error not an action of the protocol
    socket.emit('message:unknown', {});
  });
});
