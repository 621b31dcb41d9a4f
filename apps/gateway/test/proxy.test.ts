import { EventEmitter, once } from 'node:events';
import { connect } from 'node:net';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Service } from '@meridian/service';
import { bodyDigest, INTERNAL_HEADER, verifyInternal } from '@meridian/service';
import { createTestContext, freePort, scrapeHeaders, type TestContext } from '@meridian/service/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { bearer, createKey } from './keys.js';

let ctx: TestContext;
let gateway: Service;
let gatewayUrl: string;
let signals: FastifyInstance;
let backtestPort: number;
let key: string;
let prefix: string;
const seen: { headers: Record<string, unknown>; verified: unknown }[] = [];

const MB = 1_048_576;

/**
 * `count` MiB of NDJSON-looking bytes, produced lazily so only the consumer's pace matters;
 * `produced.bytes` counts what has been handed out so far.
 */
function* megabytes(count: number, produced = { bytes: 0 }): Generator<Buffer> {
  const line = Buffer.from(`${JSON.stringify({ ts: '2020-01-02T14:30:00.000Z', open: 1, high: 2, low: 0.5, close: 1.5 }).padEnd(127)}\n`);
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i += line.length) line.copy(chunk, i);
  for (let i = 0; i < (count * MB) / chunk.length; i++) {
    produced.bytes += chunk.length;
    yield chunk;
  }
}

/** The most bytes ever produced and not yet consumed: what sits in sockets and buffers between the two ends. */
function inFlight() {
  const produced = { bytes: 0 };
  let consumed = 0;
  let most = 0;
  return {
    produced,
    consume(bytes: number) {
      consumed += bytes;
      most = Math.max(most, produced.bytes - consumed);
    },
    most: () => most,
  };
}
const upload = inFlight();
const download = inFlight();
/** Emits `csv` when the fake service receives bytes of an upload. */
const uploads = new EventEmitter();

/** What the fake SSE route has written, and the gate that holds its later events back until opened. */
let openSseGate: () => void = () => undefined;
let liveOpen = 0;
const sse = { written: 0, gate: new Promise<void>((resolve) => (openSseGate = resolve)) };

function fakeService(secret: string): FastifyInstance {
  const app = Fastify();
  app.addContentTypeParser('text/csv', (_req, payload, done) => {
    let bytes = 0;
    payload.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      upload.consume(chunk.length);
      uploads.emit('csv');
    });
    payload.on('end', () => done(null, bytes));
  });
  app.addHook('onRequest', async (request) => {
    seen.push({ headers: request.headers, verified: verifyInternal(secret, request.method, request.url, request.headers[INTERNAL_HEADER] as string)?.caller });
  });
  app.get('/health/ready', async () => ({ status: 'ready', checks: {} }));
  app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: {} }));
  app.get('/v1/instruments', async (request, reply) => {
    reply.header('server-timing', 'signals;dur=1.25');
    return { from: 'signals', query: request.query };
  });
  app.get('/v1/strategies', async () => ({ from: 'backtest' }));
  app.post('/v1/monitor/echo', async (request) => ({ got: request.body, signedBody: verifyInternal(secret, request.method, request.url, request.headers[INTERNAL_HEADER] as string)?.body }));
  // A job's progress stream: the first event, then the rest only once the test lets it go on.
  app.get('/v1/jobs/j1/events', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (n: number) => `id: ${n}\nevent: ${n === 3 ? 'completed' : 'progress'}\ndata: {"progress":${n * 33}}\n\n`;
    reply.raw.write(event(1));
    sse.written = 1;
    void sse.gate.then(() => {
      reply.raw.write(event(2));
      reply.raw.end(event(3));
      sse.written = 3;
    });
  });
  // A live stream that stays open until the client leaves.
  app.get('/v1/live', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    reply.raw.write('event: heartbeat\ndata: {}\n\n');
    liveOpen += 1;
    reply.raw.on('close', () => (liveOpen -= 1));
  });
  app.post('/v1/bars', async (request, reply) => reply.code(201).send({ received: request.body }));
  app.get<{ Querystring: { mb?: string } }>('/v1/bars/stream', async (request, reply) => {
    reply.header('content-type', 'application/x-ndjson');
    if (request.query.mb) return reply.send(Readable.from(megabytes(Number(request.query.mb), download.produced)));
    return Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i })).join('\n');
  });
  return app;
}

beforeAll(async () => {
  ctx = await createTestContext();
  signals = fakeService(ctx.config('gateway').internalSecret);
  const signalsUrl = await signals.listen({ host: '127.0.0.1', port: 0 });
  backtestPort = await freePort();
  gateway = await buildApp({
    config: ctx.config('gateway', {
      SIGNALS_URL: signalsUrl,
      BACKTEST_URL: `http://127.0.0.1:${backtestPort}`,
      MONITOR_URL: signalsUrl,
      BODY_LIMIT_BYTES: '4096',
    }),
  });
  gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  ({ key, prefix } = await createKey(ctx, 'acme', ['read', 'write', 'admin']));
});

afterAll(async () => {
  await gateway.close();
  await signals.close();
  await ctx.cleanup();
});

describe('the gateway proxy', () => {
  it('streams Server-Sent Events through as they are sent, not when the stream ends', async () => {
    const res = await fetch(`${gatewayUrl}/v1/jobs/j1/events`, { headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    // The first event arrives while the service holds the others back: a gateway that waited
    // for the end of the stream would never deliver it, and this read would not return.
    while (!text.includes('id: 1')) text += decoder.decode((await reader.read()).value);
    expect(sse.written).toBe(1);
    openSseGate();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
    expect(text.match(/^id: \d+$/gm)).toEqual(['id: 1', 'id: 2', 'id: 3']);
    expect(text).toContain('event: completed');
  });

  it('keeps serving short requests while more live streams are open than its pooled connections, and lets each go when its client leaves', async () => {
    const streams = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const req = httpRequest(`${gatewayUrl}/v1/live?symbols=SPX`, { headers: bearer(key) });
        req.end();
        const [res] = (await once(req, 'response')) as [IncomingMessage];
        const [first] = (await once(res, 'data')) as [Buffer];
        return { status: res.statusCode, first: first.toString(), req };
      }),
    );
    expect(streams.map((s) => s.status)).toEqual(Array(100).fill(200));
    expect(streams.every((s) => s.first.includes('event: heartbeat'))).toBe(true);
    expect(liveOpen).toBe(100);
    const res = await fetch(`${gatewayUrl}/v1/instruments`, { headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ from: 'signals' });
    for (const s of streams) s.req.destroy();
    await expect.poll(() => liveOpen, { timeout: 5_000 }).toBe(0);
  });

  it('compresses an answer the service sent uncompressed, when the client accepts it', async () => {
    const res = await new Promise<{ encoding: string | undefined; bytes: number }>((resolve, reject) => {
      const req = httpRequest(`${gatewayUrl}/v1/bars/stream`, { headers: { ...bearer(key), 'accept-encoding': 'gzip' } }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve({ encoding: response.headers['content-encoding'], bytes }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.encoding).toBe('gzip');
    // 1,000 NDJSON lines of about 10 characters each, far smaller once compressed.
    expect(res.bytes).toBeLessThan(4_000);
  });

  it('passes the W3C trace context on to the service', async () => {
    seen.length = 0;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await fetch(`${gatewayUrl}/v1/instruments`, { headers: { ...bearer(key), traceparent, tracestate: 'meridian=1' } });
    expect(res.status).toBe(200);
    // The same trace (its id is the second field); the parent may be a span of the gateway's own.
    expect(String(seen[0]?.headers.traceparent).split('-')[1]).toBe(traceparent.split('-')[1]);
    expect(seen[0]?.headers.tracestate).toBe('meridian=1');
  });

  it("forwards a GET with its query and signs the key's tenant for the service", async () => {
    seen.length = 0;
    const res = await fetch(`${gatewayUrl}/v1/instruments?limit=5`, { headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ from: 'signals', query: { limit: '5' } });
    expect(seen[0]?.verified).toEqual({ tenant: 'acme', keyId: prefix });
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(res.headers.get('x-request-id')).toBe(seen[0]?.headers['x-request-id']);
    expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=[\d.]+, signals;dur=1\.25$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('accepts the key in X-API-Key too', async () => {
    expect((await fetch(`${gatewayUrl}/v1/instruments`, { headers: { 'x-api-key': key } })).status).toBe(200);
  });

  it('strips client-sent internal headers instead of passing them on', async () => {
    seen.length = 0;
    await fetch(`${gatewayUrl}/v1/instruments`, { headers: { ...bearer(key), [INTERNAL_HEADER]: 'v1;t=0;tenant=evil;key=x;sig=00' } });
    expect(String(seen[0]?.headers[INTERNAL_HEADER])).not.toContain('evil');
    expect(seen[0]?.verified).toEqual({ tenant: 'acme', keyId: prefix });
  });

  it('streams an upload to the service and the service status back', async () => {
    const body = 'date,open,high,low,close\n'.repeat(50_000);
    const res = await fetch(`${gatewayUrl}/v1/bars?symbol=X`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'text/csv' }, body });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ received: Buffer.byteLength(body) });
  });

  it('refuses a body over the limit on a route that does not take uploads', async () => {
    const res = await fetch(`${gatewayUrl}/v1/instruments`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect((await res.json()) as object).toMatchObject({ type: '/problems/body-too-large' });
  });

  it('passes a download through whole', async () => {
    const res = await fetch(`${gatewayUrl}/v1/bars/stream`, { headers: bearer(key) });
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect((await res.text()).split('\n')).toHaveLength(1000);
  });

  it('answers 404 problem+json for a path no service owns', async () => {
    const res = await fetch(`${gatewayUrl}/v1/nothing`, { headers: bearer(key) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/not-found');
  });
});

describe('streaming through the gateway', () => {
  const SIZE_MB = 128;

  it(`streams a ${SIZE_MB} MiB upload and a ${SIZE_MB} MiB download without holding either body`, async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${gatewayUrl}/v1/bars?symbol=SPX`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'text/csv' } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      pipeline(Readable.from(megabytes(SIZE_MB, upload.produced)), req).catch(reject);
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ received: SIZE_MB * MB });

    // Uncompressed, so that the bytes counted at both ends are the same bytes.
    const streamed = await fetch(`${gatewayUrl}/v1/bars/stream?mb=${SIZE_MB}`, { headers: { ...bearer(key), 'accept-encoding': 'identity' } });
    expect(streamed.status).toBe(200);
    for await (const chunk of streamed.body as unknown as AsyncIterable<Uint8Array>) download.consume(chunk.length);
    expect(download.produced.bytes).toBe(SIZE_MB * MB);

    // A gateway that held a body would let one end run the whole body ahead of the other; what
    // is in flight stays within socket and stream buffers, a few MiB.
    expect(upload.most()).toBeLessThan((SIZE_MB * MB) / 4);
    expect(download.most()).toBeLessThan((SIZE_MB * MB) / 4);
  });
});

describe('an upstream that is down', () => {
  it('gets 503 problem+json naming it, stops trying while the circuit is open, and recovers by itself when it returns', async () => {
    const details: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${gatewayUrl}/v1/strategies`, { headers: bearer(key) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { detail: string };
      expect(body).toMatchObject({ status: 503, service: 'backtest', type: '/problems/upstream-unavailable' });
      details.push(body.detail);
    }
    // Refused connections until the breaker opens (three in a row, however many earlier tests
    // made), then answers without trying the service at all.
    const opened = details.findIndex((d) => d.includes('circuit open'));
    expect(opened).toBeGreaterThanOrEqual(0);
    expect(opened).toBeLessThanOrEqual(3);
    expect(details.slice(0, opened).every((d) => d.includes('ECONNREFUSED'))).toBe(true);
    expect(details.slice(opened).every((d) => d.includes('circuit open'))).toBe(true);

    const backtest = fakeService(ctx.config('gateway').internalSecret);
    await backtest.listen({ host: '127.0.0.1', port: backtestPort });
    try {
      await expect
        .poll(async () => (await fetch(`${gatewayUrl}/v1/strategies`, { headers: bearer(key) })).status, { timeout: 5_000, interval: 200 })
        .toBe(200);
    } finally {
      await backtest.close();
    }
  });
});

describe('the body the gateway signs', () => {
  it('is the digest of a small body, read whole, so that the service takes only that body', async () => {
    const body = JSON.stringify({ name: 'momentum', spec: { rule: 'ma-cross' } });
    const res = await fetch(`${gatewayUrl}/v1/monitor/echo`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: JSON.parse(body), signedBody: bodyDigest(body) });
  });

  it('is a stream for an upload, which passes through without being held', async () => {
    seen.length = 0;
    const res = await fetch(`${gatewayUrl}/v1/bars?symbol=X`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect(res.status).toBe(201);
    expect(seen[0]?.headers[INTERNAL_HEADER]).toContain(';d=stream;');
  });

  it("answers a client's Expect: 100-continue itself and forwards the body", async () => {
    const { hostname, port } = new URL(gatewayUrl);
    const socket = connect(Number(port), hostname);
    const body = '{"name":"x"}';
    socket.write(`POST /v1/monitor/echo HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n`);
    let response = '';
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString();
      if (response.startsWith('HTTP/1.1 100') && !response.includes('200')) socket.write(body);
    });
    await once(socket, 'end');
    expect(response).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(response).toContain('HTTP/1.1 200');
    expect(response).toContain('"got":{"name":"x"}');
  });
});

describe('a client that aborts its upload', () => {
  it('does not open the circuit breaker, however often it does so', async () => {
    const { hostname, port } = new URL(gatewayUrl);
    for (let i = 0; i < 6; i++) {
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      const forwarded = once(uploads, 'csv');
      socket.write(`POST /v1/bars?symbol=SPX HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: text/csv\r\ncontent-length: 100000\r\n\r\n0123456789`);
      // Aborted only once the gateway has opened the upstream request and passed the bytes on.
      await forwarded;
      socket.destroy();
      await once(socket, 'close');
    }
    const res = await fetch(`${gatewayUrl}/v1/instruments`, { headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ from: 'signals' });
  });
});

describe('GET /health', () => {
  it('reports every service, 503 while one is down', async () => {
    const bare = await fetch(`${gatewayUrl}/health`);
    expect(bare.status).toBe(503);
    // Which service is down, and where it lives, is for the scrapers' token only.
    expect(await bare.json()).toEqual({ status: 'degraded' });
    const res = await fetch(`${gatewayUrl}/health`, { headers: scrapeHeaders(ctx.config('gateway')) });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { services: { name: string; status: string }[] };
    expect(body.services.map((s) => [s.name, s.status])).toEqual([
      ['signals', 'ready'],
      ['backtest', 'unreachable'],
      ['monitor', 'ready'],
    ]);
  });
});
