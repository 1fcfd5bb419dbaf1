import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildClient } from '../../../client/build';
import { watchRinging } from '../../../client/src/calls';
import { connected, open, server, useScriptedServer } from './harness';

useScriptedServer();

const invite = (callId: string, ringTimeoutMs: number) => ({ callId, chatId: 'c1', userId: 'alice', media: 'audio', ringTimeoutMs });

describe('Function: watchRinging', () => {
  it('hangs up an incoming call with reason timeout once its ring time runs out', async () => {
    // Prepare
    const socket = open();
    const calls = watchRinging(socket);
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    conn.event('call:invite', invite('k1', 20), 'e1');
    const hangup = await conn.frame((f) => f.action === 'call:hangup');

    // Assess
    expect(hangup).toMatchObject({ action: 'call:hangup', data: { callId: 'k1', reason: 'timeout' } });
    expect(calls.ringing.size).toBe(0);
    calls.close();
  });

  it('starts the caller\'s timer from the invite\'s ack, and stops it when the call is answered', async () => {
    // Prepare
    const socket = open();
    const calls = watchRinging(socket);
    await connected(socket);
    const conn = await server.connection(0);

    // Act
    const placed = calls.invite({ chatId: 'c1', userId: 'bob' });
    const sent = await conn.frame((f) => f.action === 'call:invite');
    conn.ack(sent.ackId, { callId: 'k2', chatId: 'c1', state: 'ringing', ringTimeoutMs: 60_000 });
    const ack = await placed;
    const ringingAfterInvite = [...calls.ringing];
    conn.event('call:accept', { callId: 'k2', chatId: 'c1', userId: 'bob' }, 'e2');
    conn.event('call:invite', invite('marker', 60_000), 'e3');
    await new Promise<void>((resolve) => socket.once('call:invite', () => resolve()));

    // Assess
    expect(sent.data).toEqual({ chatId: 'c1', userId: 'bob' });
    expect(ack.state).toBe('ringing');
    expect(ringingAfterInvite).toEqual(['k2']);
    expect([...calls.ringing]).toEqual(['marker']);
    calls.close();
    expect(calls.ringing.size).toBe(0);
  });

  it('stops the timer of a call this side accepts, rejects or hangs up, sending the action', async () => {
    // Prepare
    const socket = open();
    const calls = watchRinging(socket);
    await connected(socket);
    const conn = await server.connection(0);
    for (const id of ['a', 'b', 'c']) conn.event('call:invite', invite(id, 60_000), id);
    await new Promise<void>((resolve) => {
      const check = (): void => (calls.ringing.size === 3 ? resolve() : void setTimeout(check, 5));
      check();
    });

    // Act
    const pending = [calls.accept('a'), calls.reject('b', 'busy'), calls.hangup('c')];
    const ringingAfter = calls.ringing.size;
    const frames = await Promise.all(['call:accept', 'call:reject', 'call:hangup'].map((action) => conn.frame((f) => f.action === action)));
    for (const frame of frames) conn.ack(frame.ackId, { callId: (frame.data as { callId: string }).callId, state: 'ended' });
    await Promise.all(pending);

    // Assess
    expect(ringingAfter).toBe(0);
    expect(frames.map((f) => f.data)).toEqual([{ callId: 'a' }, { callId: 'b', reason: 'busy' }, { callId: 'c' }]);
    calls.close();
  });
});

describe('Subpath module: lettera-realtime-client/calls', () => {
  it('bundles on its own without the core socket code, and with no Node.js imports', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'lettera-client-calls-'));
    try {
      // Act
      const size = await buildClient(join(dir, 'calls.js'), 'calls');
      const code = readFileSync(join(dir, 'calls.js'), 'utf8');

      // Assess
      expect(size.gzipBytes).toBeLessThan(1024);
      expect(code).toContain('call:hangup');
      expect(code).not.toContain('lettera.v1');
      expect(code).not.toMatch(/from\s*["'](node:|ws["'])/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
