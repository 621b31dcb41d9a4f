import { connect, type Socket } from 'node:net';
import type { Service } from '@meridian/service';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import { createTestContext, scrapeHeaders, signedHeaders, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { caller, csvOf, dailyBars } from './helpers.js';
import { subscribe } from './live-client.js';

let ctx: TestContext;
let app: Service;
let base: string;
const sockets: Socket[] = [];
const CAP = 131_072;

beforeAll(async () => {
  ctx = await createTestContext();
  app = await buildApp({ config: ctx.config('signals', { LIVE_BUFFER_BYTES: String(CAP), LIVE_RETENTION: '100000', LIVE_HEARTBEAT_MS: '200', LOG_LEVEL: 'warn' }) });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  expect((await caller(app)('POST', '/v1/instruments', { payload: { symbol: 'SLOW', name: 'SLOW' } })).statusCode).toBe(201);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await app?.close();
  await ctx?.cleanup();
});

/** A client that sends the request and then reads nothing until told to. */
function stalledClient(path: string): { socket: Socket; readAll: () => Promise<string> } {
  const { port } = new URL(base);
  const socket = connect(Number(port), '127.0.0.1');
  sockets.push(socket);
  const headers = Object.entries(signedHeaders(app.config, 'GET', path)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`);
  socket.pause();
  return {
    socket,
    readAll: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk)).once('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).once('error', reject);
        socket.resume();
      }),
  };
}

const metric = async (name: string): Promise<number> => {
  const text = (await app.inject({ method: 'GET', url: '/metrics', headers: scrapeHeaders(app.config) })).body;
  return sampleValue(parsePrometheusText(text), name) ?? NaN;
};

it('cuts off a client that stops reading once it is a buffer cap behind, while the others keep receiving, and lets it resume', async () => {
  const path = '/v1/live?symbols=SLOW';
  const slow = stalledClient(path);
  const fast = subscribe(base, path, app.config);
  await fast.until(() => fast.events.some((e) => e.event === 'heartbeat'));
  await expect.poll(() => metric('event_stream_clients')).toBe(2);

  // Uploads of 2,000 bars (about 600 KB of events each) until the kernel's buffers are full and
  // the slow client's backlog passes the cap.
  const bars = dailyBars(2_000 * 12, 5, Date.UTC(1950, 0, 1));
  let sent = 0;
  while ((await metric('event_stream_clients_cut_off_total')) === 0) {
    expect(sent, 'the slow client was never cut off').toBeLessThan(bars.length);
    const chunk = bars.slice(sent, sent + 2_000);
    expect((await caller(app)('POST', '/v1/bars?symbol=SLOW', { payload: csvOf(chunk), headers: { 'content-type': 'text/csv' } })).statusCode).toBe(200);
    sent += chunk.length;
    await fast.until(() => fast.bars().length === sent, 20_000);
  }
  expect(await metric('event_stream_clients')).toBe(1);

  // The fast client has every bar, once, in order.
  expect(fast.bars().map((e) => e.data.ts)).toEqual(bars.slice(0, sent).map((b) => new Date(b.ts).toISOString()));

  // The slow client, reading at last, finds part of the bars, then an error event, then the end.
  const text = await slow.readAll();
  expect(text.startsWith('HTTP/1.1 200')).toBe(true);
  const events = text.split('\n\n').filter((block) => block.includes('event: '));
  const last = events.at(-1) as string;
  expect(last).toContain('event: error');
  expect(last).toContain('Last-Event-ID');
  const got = events.filter((block) => block.includes('event: bar'));
  expect(got.length).toBeGreaterThan(0);
  expect(got.length).toBeLessThan(sent);
  expect(got.map((block) => (JSON.parse(block.slice(block.indexOf('data: ') + 6).split('\n')[0] as string) as { ts: string }).ts)).toEqual(
    bars.slice(0, got.length).map((b) => new Date(b.ts).toISOString()),
  );

  // Resuming from its last event brings exactly the rest.
  const lastId = /^id: (.+)$/m.exec(got.at(-1) as string)?.[1] as string;
  const back = subscribe(base, path, app.config, { 'last-event-id': lastId });
  await back.until(() => back.bars().length === sent - got.length, 20_000);
  expect(back.bars().map((e) => e.data.ts)).toEqual(bars.slice(got.length, sent).map((b) => new Date(b.ts).toISOString()));
  await Promise.all([fast.close(), back.close()]);
}, 120_000);
