import { describe, expect, it } from 'vitest';
import { acceptedResult, isOriginAllowed, parseConnectRequest } from '../../../../../lambdas/adapters/api-gateway/connect-request';
import { createConnectEvent } from '../../../../helpers/events';

describe('Function: parseConnectRequest', () => {
  it('reads connection id, origin, token, offer and query', () => {
    // Prepare
    const event = createConnectEvent({
      headers: { origin: 'https://app.example.com', 'Sec-WebSocket-Protocol': 'lettera.v1, t.o.k' },
      queryStringParameters: { EIO: '4', transport: 'websocket' },
    });

    // Act
    const request = parseConnectRequest(event);

    // Assess
    expect(request).toMatchObject({ connectionId: 'conn-1=', origin: 'https://app.example.com', token: 't.o.k', offeredSubprotocol: true, query: { EIO: '4' } });
    expect(acceptedResult(request)).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'lettera.v1' } });
  });
});

describe('Function: isOriginAllowed', () => {
  it('matches the allowed origin exactly and lets clients without Origin through', () => {
    // Act + Assess
    expect(isOriginAllowed('https://app.example.com', 'https://app.example.com/')).toBe(true);
    expect(isOriginAllowed('https://app.example.com.evil.com', 'https://app.example.com')).toBe(false);
    expect(isOriginAllowed('http://app.example.com', 'https://app.example.com')).toBe(false);
    expect(isOriginAllowed(undefined, 'https://app.example.com')).toBe(true);
    expect(isOriginAllowed('https://any.example', undefined)).toBe(true);
  });

  it('accepts any origin of a comma-separated list, exactly', () => {
    // Prepare
    const allowed = 'http://127.0.0.1:3000, http://localhost:5173/';

    // Act + Assess
    expect(isOriginAllowed('http://localhost:5173', allowed)).toBe(true);
    expect(isOriginAllowed('http://127.0.0.1:3000', allowed)).toBe(true);
    expect(isOriginAllowed('http://localhost:5174', allowed)).toBe(false);
    expect(isOriginAllowed('http://localhost', allowed)).toBe(false);
  });
});
