import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConnectionLink, REGISTRATION_RETRY_DELAYS_MS } from '../../../../../lambdas/adapters/api-gateway/connection-link';
import type { ConnectionRemover } from '../../../../../lambdas/domain/ports';

const api = mockClient(ApiGatewayManagementApiClient);
const managementClient = new ApiGatewayManagementApiClient({ endpoint: 'https://example.com/test', region: 'eu-west-1' });
const gone = (): GoneException => new GoneException({ message: 'gone', $metadata: {} });
const named = (name: string, message = name): Error => Object.assign(new Error(message), { name });

function createLink(registrationRetryDelaysMs?: readonly number[]) {
  const removeConnection = vi.fn<ConnectionRemover>().mockResolvedValue(undefined);
  const sleep = vi.fn(async (_ms: number) => undefined);
  const link = createConnectionLink({
    managementClient,
    removeConnection,
    sleep,
    ...(registrationRetryDelaysMs !== undefined && { registrationRetryDelaysMs }),
  });
  return { link, removeConnection, sleep };
}

const posted = (): string[] =>
  api.commandCalls(PostToConnectionCommand).map((call) => Buffer.from(call.args[0].input.Data as Uint8Array).toString('utf8'));

describe('Function: createConnectionLink', () => {
  afterEach(() => {
    api.reset();
  });

  describe('Method: post', () => {
    it('posts the frame as UTF-8 to the connection and reports delivered', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).resolves({});

      // Act
      const outcome = await link.post('conn-1=', '42["chat","héllo 😀"]');

      // Assess
      expect(outcome).toBe('delivered');
      expect(api).toReceiveCommandWith(PostToConnectionCommand, { ConnectionId: 'conn-1=' });
      expect(posted()).toEqual(['42["chat","héllo 😀"]']);
    });

    it('reports a GoneException as gone, without removing anything itself', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      api.on(PostToConnectionCommand).rejects(gone());

      // Act
      const outcome = await link.post('conn-1=', '2');

      // Assess
      expect(outcome).toBe('gone');
      expect(removeConnection).not.toHaveBeenCalled();
    });

    it('recognises GoneException by name, not by class or statusCode', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).rejects(named('GoneException'));

      // Act + Assess
      await expect(link.post('conn-1=', '2')).resolves.toBe('gone');
    });

    it.each(['ForbiddenException', 'LimitExceededException', 'PayloadTooLargeException'])('rethrows %s', async (name) => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).rejects(named(name, `failed: ${name}`));

      // Act + Assess
      await expect(link.post('conn-1=', '2')).rejects.toThrow(`failed: ${name}`);
    });

    it('does not read an error carrying statusCode 410 but another name as gone', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).rejects(Object.assign(named('InternalFailure', 'boom'), { statusCode: 410 }));

      // Act + Assess
      await expect(link.post('conn-1=', '2')).rejects.toThrow('boom');
    });
  });

  describe('Method: postInOrder', () => {
    it('posts every frame, each after the previous one, and reports delivered', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).resolves({});

      // Act
      const outcome = await link.postInOrder('conn-1=', ['40{"sid":"s"}', '42["a"]', '42["b"]']);

      // Assess
      expect(outcome).toBe('delivered');
      expect(posted()).toEqual(['40{"sid":"s"}', '42["a"]', '42["b"]']);
    });

    it('stops at the first gone and posts nothing after it', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).resolvesOnce({}).rejects(gone());

      // Act
      const outcome = await link.postInOrder('conn-1=', ['40{}', '42["a"]', '42["b"]']);

      // Assess
      expect(outcome).toBe('gone');
      expect(posted()).toEqual(['40{}', '42["a"]']);
    });

    it('stops at an error, leaving the later frames unsent', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).rejectsOnce(named('ForbiddenException', 'denied')).resolves({});

      // Act
      const attempt = link.postInOrder('conn-1=', ['40{}', '42["a"]']);

      // Assess
      await expect(attempt).rejects.toThrow('denied');
      expect(posted()).toEqual(['40{}']);
    });

    it('posts nothing for no frames', async () => {
      // Prepare
      const { link } = createLink();

      // Act
      const outcome = await link.postInOrder('conn-1=', []);

      // Assess
      expect(outcome).toBe('delivered');
      expect(api).toReceiveCommandTimes(PostToConnectionCommand, 0);
    });
  });

  describe('Method: postWhenRegistered', () => {
    it('retries the open packet on 410 until the connection is registered', async () => {
      // Prepare
      const { link, sleep } = createLink();
      api.on(PostToConnectionCommand).rejectsOnce(gone()).rejectsOnce(gone()).resolves({});

      // Act
      const outcome = await link.postWhenRegistered('conn-1=', '0{"sid":"conn-1="}');

      // Assess
      expect(outcome).toBe('delivered');
      expect(posted()).toEqual(['0{"sid":"conn-1="}', '0{"sid":"conn-1="}', '0{"sid":"conn-1="}']);
      expect(sleep.mock.calls.map(([ms]) => ms)).toEqual(REGISTRATION_RETRY_DELAYS_MS.slice(0, 2));
    });

    it('does not wait when the first post is delivered', async () => {
      // Prepare
      const { link, sleep } = createLink();
      api.on(PostToConnectionCommand).resolves({});

      // Act
      const outcome = await link.postWhenRegistered('conn-1=', '0{}');

      // Assess
      expect(outcome).toBe('delivered');
      expect(sleep).not.toHaveBeenCalled();
    });

    it('gives up as gone after one attempt per delay plus the first, waiting each delay in turn', async () => {
      // Prepare
      const { link, sleep } = createLink();
      api.on(PostToConnectionCommand).rejects(gone());

      // Act
      const outcome = await link.postWhenRegistered('conn-1=', '0{}');

      // Assess
      expect(outcome).toBe('gone');
      expect(api).toReceiveCommandTimes(PostToConnectionCommand, REGISTRATION_RETRY_DELAYS_MS.length + 1);
      expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([...REGISTRATION_RETRY_DELAYS_MS]);
    });

    it('uses the injected delays', async () => {
      // Prepare
      const { link, sleep } = createLink([5]);
      api.on(PostToConnectionCommand).rejects(gone());

      // Act
      const outcome = await link.postWhenRegistered('conn-1=', '0{}');

      // Assess
      expect(outcome).toBe('gone');
      expect(api).toReceiveCommandTimes(PostToConnectionCommand, 2);
      expect(sleep.mock.calls).toEqual([[5]]);
    });

    it('tries once only with no delays', async () => {
      // Prepare
      const { link, sleep } = createLink([]);
      api.on(PostToConnectionCommand).rejects(gone());

      // Act
      const outcome = await link.postWhenRegistered('conn-1=', '0{}');

      // Assess
      expect(outcome).toBe('gone');
      expect(api).toReceiveCommandTimes(PostToConnectionCommand, 1);
      expect(sleep).not.toHaveBeenCalled();
    });

    it('does not retry an error other than GoneException', async () => {
      // Prepare
      const { link, sleep } = createLink();
      api.on(PostToConnectionCommand).rejects(named('ForbiddenException', 'denied'));

      // Act
      const attempt = link.postWhenRegistered('conn-1=', '0{}');

      // Assess
      await expect(attempt).rejects.toThrow('denied');
      expect(api).toReceiveCommandTimes(PostToConnectionCommand, 1);
      expect(sleep).not.toHaveBeenCalled();
    });
  });

  describe('Method: disconnect', () => {
    it('with notify: sends 41, then DeleteConnection, then removes the rows, in that order', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      const steps: string[] = [];
      api.on(PostToConnectionCommand).callsFake(() => {
        steps.push('post');
        return {};
      });
      api.on(DeleteConnectionCommand).callsFake(() => {
        steps.push('delete');
        return {};
      });
      removeConnection.mockImplementation(async () => {
        steps.push('remove');
      });

      // Act
      await link.disconnect('conn-1=', { notify: true, userId: 'alice' });

      // Assess
      expect(steps).toEqual(['post', 'delete', 'remove']);
      expect(posted()).toEqual(['41']);
      expect(api).toReceiveCommandWith(DeleteConnectionCommand, { ConnectionId: 'conn-1=' });
      expect(removeConnection).toHaveBeenCalledWith('conn-1=', { userId: 'alice' });
    });

    it('posts the given notice instead of 41 (the JSON TOKEN_EXPIRED error frame), then deletes', async () => {
      // Prepare
      const { link } = createLink();
      api.on(PostToConnectionCommand).resolves({});
      api.on(DeleteConnectionCommand).resolves({});

      // Act
      await link.disconnect('conn-1=', { notify: true, notice: '{"event":"error"}', userId: 'alice' });

      // Assess
      expect(posted()).toEqual(['{"event":"error"}']);
      expect(api).toReceiveCommandTimes(DeleteConnectionCommand, 1);
    });

    it('without notify: sends nothing, deletes the connection and removes the rows', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      api.on(DeleteConnectionCommand).resolves({});

      // Act
      await link.disconnect('conn-1=', { notify: false });

      // Assess
      expect(api).toReceiveCommandTimes(PostToConnectionCommand, 0);
      expect(api).toReceiveCommandTimes(DeleteConnectionCommand, 1);
      expect(removeConnection).toHaveBeenCalledWith('conn-1=', undefined);
    });

    it('tolerates a connection already gone at every step', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      api.on(PostToConnectionCommand).rejects(gone());
      api.on(DeleteConnectionCommand).rejects(gone());

      // Act
      await link.disconnect('conn-1=', { notify: true, userId: 'alice' });

      // Assess
      expect(posted()).toEqual(['41']);
      expect(removeConnection).toHaveBeenCalledWith('conn-1=', { userId: 'alice' });
    });

    it('goes ahead with the kick when the notice fails for another reason', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      api.on(PostToConnectionCommand).rejects(named('LimitExceededException', 'buffer full'));
      api.on(DeleteConnectionCommand).resolves({});

      // Act
      await link.disconnect('conn-1=', { notify: true });

      // Assess
      expect(api).toReceiveCommandTimes(DeleteConnectionCommand, 1);
      expect(removeConnection).toHaveBeenCalledTimes(1);
    });

    it('fails visibly, keeping the rows, when DeleteConnection fails with anything but Gone', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      api.on(DeleteConnectionCommand).rejects(named('ForbiddenException', 'denied'));

      // Act
      const attempt = link.disconnect('conn-1=', { notify: false });

      // Assess
      await expect(attempt).rejects.toThrow('denied');
      expect(removeConnection).not.toHaveBeenCalled();
    });

    it('passes on a failure to remove the rows', async () => {
      // Prepare
      const { link, removeConnection } = createLink();
      api.on(DeleteConnectionCommand).resolves({});
      removeConnection.mockRejectedValue(new Error('throttled'));

      // Act + Assess
      await expect(link.disconnect('conn-1=', { notify: false })).rejects.toThrow('throttled');
    });
  });
});
