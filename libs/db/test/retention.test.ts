import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestBars } from '../src/bars/ingest.js';
import { deleteExpiredBars } from '../src/bars/retention.js';
import { applyPendingRollups } from '../src/bars/rollups.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let db: TestDatabase;
let pool: pg.Pool;

const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 5, 15, 12));

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** One bar each `step` ms over [from, to), as CSV. */
function csv(from: number, to: number, step: number): string {
  const lines: string[] = [];
  for (let ts = from; ts < to; ts += step) lines.push(`${new Date(ts).toISOString()},10,12,9,11,${(ts / step) % 100}`);
  return `ts,open,high,low,close,volume\n${lines.join('\n')}\n`;
}

const snapshot = async (table: string) => (await pool.query(`SELECT instrument_id, ts, open, high, low, close, volume FROM ${table} ORDER BY 1, 2`)).rows;

it('deletes exactly the bars past their interval horizon, in every instrument, and leaves the rollups whole', async () => {
  const ids: number[] = [];
  for (const symbol of ['KEEP1', 'KEEP2']) {
    const { rows } = await pool.query<{ id: number }>('INSERT INTO instruments (symbol, name) VALUES ($1, $1) RETURNING id', [symbol]);
    const id = rows[0]?.id as number;
    ids.push(id);
    // Minute bars every 10 minutes over the 60 days before NOW; daily bars over two years.
    await ingestBars(pool, { instrumentId: id, interval: '1m', format: 'csv', source: Readable.from([csv(NOW.getTime() - 60 * DAY, NOW.getTime(), 10 * 60_000)]) });
    await ingestBars(pool, { instrumentId: id, interval: '1d', format: 'csv', source: Readable.from([csv(NOW.getTime() - 730 * DAY, NOW.getTime(), DAY)]) });
  }
  await applyPendingRollups(pool, '1m');
  await applyPendingRollups(pool, '1d');
  const rollups = { h: await snapshot('bars_1h'), d: await snapshot('bars_1d_from_1m'), w: await snapshot('bars_1w') };
  const horizon = NOW.getTime() - 30 * DAY;
  const count = async (where: string) => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM bars WHERE ${where}`, [horizon])).rows[0]?.n);
  const expired = await count("interval = '1m' AND ts < to_timestamp($1 / 1000.0)");
  const kept = await count("interval = '1m' AND ts >= to_timestamp($1 / 1000.0)");
  const daily = await count("interval = '1d' AND $1::bigint > 0");
  expect(expired).toBeGreaterThan(0);

  const partition = async (name: string) => (await pool.query('SELECT 1 FROM pg_class WHERE relname = $1', [name])).rowCount;
  expect(await partition('bars_p_1m_2026_04')).toBe(1);
  const { deleted, symbols } = await deleteExpiredBars(pool, { '1m': 30 }, NOW);
  // April lies wholly before the horizon: its partition is dropped; May's rows before it are deleted.
  expect(await partition('bars_p_1m_2026_04')).toBe(0);
  expect(await partition('bars_p_1m_2026_05')).toBe(1);
  expect(deleted).toEqual({ '1m': expired });
  expect(symbols.sort()).toEqual(['KEEP1', 'KEEP2']);
  expect(await count("interval = '1m' AND ts < to_timestamp($1 / 1000.0)")).toBe(0);
  expect(await count("interval = '1m' AND ts >= to_timestamp($1 / 1000.0)")).toBe(kept);
  expect(await count("interval = '1d' AND $1::bigint > 0")).toBe(daily);
  // The rollups keep the history the minute bars no longer hold.
  expect(await snapshot('bars_1h')).toEqual(rollups.h);
  expect(await snapshot('bars_1d_from_1m')).toEqual(rollups.d);
  expect(await snapshot('bars_1w')).toEqual(rollups.w);
  expect(rollups.h.length).toBeGreaterThan(60 * 24 * 0.9);

  // Run again: nothing left to delete.
  expect((await deleteExpiredBars(pool, { '1m': 30 }, NOW)).deleted).toEqual({ '1m': 0 });
});

it('refuses an interval it does not know', async () => {
  await expect(deleteExpiredBars(pool, { '2m': 30 }, NOW)).rejects.toThrow(/unknown interval 2m/);
});
