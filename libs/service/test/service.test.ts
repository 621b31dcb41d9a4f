import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Type } from 'typebox';
import { parsePrometheusText, type Sample, sampleValue } from '@meridian/telemetry/prometheus-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, HttpProblem, type Service } from '../src/index.js';
import { createTestContext, scrapeHeaders, type TestContext } from '../src/testing/index.js';

let ctx: TestContext;
let app: Service;

beforeAll(async () => {
  ctx = await createTestContext();
  // The gateway's signature is internal-auth.test.ts's subject; these routes are about the rest.
  app = await createService({ config: ctx.config('signals'), internalAuth: false });
  app.get('/things/:id', {
    schema: {
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      querystring: Type.Object({ size: Type.Integer({ minimum: 1, maximum: 100 }), order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])) }),
    },
  }, async (request) => ({ id: request.params.id, items: Array.from({ length: request.query.size }, (_, i) => `item-number-${i}-padding-padding`) }));
  app.get('/boom', async () => {
    throw new Error('secret database password in this message');
  });
  app.get('/teapot', async () => {
    throw new HttpProblem(418, 'teapot', 'I am a teapot.', { hint: 'use coffee' });
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

describe('health', () => {
  it('answers live and ready with both dependencies reported to the scrapers', async () => {
    expect((await app.inject('/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/health/ready', headers: scrapeHeaders(app.config) });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', service: 'signals', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('tells anyone else only whether it is ready, and keeps /metrics from them', async () => {
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', service: 'signals' });
    expect((await app.inject({ url: '/health/ready', headers: { authorization: 'Bearer wrong' } })).json()).not.toHaveProperty('checks');
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(401);
    expect(metrics.headers['content-type']).toContain('application/problem+json');
    expect(metrics.body).not.toContain('nodejs_');
    expect((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
  });

  it('is 503 and names Redis when Redis is unreachable', async () => {
    const broken = await createService({ config: ctx.config('signals', { REDIS_URL: 'redis://127.0.0.1:1' }) });
    try {
      const ready = await broken.inject({ url: '/health/ready', headers: scrapeHeaders(broken.config) });
      expect(ready.statusCode).toBe(503);
      const body = ready.json();
      expect(body.status).toBe('unavailable');
      expect(body.checks.redis.status).toBe('down');
      expect(body.checks.redis.error).toEqual(expect.any(String));
      expect(body.checks.postgres.status).toBe('up');
    } finally {
      await broken.close();
    }
  });

  it('is 503 and names Postgres when Postgres is unreachable', async () => {
    const broken = await createService({ config: ctx.config('signals', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }) });
    try {
      const ready = await broken.inject({ url: '/health/ready', headers: scrapeHeaders(broken.config) });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toMatchObject({ postgres: { status: 'down' }, redis: { status: 'up' } });
    } finally {
      await broken.close();
    }
  });
});

describe('errors are problem+json', () => {
  it('lists the fields at fault on a validation failure', async () => {
    const res = await app.inject('/things/1?size=abc&order=sideways');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ type: '/problems/validation', title: 'Bad Request', status: 400, instance: '/things/1?size=abc&order=sideways' });
    expect(body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['querystring.size', 'querystring.order']));
    expect(body.detail).toContain('querystring.size');
    expect((await app.inject('/things/0?size=1')).json().errors).toEqual([{ field: 'params.id', message: expect.any(String) }]);
  });

  it('names a missing required query field', async () => {
    const body = (await app.inject('/things/3')).json();
    expect(body.errors).toEqual([{ field: 'querystring.size', message: expect.stringContaining('size') }]);
  });

  it('answers an unknown route with 404', async () => {
    const res = await app.inject('/nope?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, type: '/problems/not-found', detail: 'No route GET /nope.' });
  });

  it('hides the message and stack of an unexpected error', async () => {
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toMatchObject({ status: 500, type: '/problems/internal', requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('secret');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('lets a handler choose the status, type and extra members', async () => {
    const res = await app.inject('/teapot');
    expect(res.statusCode).toBe(418);
    expect(res.json()).toMatchObject({ type: '/problems/teapot', detail: 'I am a teapot.', hint: 'use coffee' });
  });

  it('rejects malformed JSON with 400, not 500', async () => {
    app.log.level = 'silent';
    const res = await app.inject({ method: 'POST', url: '/nothing-here', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(res.statusCode).toBeLessThan(500);
  });
});

describe('responses', () => {
  it('compresses bodies over 1 KiB with br or gzip, as the client accepts', async () => {
    const br = await app.inject({ url: '/things/1?size=100', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString()).items).toHaveLength(100);

    const gzip = await app.inject({ url: '/things/1?size=100', headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.rawPayload).toString()).items).toHaveLength(100);
  });

  it('leaves small bodies and clients that accept nothing uncompressed', async () => {
    const small = await app.inject({ url: '/things/1?size=2', headers: { 'accept-encoding': 'br, gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    const plain = await app.inject({ url: '/things/1?size=100' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json().items).toHaveLength(100);
  });

  it('carries a request id (echoing a sane incoming one) and a Server-Timing entry', async () => {
    const res = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['server-timing']).toMatch(/^signals;dur=\d+\.\d{2}$/);
    const fresh = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics: requests per route template, pools, cache, runtime', async () => {
    const before = parsePrometheusText((await app.inject({ url: '/metrics', headers: scrapeHeaders(app.config) })).body);
    const count = (samples: Sample[]) => sampleValue(samples, 'http_server_request_duration_seconds_count', { route: '/things/:id', method: 'GET', status_class: '2xx' }) ?? 0;
    for (const id of [1, 2, 3]) expect((await app.inject(`/things/${id}?size=1`)).statusCode).toBe(200);
    await app.inject('/no/such/route');
    const res = await app.inject({ url: '/metrics', headers: scrapeHeaders(app.config) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const after = parsePrometheusText(res.body);
    expect(count(after) - count(before)).toBe(3);
    // Unknown URLs share one label value, so scanners cannot blow up the series count.
    expect(sampleValue(after, 'http_server_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
    expect(after.some((s) => s.labels.route?.startsWith('/no/'))).toBe(false);
    expect(sampleValue(after, 'pg_pool_connections', { pool: 'write', state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'cache_l2_state', { measure: 'breaker_open' })).toBe(0);
    expect(sampleValue(after, 'nodejs_eventloop_utilization_ratio')).toBeGreaterThanOrEqual(0);
    expect(after.every((s) => s.labels.service === 'signals')).toBe(true);
  });

  it('publishes an OpenAPI document of its routes', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/things/{id}', '/health/ready']));
  });
});
