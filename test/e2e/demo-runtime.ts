/**
 * The local runtime as the browser tests need it: seeded with the demo
 * users and chat, serving the page, the `/dev/*` endpoints and
 * `/lettera-client.js` at its HTTP origin (the origin FRONTEND_URL allows
 * for the WebSocket upgrade), plus server-side levers for the tests.
 */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../lambdas/commons/env';
import { startTestRuntime, type LocalRuntime } from '../helpers/local-runtime';

export interface DemoRuntime {
  readonly runtime: LocalRuntime;
  /** Where the page lives (the runtime's HTTP origin). */
  readonly baseUrl: string;
  /** Open WebSocket connections of a user, from the Connections table. */
  connectionsOf(userId: string): Promise<string[]>;
  /** Closes a user's connections through the @connections API, as API Gateway would. */
  dropConnections(userId: string): Promise<number>;
  /** Creates a chat over the HTTP API as `userId` (who is always a participant). */
  createChat(userId: string, title: string, participants: string[]): Promise<{ chatId: string }>;
  /** The chats a user is in, from the HTTP API. */
  chatsOf(userId: string): Promise<{ chatId: string; title: string; participants: string[] }[]>;
  /** Sends a message over the HTTP API as a user. */
  sendOverHttp(userId: string, chatId: string, content: string): Promise<{ messageId: string }>;
  stop(): Promise<void>;
}

export async function startDemoRuntime(): Promise<DemoRuntime> {
  const runtime = await startTestRuntime({ seed: true });
  const management = new ApiGatewayManagementApiClient({
    endpoint: runtime.callbackUrl,
    region: runtime.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const path of ['/dev/config', '/lettera-client.js']) {
      const probe = await fetch(`${runtime.httpUrl}${path}`);
      await probe.body?.cancel();
      if (!probe.ok) throw new Error(`The local runtime does not serve ${path} (${probe.status}); the page needs it`);
    }
    const connectionsTable = runtime.tableNames[ENV.connectionsTable] as string;

    const connectionsOf = async (userId: string): Promise<string[]> => {
      const result = await runtime.documentClient.send(
        new QueryCommand({
          TableName: connectionsTable,
          IndexName: 'byUser',
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': userId },
        }),
      );
      return (result.Items ?? []).map((item) => String(item.connectionId)).filter((id) => runtime.gateway.pool.get(id));
    };

    const post = async <T>(userId: string, path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${runtime.httpUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await runtime.token(userId)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${path} as ${userId}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    return {
      runtime,
      baseUrl: runtime.httpUrl,
      connectionsOf,
      async dropConnections(userId) {
        const ids = await connectionsOf(userId);
        for (const id of ids) await management.send(new DeleteConnectionCommand({ ConnectionId: id }));
        return ids.length;
      },
      async chatsOf(userId) {
        const get = async <T>(path: string): Promise<T> => {
          const res = await fetch(`${runtime.httpUrl}${path}`, { headers: { authorization: `Bearer ${await runtime.token(userId)}` } });
          if (res.status !== 200) throw new Error(`GET ${path} as ${userId}: ${res.status} ${await res.text()}`);
          return (await res.json()) as T;
        };
        // The demo users have a handful of chats and participants: one page each.
        const chats = await get<{ items: { chatId: string; title: string }[] }>('/chats?limit=100');
        return Promise.all(
          chats.items.map(async (chat) => ({
            chatId: chat.chatId,
            title: chat.title,
            participants: (await get<{ items: { userId: string }[] }>(`/chats/${encodeURIComponent(chat.chatId)}/participants?limit=100`)).items.map((p) => p.userId),
          })),
        );
      },
      createChat: (userId, title, participants) => post(userId, '/chats', { title, participants }),
      sendOverHttp: (userId, chatId, content) => post(userId, `/chats/${encodeURIComponent(chatId)}/messages`, { content }),
      async stop() {
        management.destroy();
        await runtime.stop();
      },
    };
  } catch (err) {
    management.destroy();
    await runtime.stop();
    throw err;
  }
}
