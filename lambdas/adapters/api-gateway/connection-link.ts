/**
 * Posting to one connection outside a broadcast: the Engine.IO open packet
 * (which must wait until API Gateway has registered the connection), frames
 * that must arrive in order (CONNECT reply, then recovery replay), heartbeat
 * pings and server-side disconnects. Broadcasts go through the broadcaster.
 */
import {
  DeleteConnectionCommand,
  PostToConnectionCommand,
  type ApiGatewayManagementApiClient,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../commons/logger';
import { encodeDisconnect } from '../../socketio/codec';
import type { ConnectionLink, ConnectionRemover, LinkOutcome } from '../../domain/ports';

/**
 * Delays between attempts of a post that got GoneException because the
 * connection is not registered yet (the stream can deliver the INSERT of a
 * connection before `$connect` has returned). About 3 s in all, well inside
 * socket.io-client's 20 s connect timeout.
 */
export const REGISTRATION_RETRY_DELAYS_MS: readonly number[] = [50, 100, 200, 400, 800, 1600];

export interface ConnectionLinkDeps {
  managementClient: ApiGatewayManagementApiClient;
  removeConnection: ConnectionRemover;
  /** @default REGISTRATION_RETRY_DELAYS_MS */
  registrationRetryDelaysMs?: readonly number[];
  /** Injected for tests. @default timers/promises setTimeout */
  sleep?: (ms: number) => Promise<unknown>;
}

function isGone(err: unknown): boolean {
  return err instanceof Error && err.name === 'GoneException';
}

/**
 * @example
 * const link = createConnectionLink({ managementClient, removeConnection });
 * await link.postWhenRegistered(connectionId, encodeOpenPacket({ sid: connectionId, ...heartbeat }));
 * await link.disconnect(connectionId, { notify: true });
 */
export function createConnectionLink(deps: ConnectionLinkDeps): ConnectionLink {
  const delays = deps.registrationRetryDelaysMs ?? REGISTRATION_RETRY_DELAYS_MS;
  const wait = deps.sleep ?? sleep;

  const post = async (connectionId: string, frame: string): Promise<LinkOutcome> => {
    try {
      await deps.managementClient.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(frame, 'utf8') }));
      return 'delivered';
    } catch (err) {
      if (isGone(err)) return 'gone';
      throw err;
    }
  };

  return {
    post,
    async postInOrder(connectionId, frames) {
      for (const frame of frames) {
        if ((await post(connectionId, frame)) === 'gone') return 'gone';
      }
      return 'delivered';
    },
    async postWhenRegistered(connectionId, frame) {
      for (let attempt = 0; ; attempt++) {
        if ((await post(connectionId, frame)) === 'delivered') return 'delivered';
        const delay = delays[attempt];
        if (delay === undefined) return 'gone';
        await wait(delay);
      }
    },
    async disconnect(connectionId, { notify, notice, userId }) {
      if (notify) {
        await post(connectionId, notice ?? encodeDisconnect()).catch((err: unknown) => {
          // The kick goes ahead without the notice; the client then reconnects, which is still correct.
          logger.warn('disconnect notice failed', { connectionId, error: err instanceof Error ? err.name : String(err) });
        });
      }
      try {
        await deps.managementClient.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (err) {
        if (!isGone(err)) throw err;
      }
      // $disconnect follows a DeleteConnection, but only best effort: remove the rows now (idempotent).
      await deps.removeConnection(connectionId, userId === undefined ? undefined : { userId });
    },
  };
}
