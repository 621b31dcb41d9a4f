import type { Service } from '@meridian/service';
import { createTestContext, signedRequest, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

let ctx: TestContext;
let app: Service;

function call(tenant: string, method: 'GET' | 'POST', url: string, payload?: object) {
  return app.inject(signedRequest(app.config, method, url, { payload, caller: { tenant, keyId: 'k' } }));
}

beforeAll(async () => {
  ctx = await createTestContext();
  app = await buildApp({ config: ctx.config('backtest') });
});
afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

describe('strategies', () => {
  it('saves a strategy for the caller and lists it back', async () => {
    const spec = { rule: 'sma_cross', fast: 20, slow: 50 };
    const created = await call('acme', 'POST', '/v1/strategies', { name: 'golden cross', spec });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'golden cross', spec });
    expect((await call('acme', 'GET', '/v1/strategies')).json().items).toEqual([created.json()]);
  });

  it("keeps tenants apart: another tenant sees none of acme's strategies", async () => {
    expect((await call('globex', 'GET', '/v1/strategies')).json().items).toEqual([]);
    expect((await call('globex', 'POST', '/v1/strategies', { name: 'golden cross', spec: {} })).statusCode).toBe(201);
  });

  it('serves the list from the cache and drops it when the tenant saves a strategy', async () => {
    const first = await call('acme', 'GET', '/v1/strategies');
    const calls = app.cache.stats().namespaces.strategies?.factoryCalls ?? 0;
    expect((await call('acme', 'GET', '/v1/strategies')).json()).toEqual(first.json());
    expect(app.cache.stats().namespaces.strategies?.factoryCalls).toBe(calls);
    expect((await call('acme', 'POST', '/v1/strategies', { name: 'death cross', spec: { fast: 50, slow: 20 } })).statusCode).toBe(201);
    const names = (await call('acme', 'GET', '/v1/strategies')).json().items.map((item: { name: string }) => item.name);
    expect(names).toEqual(['death cross', 'golden cross']);
  });

  it('answers 409 for a duplicate name within a tenant', async () => {
    const res = await call('acme', 'POST', '/v1/strategies', { name: 'golden cross', spec: {} });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('/problems/conflict');
  });
});
