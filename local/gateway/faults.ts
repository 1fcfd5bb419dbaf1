/**
 * Fault injection for tests and demos (local runtime only; nothing in
 * lambdas/ or lib/ can reach it): PostToConnection calls to chosen
 * connections fail with 429 or 500, or are answered late, as API Gateway's
 * @connections API sometimes does. Off unless configured:
 *
 * - `LOCAL_POST_FAULTS='{"<connectionId or *>": "429" | "500" | "slow:<ms>"}'` at start;
 * - `PUT /_local/faults` on the gateway's port with the same JSON replaces
 *   them while running (`{}` clears them), `GET /_local/faults` reads them.
 *
 * A connection's own entry wins over `*`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyUpTo } from '../read-body';

/** What happens to a post: refused with a status, or delivered after a delay. */
export type PostFault = { readonly kind: 'status'; readonly status: 429 | 500 } | { readonly kind: 'slow'; readonly delayMs: number };

/** Fault specs by connection id, `*` for every connection. */
export type PostFaults = ReadonlyMap<string, PostFault>;

/** Raised for a fault specification that is not understood. */
export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const MAX_DELAY_MS = 60_000;

/** Parses one spec: "429", "500" or "slow:<ms>" (0 to 60000). */
export function parsePostFault(spec: unknown): PostFault {
  if (spec === '429' || spec === 429) return { kind: 'status', status: 429 };
  if (spec === '500' || spec === 500) return { kind: 'status', status: 500 };
  const slow = typeof spec === 'string' ? /^slow:(\d{1,5})$/.exec(spec) : null;
  if (slow !== null && Number(slow[1]) <= MAX_DELAY_MS) return { kind: 'slow', delayMs: Number(slow[1]) };
  throw new FaultSpecError(`A post fault is "429", "500" or "slow:<ms>" (ms up to ${MAX_DELAY_MS}); got ${JSON.stringify(spec)}`);
}

/**
 * Parses LOCAL_POST_FAULTS (or a /_local/faults body): a JSON object of
 * connection id (or `*`) → spec. Undefined or empty: no faults.
 *
 * @example
 * parsePostFaults('{"*":"slow:200","AbC+d/eF12345g=":"429"}');
 */
export function parsePostFaults(json: string | undefined): Map<string, PostFault> {
  if (json === undefined || json.trim() === '') return new Map();
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new FaultSpecError(`Post faults must be a JSON object like {"*":"429"}; got ${JSON.stringify(json.slice(0, 80))}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FaultSpecError('Post faults must be a JSON object of connection id (or "*") to "429", "500" or "slow:<ms>"');
  }
  return new Map(Object.entries(raw).map(([id, spec]) => [id, parsePostFault(spec)]));
}

/** The fault for a post to this connection, if any. */
export function faultFor(faults: PostFaults, connectionId: string): PostFault | undefined {
  return faults.get(connectionId) ?? faults.get('*');
}

/** The error API Gateway names for each injected status. */
export const FAULT_ERROR_TYPES = { 429: 'LimitExceededException', 500: 'InternalServerErrorException' } as const;

function describe(faults: PostFaults): Record<string, string> {
  return Object.fromEntries([...faults].map(([id, fault]) => [id, fault.kind === 'slow' ? `slow:${fault.delayMs}` : String(fault.status)]));
}

/**
 * Serves `GET|PUT /_local/faults`; false for other paths. `replace` installs
 * the new set (the gateway's state holds it).
 */
export async function handleFaultsEndpoint(
  req: IncomingMessage,
  res: ServerResponse,
  current: () => PostFaults,
  replace: (faults: PostFaults) => void,
): Promise<boolean> {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/_local/faults') return false;
  const reply = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET') {
    reply(200, describe(current()));
    return true;
  }
  if (req.method !== 'PUT' && req.method !== 'POST') {
    reply(405, { message: `Method ${req.method ?? ''} not allowed` });
    return true;
  }
  const body = await readBodyUpTo(req, 64 * 1024);
  if (body === undefined) {
    reply(413, { message: 'Fault specification too large' });
    return true;
  }
  try {
    const faults = parsePostFaults(body.toString('utf8') || '{}');
    replace(faults);
    reply(200, describe(faults));
  } catch (err) {
    if (!(err instanceof FaultSpecError)) throw err;
    reply(400, { message: err.message });
  }
  return true;
}
