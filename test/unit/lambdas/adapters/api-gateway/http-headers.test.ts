import { afterEach, describe, expect, it, vi } from 'vitest';
import { bearerToken, extractToken } from '../../../../../lambdas/adapters/api-gateway/http-headers';

describe('Function: extractToken', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes the token from the subprotocol list and notes the offer', () => {
    // Act
    const result = extractToken({ 'sec-websocket-protocol': 'lettera.v1, abc.def.ghi' }, undefined);

    // Assess
    expect(result).toEqual({ token: 'abc.def.ghi', offeredSubprotocol: true });
  });

  it('takes the token from ?token= and reports no offer', () => {
    // Act
    const result = extractToken({ Host: 'x' }, { token: 'abc.def.ghi' });

    // Assess
    expect(result).toEqual({ token: 'abc.def.ghi', offeredSubprotocol: false });
  });

  it('ignores a subprotocol list without lettera.v1', () => {
    // Act
    const result = extractToken({ 'Sec-WebSocket-Protocol': 'chat, abc.def.ghi' }, undefined);

    // Assess
    expect(result).toEqual({ offeredSubprotocol: false });
  });
});

describe('Function: bearerToken', () => {
  it('reads Authorization: Bearer in any case and refuses other schemes', () => {
    // Act + Assess
    expect(bearerToken({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(bearerToken({ Authorization: 'bearer abc' })).toBe('abc');
    expect(bearerToken({ authorization: 'Basic YWxpY2U6cHc=' })).toBeUndefined();
    expect(bearerToken({})).toBeUndefined();
  });
});
