import type { Service } from '@meridian/service';
import { createTestContext, signedRequest, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

let ctx: TestContext;
let app: Service;

function call(method: 'GET' | 'POST', url: string, payload?: object) {
  return app.inject(signedRequest(app.config, method, url, { payload }));
}

beforeAll(async () => {
  ctx = await createTestContext();
  app = await buildApp({ config: ctx.config('signals') });
});
afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

describe('instruments', () => {
  it('creates an instrument with 201, then updates it with 200', async () => {
    const created = await call('POST', '/v1/instruments', { symbol: 'SPX', name: 'S&P 500', assetClass: 'index' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ symbol: 'SPX', name: 'S&P 500', assetClass: 'index', currency: 'USD', exchange: null });
    const updated = await call('POST', '/v1/instruments', { symbol: 'SPX', name: 'S&P 500 Index', assetClass: 'index' });
    expect(updated.statusCode).toBe(200);
    expect((await call('GET', '/v1/instruments/SPX')).json().name).toBe('S&P 500 Index');
  });

  it('pages through the list by symbol, every row once', async () => {
    // SPX too (created or updated): the list holds what this test made, whatever ran before it.
    for (const symbol of ['AAA', 'BBB', 'CCC', 'SPX']) await call('POST', '/v1/instruments', { symbol, name: symbol });
    const first = (await call('GET', '/v1/instruments?limit=2')).json();
    expect(first.items.map((i: { symbol: string }) => i.symbol)).toEqual(['AAA', 'BBB']);
    const second = (await call('GET', `/v1/instruments?limit=2&after=${first.next}`)).json();
    expect(second.items.map((i: { symbol: string }) => i.symbol)).toEqual(['CCC', 'SPX']);
    const third = (await call('GET', `/v1/instruments?limit=2&after=${second.next}`)).json();
    expect(third).toEqual({ items: [], next: null });
  });

  it('answers 404 problem+json for an unknown symbol', async () => {
    const res = await call('GET', '/v1/instruments/NOPE');
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toContain('NOPE');
  });

  it('rejects a lower-case or injected symbol with 400 naming the field', async () => {
    expect((await call('POST', '/v1/instruments', { symbol: 'SPX', name: 'S&P 500' })).statusCode).toBeLessThan(300);
    const res = await call('POST', '/v1/instruments', { symbol: "x'; DROP TABLE instruments;--", name: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('body.symbol');
    expect((await call('GET', '/v1/instruments/SPX')).statusCode).toBe(200);
  });
});
