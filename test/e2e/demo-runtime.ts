/**
 * The local runtime as the browser tests need it: seeded with the demo
 * users and chat, the page served at its HTTP origin, the `/dev/*`
 * endpoints and `/lettera-client.js` reachable from the page.
 *
 * When the runtime's HTTP server does not mount the dev endpoints and the
 * client bundle itself, they run on a side server in this process and each
 * browser context routes those paths to it, so the page still sees one
 * origin (the one FRONTEND_URL allows for the WebSocket upgrade).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { BrowserContext } from 'playwright-core';
import { ENV } from '../../lambdas/commons/env';
import { serveClientBundle } from '../../local/client-bundle';
import { createDevEndpoints } from '../../local/dev-endpoints';
import { startTestRuntime, type LocalRuntime } from '../helpers/local-runtime';

export interface DemoRuntime {
  readonly runtime: LocalRuntime;
  /** Where the page lives (the runtime's HTTP origin). */
  readonly baseUrl: string;
  /** True when the runtime serves /dev/* and the client bundle itself. */
  readonly mountedByRuntime: boolean;
  /** Gives a new browser context what the page needs besides the runtime. */
  prepare(context: BrowserContext): Promise<void>;
  /** Open WebSocket connections of a user, from the Connections table. */
  connectionsOf(userId: string): Promise<string[]>;
  /** Closes a user's connections through the @connections API, as API Gateway would. */
  dropConnections(userId: string): Promise<number>;
  /** Creates a chat over the HTTP API as `userId` (who is always a participant). */
  createChat(userId: string, title: string, participants: string[]): Promise<{ chatId: string }>;
  /** Sends a message over the HTTP API as a user. */
  sendOverHttp(userId: string, chatId: string, content: string): Promise<{ messageId: string }>;
  stop(): Promise<void>;
}

/** Paths the page needs that the demo side server answers. */
const SIDE_PATHS = /^\/(dev\/(users|token|config)|lettera-client\.js(\.map)?)$/;

export async function startDemoRuntime(): Promise<DemoRuntime> {
  const runtime = await startTestRuntime({ seed: true });
  let side: Server | undefined;
  const management = new ApiGatewayManagementApiClient({
    endpoint: runtime.callbackUrl,
    region: runtime.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const probe = await fetch(`${runtime.httpUrl}/dev/config`);
    await probe.body?.cancel();
    const mountedByRuntime = probe.ok;
    let sideUrl = '';
    if (!mountedByRuntime) {
      const devEndpoints = createDevEndpoints({ secret: runtime.jwtSecret, wsUrl: runtime.wsUrl, httpUrl: runtime.httpUrl });
      side = createServer((req, res) => {
        void (async () => {
          if (await devEndpoints(req, res)) return;
          if (await serveClientBundle(req, res)) return;
          res.writeHead(404).end();
        })();
      });
      await new Promise<void>((resolve) => side?.listen(0, '127.0.0.1', resolve));
      sideUrl = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;
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
      mountedByRuntime,
      async prepare(context) {
        if (mountedByRuntime) return;
        await context.route(
          (url) => url.origin === runtime.httpUrl && SIDE_PATHS.test(url.pathname),
          async (route) => {
            const url = new URL(route.request().url());
            const response = await route.fetch({ url: `${sideUrl}${url.pathname}${url.search}` });
            await route.fulfill({ response });
          },
        );
      },
      connectionsOf,
      async dropConnections(userId) {
        const ids = await connectionsOf(userId);
        for (const id of ids) await management.send(new DeleteConnectionCommand({ ConnectionId: id }));
        return ids.length;
      },
      createChat: (userId, title, participants) => post(userId, '/chats', { title, participants }),
      sendOverHttp: (userId, chatId, content) => post(userId, `/chats/${encodeURIComponent(chatId)}/messages`, { content }),
      async stop() {
        management.destroy();
        if (side) await new Promise((resolve) => side?.close(resolve));
        await runtime.stop();
      },
    };
  } catch (err) {
    management.destroy();
    side?.close();
    await runtime.stop();
    throw err;
  }
}
