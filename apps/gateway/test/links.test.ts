import { ApiKeyRepository, createPools } from '@meridian/db';
import { INTERNAL_HEADER, LINK_COOKIE, signLink, type Service, verifyInternal } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { forgetKey } from '../src/auth/key-store.js';
import { bearer, createKey } from './keys.js';

let ctx: TestContext;
let gateway: Service;
let upstream: FastifyInstance;
let reader: { key: string; prefix: string };

beforeAll(async () => {
  ctx = await createTestContext();
  upstream = Fastify();
  upstream.all('/v1/*', async (request) => {
    const signed = verifyInternal(gateway.config.internalSecret, request.method, request.url, request.headers[INTERNAL_HEADER] as string | undefined);
    return { url: request.url, method: request.method, caller: signed?.caller };
  });
  const url = await upstream.listen({ host: '127.0.0.1', port: 0 });
  gateway = await buildApp({ config: ctx.config('gateway', { SIGNALS_URL: url, BACKTEST_URL: url, MONITOR_URL: url }) });
  await gateway.ready();
  reader = await createKey(ctx, 'acme', ['read']);
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
  await ctx.cleanup();
});

const REPORT = '/v1/backtests/b1/report';

/** A link made through the API with `key`: its path with the ?link= token, and the token. */
async function makeLink(key: string, path = REPORT): Promise<{ path: string; token: string; url: string }> {
  const res = await gateway.inject({ method: 'POST', url: '/v1/links', headers: { ...bearer(key), 'content-type': 'application/json' }, payload: { path } });
  expect(res.statusCode).toBe(201);
  const body = res.json<{ url: string; path: string }>();
  return { path: body.path, url: body.url, token: new URL(body.url).searchParams.get('link') as string };
}

const follow = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') => gateway.inject({ method, url, headers });
const cookie = (token: string) => ({ cookie: `theme=dark; ${LINK_COOKIE}=${token}` });

describe('signed links', () => {
  it('opens the page without a key and leaves a cookie scoped to the path, HttpOnly and SameSite=Strict', async () => {
    const link = await makeLink(reader.key);
    expect(link.url).toMatch(/^http:\/\/localhost(:\d+)?\/v1\/backtests\/b1\/report\?link=/);
    const res = await follow(link.path);
    expect(res.statusCode).toBe(200);
    // Forwarded as the request of the key the link was made with.
    expect(res.json()).toEqual({ url: link.path, method: 'GET', caller: { tenant: 'acme', keyId: reader.prefix } });
    const set = res.headers['set-cookie'] as string;
    expect(set).toMatch(new RegExp(`^${LINK_COOKIE}=${link.token}; Path=${REPORT}; Max-Age=(\\d+); HttpOnly; SameSite=Strict$`));
    const maxAge = Number(/Max-Age=(\d+)/.exec(set)?.[1]);
    expect(maxAge).toBeGreaterThan(3590);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  it('marks the cookie Secure in production', async () => {
    const production = await buildApp({ config: { ...gateway.config, nodeEnv: 'production' } });
    try {
      await production.ready();
      const { path, token } = await makeLink(reader.key);
      const res = await production.inject({ url: path });
      expect(res.statusCode).toBe(200);
      expect(res.headers['set-cookie']).toMatch(new RegExp(`^${LINK_COOKIE}=${token}; Path=${REPORT}; Max-Age=\\d+; HttpOnly; SameSite=Strict; Secure$`));
    } finally {
      await production.close();
    }
  });

  it('grants what lies under the page through the cookie, without setting it again, and nothing beside it', async () => {
    const { token } = await makeLink(reader.key);
    const below = await follow(`${REPORT}/equity.png`, cookie(token));
    expect(below.statusCode).toBe(200);
    expect(below.headers['set-cookie']).toBeUndefined();
    const beside = await follow('/v1/backtests/b2/report', cookie(token));
    expect(beside.statusCode).toBe(401);
    expect(beside.json().detail).toBe('The link is not valid for this page.');
    expect((await follow('/v1/backtests/b1', cookie(token))).statusCode).toBe(401);
  });

  it('grants GET and HEAD only', async () => {
    const link = await makeLink(reader.key);
    expect((await follow(link.path, {}, 'HEAD')).statusCode).toBe(200);
    const post = await follow(link.path, {}, 'POST');
    expect(post.statusCode).toBe(401);
    expect(post.json().detail).toContain('grants GET only');
  });

  it('refuses a malformed link, an expired one, and one whose key is revoked or lacks read', async () => {
    const malformed = await follow(`${REPORT}?link=not-a-token`);
    expect(malformed.statusCode).toBe(401);
    expect(malformed.headers['www-authenticate']).toBe('Bearer');
    expect(malformed.json().detail).toContain('malformed');

    const secret = gateway.config.internalSecret;
    const expired = signLink(secret, REPORT, { tenant: 'acme', keyId: reader.prefix }, { ttlS: 60, now: Date.now() - 120_000 });
    expect((await follow(expired.url)).json().detail).toContain('has expired');

    const writer = await createKey(ctx, 'acme', ['write']);
    const writeOnly = signLink(secret, REPORT, { tenant: 'acme', keyId: writer.prefix });
    expect((await follow(writeOnly.url)).json().detail).toBe('The link is not valid for this page.');

    const otherTenant = signLink(secret, REPORT, { tenant: 'globex', keyId: reader.prefix });
    expect((await follow(otherTenant.url)).json().detail).toBe('The link is not valid for this page.');

    const unknown = signLink(secret, REPORT, { tenant: 'acme', keyId: '0badc0de' });
    expect((await follow(unknown.url)).json().detail).toContain('revoked or unknown');

    const doomed = await createKey(ctx, 'acme', ['read']);
    const link = await makeLink(doomed.key);
    const pools = createPools(gateway.config.database);
    await new ApiKeyRepository(pools.write).revoke(doomed.prefix);
    await pools.close();
    // As `npm run keys -- revoke` does: every gateway's cached copy is dropped.
    expect(await forgetKey(gateway.cache, doomed.prefix)).toBe(true);
    await expect.poll(async () => (await follow(link.path)).statusCode).toBe(401);
    expect((await follow(link.path)).json().detail).toContain('revoked or unknown');
  });

  it('lets a key win over a link: the request is the key holder’s', async () => {
    const writer = await createKey(ctx, 'acme', ['write']);
    const res = await follow(`${REPORT}?link=not-a-token`, bearer(writer.key), 'POST');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ method: 'POST' });
  });

  it('is made for a plain path only', async () => {
    const res = await gateway.inject({ method: 'POST', url: '/v1/links', headers: { ...bearer(reader.key), 'content-type': 'application/json' }, payload: { path: '/v1/%62acktests/b1' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('send /v1/backtests/b1');
  });
});
