import { readFileSync } from 'node:fs';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData, sp500File } from '../data/demo.js';
import { syntheticBars } from '../data/synthetic.js';

let ctx: TestContext;
let db: pg.Client;

async function counts(): Promise<Record<string, number>> {
  const { rows } = await db.query<{ symbol: string; n: number }>(
    "SELECT i.symbol, count(*)::int AS n FROM bars b JOIN instruments i ON i.id = b.instrument_id WHERE b.interval = '1d' GROUP BY 1 ORDER BY 1",
  );
  return Object.fromEntries(rows.map((r) => [r.symbol, r.n]));
}

beforeAll(async () => {
  ctx = await createTestContext();
  db = new pg.Client({ connectionString: ctx.database.url });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await ctx.cleanup();
});

describe('demo data', () => {
  it('loads every S&P 500 daily bar from vega-datasets and four synthetic series, once', async () => {
    const lines = readFileSync(sp500File(), 'utf8').trim().split('\n');
    await loadDemoData(ctx.config('signals').database, () => undefined);
    expect(await counts()).toEqual({ SPX: lines.length - 1, SYNA: 5283, SYNB: 5283, SYNC: 5283, SYND: 5283 });

    const [date, open, high, low, close, , volume] = (lines[1] as string).split(',');
    const { rows } = await db.query(
      "SELECT ts, open, high, low, close, volume FROM bars JOIN instruments i ON i.id = instrument_id WHERE i.symbol = 'SPX' ORDER BY ts LIMIT 1",
    );
    expect(rows[0]).toEqual({ ts: new Date(`${date}T00:00:00Z`), open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume) });

    const logged: string[] = [];
    await loadDemoData(ctx.config('signals').database, (line) => logged.push(line));
    expect(logged).toEqual([]);

    // Weekly and monthly rollups are there at once, with no API ingest to queue their refresh.
    const { rows: months } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bars_1mo JOIN instruments i ON i.id = instrument_id WHERE i.symbol = 'SPX'",
    );
    expect(months[0]?.n).toBe(new Set(lines.slice(1).map((line) => line.slice(0, 7))).size);
  });
});

describe('synthetic bars', () => {
  it('are the same for the same seed, and always consistent OHLC on weekdays', () => {
    const options = { seed: 3, interval: '1m' as const, rows: 5000, start: Date.UTC(2020, 0, 1) };
    const a = [...syntheticBars(options)];
    expect([...syntheticBars(options)]).toEqual(a);
    expect([...syntheticBars({ ...options, seed: 4 })]).not.toEqual(a);
    for (const bar of a) {
      expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
      expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
      expect([0, 6]).not.toContain(new Date(bar.ts).getUTCDay());
    }
    expect(new Set(a.map((b) => b.ts)).size).toBe(a.length);
  });
});
