import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body, or resolves undefined as soon as it passes `limit`
 * bytes (a declared Content-Length over it is refused before reading).
 * Shared by the local servers' size limits (HTTP API, @connections, /_local).
 *
 * @example
 * const body = await readBodyUpTo(req, 131_072);
 * if (body === undefined) return tooLarge(res);
 */
export async function readBodyUpTo(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
