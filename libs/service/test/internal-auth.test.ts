import { connect } from 'node:net';
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

let app: Service;

describe('a service behind the gateway', () => {
  let ctx: TestContext;
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
