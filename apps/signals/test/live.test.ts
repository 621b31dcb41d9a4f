import type { Service } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRule, parseRuleSpec, toSeries } from '@meridian/market';
import { buildApp } from '../src/app.js';
import { ruleHash } from '../src/rules.js';
import { caller, csvOf, dailyBars } from './helpers.js';
import { subscribe } from './live-client.js';

let ctx: TestContext;
let first: Service;
let second: Service;
const bases: string[] = [];

const upload = (app: Service, symbol: string, bars: ReturnType<typeof dailyBars>) =>
  caller(app)('POST', `/v1/bars?symbol=${symbol}`, { payload: csvOf(bars), headers: { 'content-type': 'text/csv' } });

beforeAll(async () => {
  ctx = await createTestContext();
  const env = { LIVE_RETENTION: '30', LIVE_HEARTBEAT_MS: '200', LOG_LEVEL: 'warn' };
  first = await buildApp({ config: ctx.config('signals', env) });
  second = await buildApp({ config: ctx.config('signals', env) });
  for (const app of [first, second]) bases.push(await app.listen({ host: '127.0.0.1', port: 0 }));
  for (const symbol of ['LIVA', 'LIVB']) expect((await caller(first)('POST', '/v1/instruments', { payload: { symbol, name: symbol } })).statusCode).toBe(201);
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await ctx?.cleanup();
});

describe('GET /v1/live', () => {
  const history = dailyBars(12, 3, Date.UTC(2024, 0, 1));

  it('delivers the bars of an upload made after connecting, once each, in order, to clients of either instance', async () => {
    const one = subscribe(bases[0] as string, '/v1/live?symbols=LIVA,LIVB&interval=1d', first.config);
    const two = subscribe(bases[1] as string, '/v1/live?symbols=LIVA', second.config);
    await one.until(() => one.events.some((e) => e.event === 'heartbeat'));
    await two.until(() => two.events.some((e) => e.event === 'heartbeat'));
    expect((await upload(first, 'LIVA', history.slice(0, 8))).statusCode).toBe(200);
    await one.until(() => one.bars().length === 8);
    await two.until(() => two.bars().length === 8);
    const expected = history.slice(0, 8).map((b) => new Date(b.ts).toISOString());
    expect(one.bars().map((e) => e.data.ts)).toEqual(expected);
    expect(two.bars().map((e) => e.data.ts)).toEqual(expected);
    expect(one.bars()[0]?.data).toMatchObject({ symbol: 'LIVA', interval: '1d', open: history[0]?.open, close: history[0]?.close });
    // The same file again changes nothing, so nothing is sent.
    await upload(first, 'LIVA', history.slice(0, 8));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(one.bars()).toHaveLength(8);
    await Promise.all([one.close(), two.close()]);
  });

  it('sends a corrected bar with its new values', async () => {
    const client = subscribe(bases[1] as string, '/v1/live?symbols=LIVA', second.config);
    await client.until(() => client.events.some((e) => e.event === 'heartbeat'));
    const corrected = { ...(history[3] as (typeof history)[number]), close: 999, high: 1000 };
    await upload(first, 'LIVA', [corrected]);
    await client.until(() => client.bars().length === 1);
    expect(client.bars()[0]?.data).toMatchObject({ ts: new Date(corrected.ts).toISOString(), close: 999, high: 1000 });
    await client.close();
  });

  it('replays exactly what a client missed when it reconnects with Last-Event-ID', async () => {
    const client = subscribe(bases[0] as string, '/v1/live?symbols=LIVA,LIVB', first.config);
    await client.until(() => client.events.some((e) => e.event === 'heartbeat'));
    await upload(first, 'LIVB', history.slice(0, 2));
    await client.until(() => client.bars().length === 2);
    const last = client.bars().at(-1)?.id as string;
    await client.close();
    // Missed while away: the rest of LIVB and two new LIVA bars.
    await upload(first, 'LIVB', history.slice(2, 5));
    await upload(first, 'LIVA', history.slice(8, 10));
    const back = subscribe(bases[1] as string, '/v1/live?symbols=LIVA,LIVB', second.config, { 'last-event-id': last });
    await back.until(() => back.bars().length === 5);
    expect(back.bars().map((e) => `${e.data.symbol} ${e.data.ts as string}`).sort()).toEqual(
      [...history.slice(2, 5).map((b) => `LIVB ${new Date(b.ts).toISOString()}`), ...history.slice(8, 10).map((b) => `LIVA ${new Date(b.ts).toISOString()}`)].sort(),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(back.bars()).toHaveLength(5);
    expect(back.events.some((e) => e.event === 'gap')).toBe(false);
    await back.close();
  });

  it('resumes from where the stream began when the client reconnects before its first event', async () => {
    const client = subscribe(bases[0] as string, '/v1/live?symbols=LIVA', first.config);
    await client.until(() => client.events.some((e) => e.event === 'heartbeat'));
    const start = client.lastId() as string;
    expect(start).toBeDefined();
    await client.close();
    await upload(first, 'LIVA', history.slice(10, 12));
    const back = subscribe(bases[1] as string, '/v1/live?symbols=LIVA', second.config, { 'last-event-id': start });
    await back.until(() => back.bars().length === 2);
    expect(back.bars().map((e) => e.data.ts)).toEqual(history.slice(10, 12).map((b) => new Date(b.ts).toISOString()));
    await back.close();
  });

  it('says so when the missed events are older than the retention', async () => {
    const client = subscribe(bases[0] as string, '/v1/live?symbols=LIVB', first.config);
    await client.until(() => client.events.some((e) => e.event === 'heartbeat'));
    await upload(first, 'LIVB', history.slice(5, 6));
    await client.until(() => client.bars().length === 1);
    const last = client.bars()[0]?.id as string;
    await client.close();
    await upload(first, 'LIVB', dailyBars(40, 9, Date.UTC(2025, 0, 1)));
    const back = subscribe(bases[0] as string, '/v1/live?symbols=LIVB', first.config, { 'last-event-id': last });
    await back.until(() => back.bars().length >= 30).catch(() => { throw new Error(`got ${back.bars().length}: ${back.bars().map((e) => e.data.ts).join(",")}`); });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(back.events[0]).toMatchObject({ event: 'gap', data: { symbol: 'LIVB' } });
    // What is kept is replayed: the newest 30 bars.
    expect(back.bars().map((e) => e.data.ts)).toEqual(dailyBars(40, 9, Date.UTC(2025, 0, 1)).slice(-30).map((b) => new Date(b.ts).toISOString()));
    await back.close();
  });

  it('sends a subscribed rule\'s signal events on new bars, the same a batch evaluation finds, to its own subscriber only', async () => {
    const spec = { type: 'ma-cross', fast: 2, slow: 5 };
    // New bars fewer than this file's retention (30), so none is trimmed before it is read.
    const bars = dailyBars(85, 4, Date.UTC(2026, 0, 1));
    expect((await caller(first)('POST', '/v1/instruments', { payload: { symbol: 'LIVS', name: 'LIVS' } })).statusCode).toBe(201);
    expect((await upload(first, 'LIVS', bars.slice(0, 60))).statusCode).toBe(200);
    // A batch registers the rule and names its hash.
    const batch = await caller(first)('POST', '/v1/signals/batch', { payload: { symbols: ['LIVS'], rules: [spec], interval: '1d' } });
    expect(batch.statusCode).toBe(202);
    const hash = ruleHash(parseRuleSpec(spec));
    const withRule = subscribe(bases[1] as string, `/v1/live?symbols=LIVS&interval=1d&rules=${hash}`, second.config);
    const without = subscribe(bases[0] as string, '/v1/live?symbols=LIVS&interval=1d', first.config);
    await withRule.until(() => withRule.events.some((e) => e.event === 'heartbeat'));
    await without.until(() => without.events.some((e) => e.event === 'heartbeat'));
    expect((await upload(first, 'LIVS', bars.slice(60))).statusCode).toBe(200);
    const fresh = new Set(bars.slice(60).map((b) => b.ts));
    const expected = evaluateRule(toSeries(bars), parseRuleSpec(spec)).events.filter((e) => fresh.has(e.ts));
    expect(expected.length).toBeGreaterThan(0);
    await withRule.until(() => withRule.events.filter((e) => e.event === 'signal').length === expected.length).catch(() => { throw new Error(`signals ${withRule.events.filter((e) => e.event === 'signal').length} of ${expected.length}; bars ${withRule.bars().length}`); });
    await without.until(() => without.bars().length === 25);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const received = withRule.events.filter((e) => e.event === 'signal').map((e) => e.data);
    expect(received).toEqual(expected.map((e) => ({ symbol: 'LIVS', ruleHash: hash, interval: '1d', ts: new Date(e.ts).toISOString(), side: e.side, target: e.target, strength: e.strength, price: bars[e.index]?.close })));
    expect(without.events.filter((e) => e.event === 'signal')).toEqual([]);
    await Promise.all([withRule.close(), without.close()]);
    expect((await caller(first)('GET', '/v1/live?symbols=LIVS&interval=1d&rules=0123456789abcdef')).statusCode).toBe(400);
    expect((await caller(first)('GET', `/v1/live?symbols=LIVS&rules=${hash}`)).statusCode).toBe(400);
  });

  it('refuses unknown symbols and ids it never sent', async () => {
    expect((await caller(first)('GET', '/v1/live?symbols=NOPE')).statusCode).toBe(404);
    const res = await caller(first)('GET', '/v1/live?symbols=LIVA', { headers: { 'last-event-id': 'made-up' } });
    expect(res.statusCode).toBe(400);
  });
});
