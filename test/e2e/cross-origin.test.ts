/**
 * Cross-origin local development (issue 12 item 4): a page served by a
 * frontend's own dev server (a second port, a plain node http server here)
 * loads /lettera-client.js from `npm start`'s runtime, connects, calls the
 * HTTP API (with its CORS preflight, answered by the emulated gateway) and
 * receives the event, when the runtime was started with `--origin`; a page
 * from another origin gets nothing through.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CHAT } from '../../local/seed';
import { startTestRuntime, upgradeStatus, type LocalRuntime } from '../helpers/local-runtime';
import { launchBrowser, skipReason } from './browser';

/** What the page managed to do; each step is tried on its own. */
interface PageReport {
  bundle: string;
  token?: string;
  connected?: boolean;
  postStatus?: number;
  received?: string;
  errors: string[];
}

/**
 * The page: every step the app would take, each recording its outcome.
 * `config.token` is signed by the test, so the WebSocket step checks the
 * Origin check alone even when /dev/token is out of reach.
 */
function pageHtml(config: { httpUrl: string; wsUrl: string; chatId: string; token: string }): string {
  return `<!doctype html><meta charset="utf-8"><title>dev server</title>
<script type="module">
const config = ${JSON.stringify(config)};
const report = { bundle: 'not loaded', errors: [] };
const step = async (name, run) => { try { return await run(); } catch (err) { report.errors.push(name + ': ' + (err && err.message || err)); } };
window.report = (async () => {
  const client = await step('bundle', () => import(config.httpUrl + '/lettera-client.js'));
  if (client) report.bundle = typeof client.connect;
  const minted = await step('token', async () => {
    const res = await fetch(config.httpUrl + '/dev/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'bob' }) });
    return (await res.json()).token;
  });
  if (minted) report.token = 'minted';
  await step('websocket', () => new Promise((resolve, reject) => {
    const ws = new WebSocket(config.wsUrl, ['lettera.v1', config.token]);
    ws.onopen = () => { report.connected = true; ws.close(); resolve(); };
    ws.onerror = () => reject(new Error('upgrade refused'));
  }));
  if (client) {
    await step('client', async () => {
      const socket = client.connect(config.wsUrl, { auth: { token: config.token }, reconnection: false });
      await new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject); });
      const received = new Promise((resolve) => socket.on('message:new', (message) => resolve(message)));
      const res = await fetch(config.httpUrl + '/chats/' + config.chatId + '/messages', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + config.token, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'from the dev server' }),
      });
      report.postStatus = res.status;
      report.received = (await received).content;
      socket.disconnect();
    });
  }
  await step('http', async () => {
    const res = await fetch(config.httpUrl + '/chats', { headers: { authorization: 'Bearer ' + config.token } });
    if (report.postStatus === undefined) report.postStatus = res.status;
  });
  return report;
})();
</script>`;
}

/** A plain dev server that serves the page at / on a port of its own. */
async function startDevServer(html: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url !== '/') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(skipReason !== undefined)('Cross-origin local development in Chromium', () => {
  let runtime: LocalRuntime;
  let browser: Browser;
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  let html = '';

  beforeAll(async () => {
    allowed = await startDevServer(() => html);
    other = await startDevServer(() => html);
    runtime = await startTestRuntime({ seed: true, origins: [allowed.origin] });
    html = pageHtml({ httpUrl: runtime.httpUrl, wsUrl: runtime.wsUrl, chatId: DEMO_CHAT.chatId, token: await runtime.token('alice') });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    allowed?.server.close();
    other?.server.close();
  });

  const visit = async (origin: string): Promise<PageReport> => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      return (await page.evaluate(() => (window as unknown as { report: Promise<PageReport> }).report)) as PageReport;
    } finally {
      await context.close();
    }
  };

  it('lets the --origin page load the client, mint a token, connect, post through a preflight and receive the event', async () => {
    // Act
    const report = await visit(allowed.origin);

    // Assess
    expect(report.errors).toEqual([]);
    expect(report).toMatchObject({ bundle: 'function', token: 'minted', connected: true, postStatus: 201, received: 'from the dev server' });
  });

  it('gives a page from any other origin nothing: no client, no API, no WebSocket', async () => {
    // Act
    const report = await visit(other.origin);
    const upgrade = await upgradeStatus(runtime.wsUrl, { token: await runtime.token('alice'), headers: { Origin: other.origin } });

    // Assess
    expect(report.bundle).toBe('not loaded');
    expect(report.token).toBeUndefined();
    expect(report.connected).toBeUndefined();
    expect(report.postStatus).toBeUndefined();
    expect(report.errors.map((error) => error.split(':')[0])).toEqual(['bundle', 'token', 'websocket', 'http']);
    expect(upgrade).toBe(403);
  });
});
