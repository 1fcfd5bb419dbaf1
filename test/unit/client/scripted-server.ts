/**
 * A scripted WebSocket server speaking the JSON protocol (v1) for client
 * unit tests: a real `ws` WebSocketServer on a free port that records every
 * handshake and frame and lets a test answer, push events or drop the line.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ClientFrameSeen {
  action: string;
  data?: unknown;
  ackId?: number | string;
}

export class ServerConnection {
  readonly frames: ClientFrameSeen[] = [];
  closed = false;
  readonly #waiters: (() => void)[] = [];

  constructor(
    readonly ws: WebSocket,
    readonly protocols: string[],
    readonly url: string,
  ) {
    ws.on('message', (raw) => {
      this.frames.push(JSON.parse(String(raw)) as ClientFrameSeen);
      for (const w of this.#waiters.splice(0)) w();
    });
    ws.on('close', () => {
      this.closed = true;
    });
  }

  /** Resolves with the first frame (seen or future) matching `match`. */
  async frame(match: (f: ClientFrameSeen) => boolean = () => true): Promise<ClientFrameSeen> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Pushes a broadcast envelope; message events carry their chat position `seq`. */
  event(event: string, data: unknown, id: string, seq?: number): void {
    this.send({ event, data, id, ...(seq === undefined ? {} : { seq }), ts: Date.now() });
  }

  ack(ackId: number | string | undefined, data: unknown): void {
    this.send({ event: 'ack', ackId, data });
  }
}

export interface ScriptedServerOptions {
  /** Return false (or an HTTP status) to refuse an upgrade. */
  accept?: (req: IncomingMessage) => boolean | number;
}

export class ScriptedServer {
  readonly connections: ServerConnection[] = [];
  /** Every handshake attempt, accepted or not. */
  readonly handshakes: { protocols: string[]; url: string }[] = [];
  accept: ScriptedServerOptions['accept'];
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #waiters: (() => void)[] = [];

  private constructor(options: ScriptedServerOptions) {
    this.accept = options.accept;
    this.#http = createServer();
    this.#wss = new WebSocketServer({
      server: this.#http,
      // Echo lettera.v1 only, as the real $connect does.
      handleProtocols: (protocols) => (protocols.has('lettera.v1') ? 'lettera.v1' : false),
      verifyClient: (info, cb) => {
        this.handshakes.push({ protocols: protocolsOf(info.req), url: info.req.url ?? '' });
        const verdict = this.accept?.(info.req) ?? true;
        if (verdict === true) cb(true);
        else cb(false, typeof verdict === 'number' ? verdict : 401);
      },
    });
    this.#wss.on('connection', (ws, req) => {
      this.connections.push(new ServerConnection(ws, protocolsOf(req), req.url ?? ''));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async start(options: ScriptedServerOptions = {}): Promise<ScriptedServer> {
    const server = new ScriptedServer(options);
    await new Promise<void>((resolve) => server.#http.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}/local`;
  }

  /** Resolves with the n-th accepted connection (0-based), waiting for it if needed. */
  async connection(n: number): Promise<ServerConnection> {
    for (;;) {
      const found = this.connections[n];
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }
}

function protocolsOf(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}
