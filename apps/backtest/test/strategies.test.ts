import type { Service } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { callerFor } from './helpers.js';

let ctx: TestContext;
let app: Service;
let acme: ReturnType<typeof callerFor>;
let globex: ReturnType<typeof callerFor>;

beforeAll(async () => {
  ctx = await createTestContext();
  app = await buildApp({ config: ctx.config('backtest') });
  acme = callerFor(app, 'acme');
  globex = callerFor(app, 'globex');
});
afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

const cross = { type: 'ma-cross', fast: 20, slow: 50 };

describe('strategies', () => {
  it('saves a strategy with its defaults filled in and reads it back', async () => {
    const created = await acme('POST', '/v1/strategies', { name: 'golden cross', description: 'the classic', spec: cross, tags: ['trend'], config: { fees: { rate: 0.001 } } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'golden cross', description: 'the classic', spec: { ...cross, ma: 'sma' }, tags: ['trend'], config: { fees: { rate: 0.001 } }, gates: null });
    expect((await acme('GET', `/v1/strategies/${created.json().id}`)).json()).toEqual(created.json());
  });

  it('refuses a spec the quant core cannot run, naming the field', async () => {
    const res = await acme('POST', '/v1/strategies', { name: 'bad', spec: { rule: 'sma_cross' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'spec.type', message: expect.stringContaining('unknown rule undefined') }]);
    const slow = await acme('POST', '/v1/strategies', { name: 'bad', spec: { type: 'ma-cross', fast: 60, slow: 50 } });
    expect(slow.json().errors).toEqual([{ field: 'spec.fast', message: 'must be less than slow (50)' }]);
    const config = await acme('POST', '/v1/strategies', { name: 'bad', spec: cross, config: { capital: -1 } });
    expect(config.json().errors[0].field).toBe('config.capital');
    const gates = await acme('POST', '/v1/strategies', { name: 'bad', spec: cross, gates: { criteria: [{ metric: 'luck', min: 1 }] } });
    expect(gates.statusCode).toBe(400);
    expect(gates.json().errors[0].field).toMatch(/^body\.gates\.criteria\.0\.metric|^gates\.criteria\.0\.metric/);
  });

  it('changes some fields with PATCH and keeps the rest', async () => {
    const id = (await acme('POST', '/v1/strategies', { name: 'to change', spec: cross })).json().id;
    const res = await acme('PATCH', `/v1/strategies/${id}`, { tags: ['a', 'b'], gates: { criteria: [{ metric: 'sharpe', min: 1 }] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'to change', tags: ['a', 'b'], gates: { minTrades: 30, criteria: [{ metric: 'sharpe', min: 1 }] } });
    expect(Date.parse(res.json().updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.json().createdAt));
    expect((await acme('PATCH', `/v1/strategies/${id}`, { spec: { type: 'nope' } })).statusCode).toBe(400);
    expect((await acme('PATCH', `/v1/strategies/${id}`, { name: 'golden cross' })).statusCode).toBe(409);
  });

  it('lists by name and tag, newest first, a page at a time', async () => {
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) await acme('POST', '/v1/strategies', { name, spec: cross, tags: ['paged'] });
    const first = (await acme('GET', '/v1/strategies?tag=paged&limit=2')).json();
    expect(first.items.map((s: { name: string }) => s.name)).toEqual(['p5', 'p4']);
    const second = (await acme('GET', `/v1/strategies?tag=paged&limit=2&cursor=${first.nextCursor}`)).json();
    const third = (await acme('GET', `/v1/strategies?tag=paged&limit=2&cursor=${second.nextCursor}`)).json();
    expect([...second.items, ...third.items].map((s: { name: string }) => s.name)).toEqual(['p3', 'p2', 'p1']);
    expect(third.nextCursor).toBeNull();
    const oldest = (await acme('GET', '/v1/strategies?tag=paged&order=asc&limit=1')).json();
    expect(oldest.items[0].name).toBe('p1');
    expect((await acme('GET', '/v1/strategies?name=GOLDEN')).json().items.map((s: { name: string }) => s.name)).toEqual(['golden cross']);
    expect((await acme('GET', '/v1/strategies?cursor=nonsense')).statusCode).toBe(400);
  });

  it('serves the list from the cache and drops it when the tenant changes a strategy', async () => {
    const first = await acme('GET', '/v1/strategies?tag=trend');
    const calls = app.cache.stats().namespaces.strategies?.factoryCalls ?? 0;
    expect((await acme('GET', '/v1/strategies?tag=trend')).json()).toEqual(first.json());
    expect(app.cache.stats().namespaces.strategies?.factoryCalls).toBe(calls);
    await acme('POST', '/v1/strategies', { name: 'death cross', spec: { ...cross, fast: 10 }, tags: ['trend'] });
    expect((await acme('GET', '/v1/strategies?tag=trend')).json().items.map((s: { name: string }) => s.name)).toEqual(['death cross', 'golden cross']);
  });

  it('answers 409 for a duplicate name within a tenant, while another tenant may use it', async () => {
    expect((await acme('POST', '/v1/strategies', { name: 'golden cross', spec: cross })).statusCode).toBe(409);
    expect((await globex('POST', '/v1/strategies', { name: 'golden cross', spec: cross })).statusCode).toBe(201);
  });

  it("hides another tenant's strategy behind 404 on every route", async () => {
    const id = (await acme('GET', '/v1/strategies?name=golden')).json().items[0].id;
    expect((await globex('GET', '/v1/strategies?name=golden')).json().items.map((s: { id: string }) => s.id)).not.toContain(id);
    for (const [method, url, body] of [['GET', `/v1/strategies/${id}`], ['PATCH', `/v1/strategies/${id}`, { description: 'x' }], ['DELETE', `/v1/strategies/${id}`], ['GET', `/v1/strategies/${id}/gates`]] as const) {
      const res = await globex(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().type).toBe('/problems/not-found');
    }
    expect((await acme('GET', `/v1/strategies/${id}`)).statusCode).toBe(200);
  });

  it('deletes a strategy without results', async () => {
    const id = (await acme('POST', '/v1/strategies', { name: 'short lived', spec: cross })).json().id;
    expect((await acme('DELETE', `/v1/strategies/${id}`)).statusCode).toBe(204);
    expect((await acme('GET', `/v1/strategies/${id}`)).statusCode).toBe(404);
  });
});
