import { describe, expect, it, vi } from 'vitest';
import { createExpiredCloser, splitExpired, tokenExpiredNotice, TOKEN_EXPIRED_FRAME } from '../../../../lambdas/domain/expiry';
import type { ConnectionLink, RoomMember } from '../../../../lambdas/domain/ports';

const NOW = 1_764_204_000_000;

describe('Function: splitExpired', () => {
  it('puts a member past its token exp apart; a member at its exp second or without one still listens', () => {
    // Prepare
    const members: RoomMember[] = [
      { connectionId: 'past', userId: 'a', protocol: 'lettera.v1', tokenExpiresAt: NOW / 1000 - 1 },
      { connectionId: 'at-exp', userId: 'b', protocol: 'lettera.v1', tokenExpiresAt: NOW / 1000 },
      { connectionId: 'none', userId: 'c', protocol: 'socket.io' },
    ];

    // Act
    const { live, expired } = splitExpired(members, NOW);

    // Assess
    expect(expired.map((member) => member.connectionId)).toEqual(['past']);
    expect(live.map((member) => member.connectionId)).toEqual(['at-exp', 'none']);
  });
});

describe('Function: tokenExpiredNotice', () => {
  it("is Socket.IO's DISCONNECT for a Socket.IO connection and the TOKEN_EXPIRED error frame for a JSON one", () => {
    // Act + Assess
    expect(tokenExpiredNotice('socket.io')).toBe('41');
    expect(JSON.parse(tokenExpiredNotice('lettera.v1'))).toEqual({
      event: 'error',
      data: { code: 'TOKEN_EXPIRED', message: 'Token expired; reconnect with a fresh token' },
    });
  });
});

describe('Function: createExpiredCloser', () => {
  it('disconnects each member with its notice and its user, and goes on past a failure', async () => {
    // Prepare
    const disconnect = vi.fn<ConnectionLink['disconnect']>().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue(undefined);
    const close = createExpiredCloser({ link: { disconnect } });

    // Act
    await close([
      { connectionId: 'a', userId: 'alice', protocol: 'lettera.v1', tokenExpiresAt: 1 },
      { connectionId: 'b', userId: 'bob', protocol: 'socket.io', tokenExpiresAt: 1 },
      { connectionId: 'c', userId: '', protocol: 'socket.io', tokenExpiresAt: 1 },
    ]);

    // Assess
    expect(disconnect).toHaveBeenCalledTimes(3);
    expect(disconnect).toHaveBeenCalledWith('a', { notify: true, notice: TOKEN_EXPIRED_FRAME, userId: 'alice' });
    expect(disconnect).toHaveBeenCalledWith('b', { notify: true, notice: '41', userId: 'bob' });
    expect(disconnect).toHaveBeenCalledWith('c', { notify: true, notice: '41' });
  });
});
