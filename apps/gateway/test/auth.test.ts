import { createCache, type Service } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { forgetKey } from '../src/auth/key-store.js';
import { ApiKeyRepository, createPools } from '@meridian/db';
import { bearer, createKey } from './keys.js';

let ctx: TestContext;
let gateway: Service;
let upstream: FastifyInstance;
const seenUpstream: string[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  upstream = Fastify();
  upstream.all('/v1/*', async (request) => {
    seenUpstream.push(request.url);
    return { ok: true, method: request.method };
  });
  const url = await upstream.listen({ host: '127.0.0.1', port: 0 });
  gateway = await buildApp({
    config: ctx.config('gateway', { SIGNALS_URL: url, BACKTEST_URL: url, MONITOR_URL: url, RATE_LIMIT_WRITES_PER_MINUTE: '3' }),
  });
  await gateway.ready();
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
  await ctx.cleanup();
});

const get = (url: string, headers: Record<string, string> = {}) => gateway.inject({ url, headers });

describe('API key authentication', () => {
  it('answers 401 problem+json with WWW-Authenticate when no key is sent', async () => {
    const res = await get('/v1/instruments');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toMatchObject({ type: '/problems/unauthenticated', detail: expect.stringContaining('Authorization: Bearer') });
  });

  it('answers 401 for a malformed key and for a well-formed unknown one', async () => {
    expect((await get('/v1/instruments', bearer('mk_123'))).statusCode).toBe(401);
    const { key } = await createKey(ctx, 'acme', ['read']);
    const other = `${key.slice(0, 12)}${'0'.repeat(key.length - 12)}`;
    expect((await get('/v1/instruments', bearer(other))).statusCode).toBe(401);
  });

  it('never takes a key from the query string', async () => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    const res = await get(`/v1/instruments?api_key=${key}`);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('never accepted in the query string');
  });

  it('answers 403 naming the scope when a read-only key mutates', async () => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    const allowed = await get('/v1/instruments', bearer(key));
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['www-authenticate']).toBeUndefined();
    const res = await gateway.inject({ method: 'POST', url: '/v1/strategies?dryRun=1', headers: { ...bearer(key), 'content-type': 'application/json' }, payload: '{}' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      type: '/problems/forbidden',
      requiredScope: 'write',
      detail: 'This key lacks the "write" scope needed for POST /v1/strategies.',
    });
  });

  it('needs the admin scope to change the monitor', async () => {
    const { key } = await createKey(ctx, 'acme', ['read', 'write']);
    expect((await gateway.inject({ method: 'POST', url: '/v1/monitor/alerts', headers: bearer(key) })).statusCode).toBe(403);
    const { key: admin } = await createKey(ctx, 'acme', ['read', 'admin']);
    expect((await gateway.inject({ method: 'POST', url: '/v1/monitor/alerts', headers: bearer(admin) })).statusCode).toBe(200);
  });

  it("refuses a revoked key at once on every instance, through the cache's invalidation bus", async () => {
    const { key, prefix } = await createKey(ctx, 'acme', ['read']);
    const second = await buildApp({ config: gateway.config });
    await second.ready();
    try {
      expect((await get('/v1/instruments', bearer(key))).statusCode).toBe(200);
      expect((await second.inject({ url: '/v1/instruments', headers: bearer(key) })).statusCode).toBe(200);
      const pools = createPools(gateway.config.database);
      await new ApiKeyRepository(pools.write).revoke(prefix);
      await pools.close();
      // Still cached as valid on both instances until the message arrives.
      const redis = new Redis(gateway.config.redisUrl);
      const cache = createCache(gateway.config, redis);
      expect(await forgetKey(cache, prefix)).toBe(true);
      cache.close();
      redis.disconnect();
      await expect.poll(async () => (await get('/v1/instruments', bearer(key))).statusCode).toBe(401);
      await expect.poll(async () => (await second.inject({ url: '/v1/instruments', headers: bearer(key) })).statusCode).toBe(401);
      expect((await get('/v1/instruments', bearer(key))).json().detail).toContain('revoked');
    } finally {
      await second.close();
    }
  });
});

/** A key of the right shape and checksum that was never issued. */
function wellFormedKey(prefix: string): string {
  const body = `mk_${prefix}_${'f'.repeat(40)}`;
  return `${body}${createHash('sha256').update(body).digest('hex').slice(0, 6)}`;
}

describe('how a key is presented', () => {
  it('takes Bearer in any case and with any spacing, or X-API-Key', async () => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    const presentations: Record<string, string>[] = [{ authorization: `bearer ${key}` }, { authorization: `BEARER   ${key}` }, { 'x-api-key': key }];
    for (const headers of presentations) {
      expect((await get('/v1/instruments', headers)).statusCode, JSON.stringify(Object.keys(headers))).toBe(200);
    }
  });

  it('reads only the Authorization header when it is sent, even if it is not a Bearer key', async () => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    for (const authorization of ['Basic dXNlcjpwYXNz', `Bearer ${key} extra`, 'Bearer', `Token Bearer ${key}`]) {
      const res = await get('/v1/instruments', { authorization, 'x-api-key': key });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().detail, authorization).toContain('Send an API key as Authorization: Bearer <key>');
    }
  });

  it('refuses an X-API-Key header sent twice rather than pick one', async () => {
    // Node joins the two into one value, which is no key.
    const { key } = await createKey(ctx, 'acme', ['read']);
    const res = await gateway.inject({ url: '/v1/instruments', headers: { 'x-api-key': [key, key] } });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('malformed');
  });

  it('says whether a refused key is malformed or unknown', async () => {
    expect((await get('/v1/instruments', bearer('mk_123'))).json().detail).toContain('malformed');
    const res = await get('/v1/instruments', bearer(wellFormedKey('0badc0de')));
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe('The API key is not known.');
  });

  it('refuses a key of a known prefix with another secret', async () => {
    const { key, prefix } = await createKey(ctx, 'acme', ['read']);
    expect((await get('/v1/instruments', bearer(key))).statusCode).toBe(200);
    expect((await get('/v1/instruments', bearer(wellFormedKey(prefix)))).json().detail).toBe('The API key is not known.');
  });

  it.each(['?api_key=x', '?apikey=x', '?limit=1&key=x', '?TOKEN=x'])('refuses a key-like query parameter (%s) even beside a good key', async (query) => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    const res = await get(`/v1/instruments${query}`, bearer(key));
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('never accepted in the query string');
  });

  it('takes query parameters that only end like a key name', async () => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    expect((await get('/v1/instruments?monkey=1&tokens=2', bearer(key))).statusCode).toBe(200);
  });

  it('records when a key was last used, off the request path', async () => {
    const { key, prefix } = await createKey(ctx, 'acme', ['read']);
    const second = await buildApp({ config: gateway.config });
    await second.ready();
    expect((await second.inject({ url: '/v1/instruments', headers: bearer(key) })).statusCode).toBe(200);
    const pools = createPools(gateway.config.database);
    try {
      const repository = new ApiKeyRepository(pools.write);
      expect((await repository.byPrefix(prefix))?.lastUsedAt).toBeNull();
      // Written in batches; closing the gateway writes what is pending.
      await second.close();
      expect((await repository.byPrefix(prefix))?.lastUsedAt).toBeInstanceOf(Date);
    } finally {
      await pools.close();
    }
  });
});

describe('what needs no key', () => {
  it.each(['/health', '/health/live', '/openapi.json', '/docs', '/docs/static/index.html'])('serves %s without one', async (url) => {
    expect((await get(url)).statusCode).not.toBe(401);
  });

  it.each(['/healthz', '/openapi.jsonp', '/docsx', '/v1/health', '/metricsx'])('asks for a key on %s, whose name only starts like a public path', async (url) => {
    expect((await get(url)).statusCode).toBe(401);
  });
});

/** Budgets reset on the minute: a test that counts must not straddle that edge. */
async function awayFromWindowEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

describe('rate limits', () => {
  it('answers 429 with Retry-After after the write budget, while reads go on', async () => {
    await awayFromWindowEdge();
    const { key } = await createKey(ctx, 'acme', ['read', 'write']);
    const post = () => gateway.inject({ method: 'POST', url: '/v1/backtests', headers: bearer(key) });
    for (let i = 0; i < 3; i++) {
      const res = await post();
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await post();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ status: 429, type: '/problems/rate-limited' });
    expect((await get('/v1/instruments', bearer(key))).statusCode).toBe(200);
  });

  it('shares one budget between gateway instances through Redis', async () => {
    await awayFromWindowEdge();
    const second = await buildApp({ config: gateway.config });
    await second.ready();
    const redis = new Redis(ctx.env().REDIS_URL as string);
    try {
      const { key, prefix } = await createKey(ctx, 'acme', ['write']);
      const post = (app: typeof gateway) => app.inject({ method: 'POST', url: '/v1/backtests', headers: bearer(key) });
      // The shared count of this key's writes in this minute, as the instances flush it to Redis.
      const shared = async () => Number(await redis.get(`${gateway.config.redisPrefix}ratelimit:${prefix}:w:${Math.floor(Date.now() / 60_000)}`));
      expect((await post(gateway)).statusCode).toBe(200);
      expect((await post(gateway)).statusCode).toBe(200);
      await expect.poll(shared, { timeout: 5_000, interval: 20 }).toBe(2);
      expect((await post(second)).statusCode).toBe(200);
      // The second instance's flush adds its request and reads back the total, 3 of 3.
      await expect.poll(shared, { timeout: 5_000, interval: 20 }).toBe(3);
      const limited = await post(second);
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['ratelimit-remaining']).toBe('0');
    } finally {
      redis.disconnect();
      await second.close();
    }
  });

  it('counts per key: another key has its own budget', async () => {
    await awayFromWindowEdge();
    const post = (key: string) => gateway.inject({ method: 'POST', url: '/v1/backtests', headers: bearer(key) });
    const { key: spent } = await createKey(ctx, 'globex', ['write']);
    for (let i = 0; i < 3; i++) expect((await post(spent)).statusCode).toBe(200);
    expect((await post(spent)).statusCode).toBe(429);
    const { key: fresh } = await createKey(ctx, 'globex', ['write']);
    expect((await post(fresh)).statusCode).toBe(200);
  });

  it('keeps limiting in-process when Redis is unreachable (fail open, still bounded)', async () => {
    await awayFromWindowEdge();
    const offline = await buildApp({ config: ctx.config('gateway', { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_WRITES_PER_MINUTE: '2', SIGNALS_URL: gateway.config.upstreams.signals, BACKTEST_URL: gateway.config.upstreams.backtest }) });
    await offline.ready();
    try {
      const { key } = await createKey(ctx, 'acme', ['write']);
      const post = () => offline.inject({ method: 'POST', url: '/v1/backtests', headers: bearer(key) });
      expect((await post()).statusCode).toBe(200);
      expect((await post()).statusCode).toBe(200);
      expect((await post()).statusCode).toBe(429);
    } finally {
      await offline.close();
    }
  });
});

/** One request written on a socket exactly as given (no client normalises the target); the whole response as text. */
async function rawRequest(base: string, requestLine: string, headers: Record<string, string> = {}, body = ''): Promise<string> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  const head = [requestLine, `host: ${hostname}:${port}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${Buffer.byteLength(body)}`];
  // Not ended from this side: the server answers, then closes.
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  let response = '';
  for await (const chunk of socket) response += (chunk as Buffer).toString();
  return response;
}

const rawStatus = async (...args: Parameters<typeof rawRequest>): Promise<number> => Number(/^HTTP\/1\.1 (\d{3})/.exec(await rawRequest(...args))?.[1] ?? 0);

describe('every spelling of a path', () => {
  let base: string;
  beforeAll(async () => {
    base = await gateway.listen({ host: '127.0.0.1', port: 0 });
  });

  it.each(['/%761/instruments', '/v1/%69nstruments', '/v1/%6Enstruments', '/V1/instruments', '//v1//instruments', 'http://evil/v1/instruments', '/v1/instruments;x=1', '/v2/anything', '/favicon.ico'])(
    'answers %s without a key with 401, never 500 or the data',
    async (target) => {
      expect(await rawStatus(base, `GET ${target} HTTP/1.1`)).toBe(401);
    },
  );

  it.each(['/v1/%6donitor/services', '/v1/%6Donitor/alerts', 'http://x/v1/monitor/alerts', '//v1/monitor/alerts', '/v1/monitor;a/alerts'])(
    'needs the admin scope for POST %s, as for its plain spelling',
    async (target) => {
      const { key } = await createKey(ctx, 'acme', ['read', 'write']);
      expect(await rawStatus(base, `POST ${target} HTTP/1.1`, bearer(key))).toBe(403);
    },
  );

  it.each([
    ['POST', '/v1/instruments'],
    ['PATCH', '/v1/instruments/SPX'],
    ['POST', '/v1/bars?symbol=SPX'],
    ['POST', '/v1/%62ars?symbol=SPX'],
  ])('keeps %s %s, shared by every tenant, to admin keys', async (method, target) => {
    const { key } = await createKey(ctx, 'acme', ['read', 'write']);
    expect(await rawStatus(base, `${method} ${target} HTTP/1.1`, { ...bearer(key), 'content-type': 'application/json' }, '{}')).toBe(403);
    const { key: admin } = await createKey(ctx, 'acme', ['read', 'write', 'admin']);
    expect(await rawStatus(base, `${method} ${target} HTTP/1.1`, { ...bearer(admin), 'content-type': 'application/json' }, '{}')).toBe(200);
  });

  it.each([
    ['/v1/instruments%2fSPX', 'an encoded slash or backslash is not allowed in the path'],
    ['/v1/../v1/monitor/alerts', 'dot segments (. and ..) are not allowed in the path'],
    ['/v1/%2e%2e/monitor/alerts', 'dot segments (. and ..) are not allowed in the path'],
    ['/v1/instruments%zz', 'the path has a malformed percent-escape'],
  ])('refuses %s with 400 problem+json before anything else', async (target, reason) => {
    const response = await rawRequest(base, `GET ${target} HTTP/1.1`);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('application/problem+json');
    expect(response).toContain('"type":"/problems/bad-request-target"');
    expect(response).toContain(`"detail":"The request target is refused: ${reason}."`);
  });

  it('forwards the normalised target, which is what it signed', async () => {
    const { key } = await createKey(ctx, 'acme', ['read']);
    seenUpstream.length = 0;
    expect(await rawStatus(base, 'GET http://x//%761/%69nstruments?q=%41 HTTP/1.1', bearer(key))).toBe(200);
    expect(seenUpstream).toEqual(['/v1/instruments?q=%41']);
  });
});
