import { bullPrefix, QUEUES } from '@meridian/queue';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import type { Service } from '@meridian/service';
import { createTestContext, scrapeHeaders, type TestContext } from '@meridian/service/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { buildWorker, type SignalsWorker } from '../src/batch/workers.js';
import { processRollup, type RollupJobData } from '../src/rollups.js';
import type { Job } from 'bullmq';
import { caller, csvOf, type DailyBar, dailyBars, loadSymbol, type WireBar } from './helpers.js';

let ctx: TestContext;
let app: Service;
let call: ReturnType<typeof caller>;
let workers: SignalsWorker | undefined;
let redis: Redis;

const DAY = 86_400_000;
const weekOf = (ts: number) => {
  const day = Math.floor(ts / DAY) * DAY;
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
};
const monthOf = (ts: number) => Date.UTC(new Date(ts).getUTCFullYear(), new Date(ts).getUTCMonth(), 1);
const hourOf = (ts: number) => Math.floor(ts / 3_600_000) * 3_600_000;

/** First open, highest high, lowest low, last close, summed volume: computed here, not by SQL. */
function aggregate(bars: readonly DailyBar[], bucket: (ts: number) => number): WireBar[] {
  const groups = new Map<number, DailyBar[]>();
  for (const bar of bars) groups.set(bucket(bar.ts), [...(groups.get(bucket(bar.ts)) ?? []), bar]);
  return [...groups].sort((a, b) => a[0] - b[0]).map(([ts, group]) => ({
    ts: new Date(ts).toISOString(),
    open: group[0]?.open as number,
    high: Math.max(...group.map((b) => b.high)),
    low: Math.min(...group.map((b) => b.low)),
    close: group.at(-1)?.close as number,
    volume: group.reduce((sum, b) => sum + (b.volume ?? 0), 0),
  }));
}

async function rollup(symbol: string, interval: string, expectedCount: number): Promise<WireBar[]> {
  for (let i = 0; i < 200; i++) {
    const items = (await call('GET', `/v1/bars?symbol=${symbol}&interval=${interval}&limit=10000`)).json().items as WireBar[];
    if (items.length === expectedCount) return items;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${interval} rollup of ${symbol} with ${expectedCount} bars`);
}

const daily = dailyBars(130, 5, Date.UTC(2021, 0, 4));

beforeAll(async () => {
  ctx = await createTestContext();
  const config = ctx.config('signals');
  app = await buildApp({ config });
  call = caller(app);
  redis = new Redis(ctx.env().REDIS_URL as string);
});
afterAll(async () => {
  await workers?.app.close();
  await app.close();
  redis.disconnect();
  await ctx.cleanup();
});

describe('rollups', () => {
  it('queues one debounced refresh job for a burst of uploads', async () => {
    await loadSymbol(app, 'ROLL', daily.slice(0, 60));
    const more = await call('POST', '/v1/bars?symbol=ROLL', { payload: csvOf(daily.slice(60)), headers: { 'content-type': 'text/csv' } });
    expect(more.statusCode).toBe(200);
    const queue = new Queue(QUEUES.barsRollup, { connection: redis, prefix: bullPrefix(app.config) });
    const delayed = await queue.getDelayed();
    await queue.close();
    expect(delayed.map((job) => job.data)).toEqual([{ interval: '1d' }]);
    const metrics = parsePrometheusText((await app.inject({ url: '/metrics', headers: scrapeHeaders(app.config) })).body);
    expect(sampleValue(metrics, 'bars_ingested_rows_total', { interval: '1d' })).toBe(daily.length);
    expect(sampleValue(metrics, 'queue_jobs', { queue: 'bars.rollup', state: 'delayed' })).toBe(1);
  });

  it('serves weekly and monthly bars equal to aggregates of the daily ones once the job ran', async () => {
    workers = await buildWorker(app.config);
    await workers.app.ready();
    const weekly = aggregate(daily, weekOf);
    expect(await rollup('ROLL', '1w', weekly.length)).toEqual(weekly);
    const monthly = aggregate(daily, monthOf);
    expect(await rollup('ROLL', '1mo', monthly.length)).toEqual(monthly);
    // A rolled-up page says how current it is; uploaded bars need not.
    const page = async (interval: string) => (await call('GET', `/v1/bars?symbol=ROLL&interval=${interval}&limit=1`)).json() as { rollupAsOf?: string };
    await expect.poll(async () => Date.parse((await page('1w')).rollupAsOf ?? '') > Date.now() - 5_000).toBe(true);
    expect((await page('1d')).rollupAsOf).toBeUndefined();
  });

  it('serves hourly and daily bars from minute bars', async () => {
    const minutes = dailyBars(180, 9).map((bar, i) => ({ ...bar, ts: Date.UTC(2021, 5, 1, 13, 30) + i * 60_000 }));
    await call('POST', '/v1/instruments', { payload: { symbol: 'MINS', name: 'minutes' } });
    const res = await call('POST', '/v1/bars?symbol=MINS&interval=1m', {
      payload: `date,open,high,low,close,volume\n${minutes.map((b) => `${new Date(b.ts).toISOString()},${b.open},${b.high},${b.low},${b.close},${b.volume}`).join('\n')}\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.statusCode).toBe(200);
    const hourly = aggregate(minutes, hourOf);
    expect(hourly).toHaveLength(4);
    expect(await rollup('MINS', '1h', 4)).toEqual(hourly);
    expect(await rollup('MINS', '1d', 1)).toEqual(aggregate(minutes, (ts) => Math.floor(ts / DAY) * DAY));
  });

  it("drops only the cached values of the intervals a run rebuilt: daily ones survive the weekly rollup's update", async () => {
    const indicator = (interval: string) => call('GET', `/v1/indicators/sma?symbol=ROLL&interval=${interval}&period=3`);
    const computed = () => app.cache.stats().namespaces.indicators?.factoryCalls ?? 0;
    await indicator('1d');
    await indicator('1w');
    const before = computed();
    // What an upload of daily bars notes, and the bars.rollup job then does: update the weekly and monthly rollups.
    const { rows } = await app.db.write.query<{ id: number }>("SELECT id FROM instruments WHERE symbol = 'ROLL'");
    await app.db.write.query("INSERT INTO rollup_pending (instrument_id, interval, from_ts, to_ts) VALUES ($1, '1d', '2021-02-01', '2021-02-05')", [rows[0]?.id]);
    expect(await processRollup({ db: app.db, cache: app.cache }, { data: { interval: '1d' } } as Job<RollupJobData>)).toEqual({ spans: 1, buckets: 0 });
    expect((await indicator('1d')).statusCode).toBe(200);
    expect(computed()).toBe(before);
    expect((await indicator('1w')).statusCode).toBe(200);
    expect(computed()).toBe(before + 1);
  });

  it('follows a re-upload: rollups, and cached indicators over them, change after the refresh', async () => {
    const sma = async () => (await call('GET', '/v1/indicators/sma?symbol=ROLL&interval=1w&period=2')).json().values.sma as (number | null)[];
    const before = await sma();
    const last = daily.at(-1) as DailyBar;
    const changed = { ...last, high: last.high * 3, close: last.close * 2 };
    expect((await call('POST', '/v1/bars?symbol=ROLL', { payload: csvOf([changed]), headers: { 'content-type': 'text/csv' } })).statusCode).toBe(200);
    // Read at once: the weekly series is cached from the view as it was before the refresh, and
    // only the refresh's invalidation can replace it.
    let after = await sma();
    expect(after).toEqual(before);
    for (let i = 0; i < 100 && after.at(-1) === before.at(-1); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await sma();
    }
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after.at(-1)).not.toBe(before.at(-1));
    const week = (await call('GET', '/v1/bars?symbol=ROLL&interval=1w&limit=10000')).json().items.at(-1) as WireBar;
    expect(week.close).toBe(changed.close);
  });
});
