import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, INTERNAL_HEADER, type Service, signInternal, verifyInternal } from '../src/index.js';
import { createTestContext, signedHeaders, type TestContext } from '../src/testing/index.js';

const SECRET = 'x'.repeat(40);
const caller = { tenant: 'acme', keyId: 'k1' };

describe('the internal signature', () => {
  it('verifies for the same method and path within its validity', () => {
    const header = signInternal(SECRET, 'GET', '/v1/x?a=1', caller, 1_700_000_000_000);
    expect(verifyInternal(SECRET, 'GET', '/v1/x?a=1', header, 1_700_000_010_000)).toEqual(caller);
  });

  it.each([
    ['another path', (h: string) => verifyInternal(SECRET, 'GET', '/v1/y', h, 1_700_000_000_000)],
    ['another method', (h: string) => verifyInternal(SECRET, 'POST', '/v1/x?a=1', h, 1_700_000_000_000)],
    ['another secret', (h: string) => verifyInternal('y'.repeat(40), 'GET', '/v1/x?a=1', h, 1_700_000_000_000)],
    ['an expired stamp', (h: string) => verifyInternal(SECRET, 'GET', '/v1/x?a=1', h, 1_700_000_031_000)],
    ['a swapped tenant', (h: string) => verifyInternal(SECRET, 'GET', '/v1/x?a=1', h.replace('tenant=acme', 'tenant=evil'), 1_700_000_000_000)],
  ])('fails for %s', (_name, check) => {
    expect(check(signInternal(SECRET, 'GET', '/v1/x?a=1', caller, 1_700_000_000_000))).toBeUndefined();
  });
});

describe('a service behind the gateway', () => {
  let ctx: TestContext;
  let app: Service;
  beforeAll(async () => {
    ctx = await createTestContext();
    app = await createService({ config: ctx.config('backtest') });
    app.get('/v1/whoami', async (request) => request.caller);
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
    const old = signInternal(app.config.internalSecret, 'GET', '/v1/whoami', caller, Date.now() - 60_000);
    expect((await app.inject({ url: '/v1/whoami', headers: { [INTERNAL_HEADER]: old } })).statusCode).toBe(401);
  });

  it('accepts a signed call and knows the caller', async () => {
    const res = await app.inject({ url: '/v1/whoami', headers: signedHeaders(app.config, 'GET', '/v1/whoami', caller) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(caller);
  });

  it('keeps health open', async () => {
    expect((await app.inject('/health/live')).statusCode).toBe(200);
  });
});
