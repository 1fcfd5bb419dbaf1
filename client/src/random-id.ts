/**
 * 16 random hex characters; crypto.getRandomValues works in insecure browser contexts too.
 *
 * @example
 * const connectionId = randomId(); // e.g. '9f86d081884c7d65'
 */
export function randomId(): string {
  const bytes = new Uint8Array(8);
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
