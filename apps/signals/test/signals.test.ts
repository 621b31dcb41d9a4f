import { evaluateRule, parseRuleSpec, resolveIndicator, seasonality, toNullable } from '@meridian/market';
import type { Service } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { caller, csvOf, type DailyBar, dailyBars, day, loadSymbol, seriesOf } from './helpers.js';

let ctx: TestContext;
let app: Service;
let call: ReturnType<typeof caller>;
const bars = dailyBars(600);

interface IndicatorBody {
  warmupBars: number;
  ts: string[];
  values: Record<string, (number | null)[]>;
}
interface SignalsBody {
  bars: number;
  ruleHash: string;
  position: { target: number; since: string | null };
  events: { ts: string; side: string; target: number; price: number }[];
}

beforeAll(async () => {
  ctx = await createTestContext();
  app = await buildApp({ config: ctx.config('signals') });
  call = caller(app);
  await loadSymbol(app, 'SIG', bars);
  await loadSymbol(app, 'MOVE', dailyBars(300, 2));
});
afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

describe('GET /v1/indicators/:name', () => {
  it('lists the catalogue with parameters and outputs', async () => {
    const res = await call('GET', '/v1/indicators');
    expect(res.statusCode).toBe(200);
    const macd = res.json().items.find((item: { name: string }) => item.name === 'macd');
    expect(macd.outputs).toEqual(['macd', 'signal', 'histogram']);
    expect(macd.params.map((p: { name: string }) => p.name)).toEqual(['fast', 'slow', 'signal']);
  });

  it.each([
    ['sma', 'period=20', {}],
    ['rsi', '', {}],
    ['macd', 'fast=8&slow=21&signal=5', { fast: '8', slow: '21', signal: '5' }],
    ['bollinger', 'period=10&k=2.5', { period: '10', k: '2.5' }],
  ])('%s equals the quant core over the same bars', async (name, query, raw) => {
    const res = await call('GET', `/v1/indicators/${name}?symbol=SIG&${query}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<IndicatorBody>();
    const { spec, params } = resolveIndicator(name, query.startsWith('period=20') ? { period: '20' } : raw);
    const expected = spec.compute(seriesOf(bars), params);
    expect(body.ts).toHaveLength(bars.length);
    expect(body.warmupBars).toBe(spec.warmup(params));
    for (const [output, values] of Object.entries(expected)) expect(body.values[output]).toEqual(toNullable(values));
    // warmupBars is where every output has a value, and not a bar earlier.
    const outputs = Object.values(body.values);
    expect(outputs.every((values) => values[body.warmupBars] !== null)).toBe(true);
    expect(outputs.some((values) => values[body.warmupBars - 1] === null)).toBe(true);
  });

  it('gives the same value for the same bar whatever the window (warm-up taken from before `from`)', async () => {
    const bar = bars[400] as DailyBar;
    const wide = (await call('GET', `/v1/indicators/ema?symbol=SIG&period=50&from=${day((bars[100] as DailyBar).ts)}`)).json<IndicatorBody>();
    const narrow = (await call('GET', `/v1/indicators/ema?symbol=SIG&period=50&from=${day(bar.ts)}&to=${day((bars[410] as DailyBar).ts)}`)).json<IndicatorBody>();
    expect(narrow.ts[0]).toBe(new Date(bar.ts).toISOString());
    expect(narrow.ts).toHaveLength(11);
    const at = wide.ts.indexOf(new Date(bar.ts).toISOString());
    expect(narrow.values.ema?.[0]).not.toBeNull();
    expect(narrow.values.ema?.[0]).toBe(wide.values.ema?.[at]);
  });

  it('answers 400 listing the valid indicators or the parameter at fault', async () => {
    const unknown = await call('GET', '/v1/indicators/nope?symbol=SIG');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toContain('valid: sma, ema');
    const bad = await call('GET', '/v1/indicators/sma?symbol=SIG&period=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('sma.period must be an integer in [1, 10000], got 0');
    expect((await call('GET', '/v1/indicators/sma?symbol=NOPE')).statusCode).toBe(404);
  });
});

describe('GET /v1/signals and POST /v1/signals/evaluate', () => {
  it('returns the quant core events and the position target at the last bar', async () => {
    const res = await call('GET', '/v1/signals?symbol=SIG&rule=ma-cross&fast=5&slow=20');
    expect(res.statusCode).toBe(200);
    const body = res.json<SignalsBody>();
    const evaluation = evaluateRule(seriesOf(bars), parseRuleSpec({ type: 'ma-cross', fast: 5, slow: 20 }));
    expect(evaluation.events.length).toBeGreaterThan(4);
    expect(body.events.map((e) => [e.ts, e.side, e.target])).toEqual(evaluation.events.map((e) => [new Date(e.ts).toISOString(), e.side, e.target]));
    expect(body.events[0]?.price).toBe(bars[evaluation.events[0]?.index ?? -1]?.close);
    expect(body.position.target).toBe(evaluation.target[bars.length - 1]);
    expect(body.bars).toBe(bars.length);
  });

  it('evaluates a combinator posted as JSON the way the core does', async () => {
    const rule = { type: 'all', rules: [{ type: 'ma-cross', fast: 5, slow: 20 }, { type: 'rsi-reversion', period: 7, enterBelow: 45, exitAbove: 55 }] };
    const res = await call('POST', '/v1/signals/evaluate', { payload: { symbol: 'SIG', rule } });
    expect(res.statusCode).toBe(200);
    const evaluation = evaluateRule(seriesOf(bars), parseRuleSpec(rule));
    expect(res.json<SignalsBody>().events.map((e) => e.ts)).toEqual(evaluation.events.map((e) => new Date(e.ts).toISOString()));
  });

  it('names the field at fault in a bad rule', async () => {
    const res = await call('GET', '/v1/signals?symbol=SIG&rule=ma-cross&fast=0');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'query.fast' })]);
    const unknown = await call('POST', '/v1/signals/evaluate', { payload: { symbol: 'SIG', rule: { type: 'magic' } } });
    expect(unknown.statusCode).toBe(400);
  });

  it('serves the second call from the cache and answers 304 to a current ETag', async () => {
    const url = '/v1/signals?symbol=SIG&rule=donchian-breakout&period=15';
    const stats = () => app.cache.stats().namespaces.signals ?? { factoryCalls: 0, l1Hits: 0 };
    const first = await call('GET', url);
    const computed = stats().factoryCalls;
    const hits = stats().l1Hits;
    const second = await call('GET', url);
    expect(second.body).toBe(first.body);
    expect(stats().factoryCalls).toBe(computed);
    expect(stats().l1Hits).toBe(hits + 1);

    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    const notModified = await call('GET', url, { headers: { 'if-none-match': etag } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
  });

  it('sends br or gzip to clients that accept it, the same JSON once decoded, and plain JSON to the rest', async () => {
    const url = '/v1/indicators/sma?symbol=SIG&period=20';
    const plain = await call('GET', url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await call('GET', url, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('accept-encoding');
    expect(br.headers.etag).toBe(plain.headers.etag);
    expect(br.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
    const gzip = await call('GET', url, { headers: { 'accept-encoding': 'br;q=0, gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(plain.body);
    const identity = await call('GET', url, { headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body).toBe(plain.body);
  });

  it('changes after new bars for the symbol are ingested (cache and ETag invalidated)', async () => {
    const url = '/v1/signals?symbol=MOVE&rule=ma-cross&fast=3&slow=10';
    const indicatorUrl = '/v1/indicators/sma?symbol=MOVE&period=3';
    const before = await call('GET', url);
    const smaBefore = (await call('GET', indicatorUrl)).json<IndicatorBody>();
    const more = dailyBars(340, 2).slice(300).map((b, i) => {
      const f = i % 2 ? 1.2 : 0.8;
      return { ...b, open: b.open * f, high: b.high * f, low: b.low * f, close: b.close * f };
    });
    const res = await call('POST', '/v1/bars?symbol=MOVE', { payload: csvOf(more), headers: { 'content-type': 'text/csv' } });
    expect(res.statusCode).toBe(200);

    const after = await call('GET', url, { headers: { 'if-none-match': before.headers.etag as string } });
    expect(after.statusCode).toBe(200);
    expect(after.json<SignalsBody>().bars).toBe(340);
    const smaAfter = (await call('GET', indicatorUrl)).json<IndicatorBody>();
    expect(smaAfter.ts).toHaveLength(340);
    expect(smaAfter.values.sma?.slice(0, 300)).toEqual(smaBefore.values.sma);
  });
});

describe('GET /v1/seasonality', () => {
  it('returns the quant core table', async () => {
    const res = await call('GET', '/v1/seasonality?symbol=SIG&by=weekday');
    expect(res.statusCode).toBe(200);
    expect(res.json().buckets).toEqual(seasonality(seriesOf(bars), 'weekday'));
  });
});
