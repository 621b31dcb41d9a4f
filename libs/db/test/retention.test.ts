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

it('finishes the detach of a partition that an earlier run left pending, then drops it', async () => {
  const { rows } = await pool.query<{ id: number }>("INSERT INTO instruments (symbol, name) VALUES ('PEND', 'p') RETURNING id");
  const id = rows[0]?.id as number;
  const start = Date.UTC(2020, 0, 20);
  await ingestBars(pool, { instrumentId: id, interval: '1m', format: 'csv', source: Readable.from([csv(start, start + 20 * DAY, 60 * 60_000)]) });
  // A reader holds the partitions while a detach waits for it; the detach is then cancelled.
  const reader = await pool.connect();
  const detacher = new pg.Client({ connectionString: db.url });
  await detacher.connect();
  try {
    await reader.query('BEGIN');
    await reader.query("SELECT count(*) FROM bars WHERE interval = '1m'");
    const pid = (await detacher.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const detach = detacher.query('ALTER TABLE bars_p_1m DETACH PARTITION bars_p_1m_2020_01 CONCURRENTLY').catch((error: Error) => error);
    await expect.poll(async () => (await pool.query("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", [pid])).rows[0]?.wait_event_type, { timeout: 5_000 }).toBe('Lock');
    await pool.query('SELECT pg_cancel_backend($1)', [pid]);
    expect(String(await detach)).toMatch(/cancel/);
  } finally {
    await reader.query('COMMIT');
    reader.release();
    await detacher.end();
  }
  const pending = async () => (await pool.query<{ pending: boolean }>("SELECT inhdetachpending AS pending FROM pg_inherits WHERE inhrelid = 'bars_p_1m_2020_01'::regclass")).rows[0]?.pending;
  expect(await pending()).toBe(true);

  const now = new Date(Date.UTC(2020, 1, 10));
  const expiredRows = Math.ceil((Date.UTC(2020, 1, 1) - start) / (60 * 60_000));
  const { deleted } = await deleteExpiredBars(pool, { '1m': 5 }, now);
  expect(await pool.query("SELECT 1 FROM pg_class WHERE relname = 'bars_p_1m_2020_01'").then((r) => r.rowCount)).toBe(0);
  // January's rows went with its partition; February's before the horizon were deleted.
  expect(deleted['1m']).toBe(expiredRows + 4 * 24);
});

