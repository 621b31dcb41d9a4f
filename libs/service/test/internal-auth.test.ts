import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyDigest, createService, INTERNAL_HEADER, pingRedis, type Service, signInternal, verifyInternal } from '../src/index.js';
import { createTestContext, signedHeaders, type TestContext } from '../src/testing/index.js';

const SECRET = 'x'.repeat(40);
const caller = { tenant: 'acme', keyId: 'k1' };

describe('the internal signature', () => {
  it('verifies for the same method and path within its validity, naming the body it covers', () => {
    const header = signInternal(SECRET, 'GET', '/v1/x?a=1', caller, { now: 1_700_000_000_000 });
    expect(verifyInternal(SECRET, 'GET', '/v1/x?a=1', header, 1_700_000_010_000)).toMatchObject({ caller, body: '-', nonce: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const withBody = signInternal(SECRET, 'POST', '/v1/x', caller, { body: '{"a":1}', now: 1_700_000_000_000 });
    expect(verifyInternal(SECRET, 'POST', '/v1/x', withBody, 1_700_000_000_000)?.body).toBe(bodyDigest('{"a":1}'));
    expect(verifyInternal(SECRET, 'POST', '/v1/x', withBody.replace(/d=sha256-[\w-]+/, `d=${bodyDigest('{"a":2}')}`), 1_700_000_000_000)).toBeUndefined();
    expect(verifyInternal(SECRET, 'POST', '/v1/x', withBody.replace(/d=sha256-[\w-]+/, 'd=stream'), 1_700_000_000_000)).toBeUndefined();
  });

  it('makes a new nonce for every signature', () => {
    const nonce = (header: string) => /;n=(\w+);/.exec(header)?.[1];
    expect(nonce(signInternal(SECRET, 'GET', '/v1/x', caller))).not.toBe(nonce(signInternal(SECRET, 'GET', '/v1/x', caller)));
  });

  it.each([
    ['another path', (h: string) => verifyInternal(SECRET, 'GET', '/v1/y', h, 1_700_000_000_000)],
    ['another method', (h: string) => verifyInternal(SECRET, 'POST', '/v1/x?a=1', h, 1_700_000_000_000)],
    ['another secret', (h: string) => verifyInternal('y'.repeat(40), 'GET', '/v1/x?a=1', h, 1_700_000_000_000)],
    ['an expired stamp', (h: string) => verifyInternal(SECRET, 'GET', '/v1/x?a=1', h, 1_700_000_031_000)],
    ['a swapped tenant', (h: string) => verifyInternal(SECRET, 'GET', '/v1/x?a=1', h.replace('tenant=acme', 'tenant=evil'), 1_700_000_000_000)],
  ])('fails for %s', (_name, check) => {
    expect(check(signInternal(SECRET, 'GET', '/v1/x?a=1', caller, { now: 1_700_000_000_000 }))).toBeUndefined();
  });
});

let app: Service;

describe('a service behind the gateway', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    app = await createService({ config: ctx.config('backtest') });
    app.get('/v1/whoami', async (request) => request.caller);
    app.post('/v1/echo', async (request) => request.body);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await ctx.cleanup();
  });

  it('rejects a direct call without the signature with 401 problem+json that names the request', async () => {
    const res = await app.inject({ url: '/v1/whoami', headers: { 'x-request-id': 'direct-call-1' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ type: '/problems/unauthenticated', status: 401 });
    expect(res.headers['x-request-id']).toBe('direct-call-1');
  });

  it('rejects a forged signature', async () => {
    const forged = signInternal('f'.repeat(40), 'GET', '/v1/whoami', caller);
    expect((await app.inject({ url: '/v1/whoami', headers: { [INTERNAL_HEADER]: forged } })).statusCode).toBe(401);
  });

  it('rejects an expired signature', async () => {
    const old = signInternal(app.config.internalSecret, 'GET', '/v1/whoami', caller, { now: Date.now() - 60_000 });
    expect((await app.inject({ url: '/v1/whoami', headers: { [INTERNAL_HEADER]: old } })).statusCode).toBe(401);
  });

  it('accepts a signed call and knows the caller', async () => {
    const res = await app.inject({ url: '/v1/whoami', headers: signedHeaders(app.config, 'GET', '/v1/whoami', caller) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(caller);
  });

  it('honours a signature once: the same header sent again is refused', async () => {
    const headers = signedHeaders(app.config, 'GET', '/v1/whoami', caller);
    expect((await app.inject({ url: '/v1/whoami', headers })).statusCode).toBe(200);
    const again = await app.inject({ url: '/v1/whoami', headers });
    expect(again.statusCode).toBe(401);
    expect(again.json().detail).toContain('already used');
  });

  it('refuses a replayed signature on another instance too, through Redis', async () => {
    const other = await createService({ config: app.config });
    other.get('/v1/whoami', async (request) => request.caller);
    await other.ready();
    // While its Redis connection is not up yet, an instance has only its own memory to go by.
    await pingRedis(other.redis);
    const headers = signedHeaders(app.config, 'GET', '/v1/whoami', caller);
    try {
      expect((await app.inject({ url: '/v1/whoami', headers })).statusCode).toBe(200);
      expect((await other.inject({ url: '/v1/whoami', headers })).statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('takes only the body that was signed', async () => {
    const body = JSON.stringify({ amount: 1 });
    const headers = { ...signedHeaders(app.config, 'POST', '/v1/echo', caller, body), 'content-type': 'application/json' };
    const swapped = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload: JSON.stringify({ amount: 1_000_000 }) });
    expect(swapped.statusCode).toBe(401);
    expect(swapped.body).not.toContain('1000000');
    const fresh = { ...signedHeaders(app.config, 'POST', '/v1/echo', caller, body), 'content-type': 'application/json' };
    const res = await app.inject({ method: 'POST', url: '/v1/echo', headers: fresh, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ amount: 1 });
  });

  it('refuses a body sent under a signature that covers none', async () => {
    const headers = { ...signedHeaders(app.config, 'POST', '/v1/echo', caller), 'content-type': 'application/json' };
    const res = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload: JSON.stringify({ amount: 5 }) });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('covers no body');
  });

  it('keeps health open', async () => {
    expect((await app.inject('/health/live')).statusCode).toBe(200);
    expect((await app.inject('/health/ready')).statusCode).toBe(200);
  });

  it.each(['/%761/whoami', '/v1/%77hoami', 'http://x/v1/whoami', '//v1/whoami', '/v1//whoami', '/v1/whoami;x=1', '/v1/nothing-here', '/openapi.json'])(
    'refuses %s on its own port without the signature, whatever the spelling',
    async (target) => {
      const base = await listening();
      const { hostname, port } = new URL(base);
      const socket = connect(Number(port), hostname);
      socket.write(`GET ${target} HTTP/1.1\r\nhost: ${hostname}\r\nconnection: close\r\n\r\n`);
      let response = '';
      for await (const chunk of socket) response += (chunk as Buffer).toString();
      expect(response).toMatch(/^HTTP\/1\.1 401 /);
      expect(response).not.toContain('"tenant"');
    },
  );
});

let base: string | undefined;
const listening = async (): Promise<string> => (base ??= await app.listen({ host: '127.0.0.1', port: 0 }));
