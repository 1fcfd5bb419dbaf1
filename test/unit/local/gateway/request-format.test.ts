import { describe, expect, it } from 'vitest';
import { disconnectEvent, formatRequestTime, newConnectionId } from '../../../../local/gateway/request-format';

describe('Function: request-format', () => {
  it('formats requestTime like API Gateway', () => {
    // Act
    const formatted = formatRequestTime(Date.UTC(2024, 1, 9, 18, 23, 28));

    // Assess
    expect(formatted).toBe('09/Feb/2024:18:23:28 +0000');
  });

  it('makes 16-character base64 connection ids ending in =', () => {
    // Act
    const ids = Array.from({ length: 20 }, newConnectionId);

    // Assess
    expect(ids.every((id) => /^[A-Za-z0-9+/]{15}=$/.test(id))).toBe(true);
  });

  it('names a missing close status in disconnectReason', () => {
    // Act
    const event = disconnectEvent({ stage: 'local', domainName: 'localhost:1', apiId: 'a' }, { connectionId: 'c', connectedAt: 1, identity: { sourceIp: '127.0.0.1' } }, 1005, '');

    // Assess
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 1005, disconnectReason: 'Client-side close frame status not set', eventType: 'DISCONNECT' });
  });
});
