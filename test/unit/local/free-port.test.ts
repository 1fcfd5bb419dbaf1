import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findFreePort } from '../../../local/free-port';

describe('Function: findFreePort', () => {
  it('returns a port that can then be listened on', async () => {
    // Act
    const port = await findFreePort();

    // Assess
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects when the host cannot be bound', async () => {
    // Act + Assess (TEST-NET-1 is never a local address)
    await expect(findFreePort('192.0.2.1')).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });
});
