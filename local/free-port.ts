import { createServer } from 'node:net';

/**
 * Asks the OS for a free TCP port on the loopback interface. Used for
 * DynamoDB Local, which cannot report the port it picked for `-port 0`.
 *
 * @example
 * const port = await findFreePort();
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
