import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestBars } from '../src/bars/ingest.js';
import { partitionsBetween } from '../src/bars/partitions.js';
import { BarRepository } from '../src/bars/repository.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

function minutes(from: number, count: number, step = 60_000): string {
  const lines = Array.from({ length: count }, (_, i) => `${new Date(from + i * step).toISOString()},10,12,9,11,${i}`);
  return `ts,open,high,low,close,volume\n${lines.join('\n')}\n`;
}

const upload = (instrumentId: number, interval: string, text: string, batchChars?: number) =>
  ingestBars(pool, { instrumentId, interval, format: 'csv', source: Readable.from([text]), ...(batchChars ? { batchChars } : {}) });

const leaves = async (parent: string) =>
  (await pool.query<{ name: string }>('SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1', [parent])).rows.map((r) => r.name);

async function instrument(symbol: string): Promise<number> {
  const { rows } = await pool.query<{ id: number }>('INSERT INTO instruments (symbol, name) VALUES ($1, $1) RETURNING id', [symbol]);
  return rows[0]?.id as number;
}

it('names each month of minute bars and each year of other intraday bars, and none for daily bars', () => {
  expect(partitionsBetween('1m', Date.UTC(2024, 10, 30, 23), Date.UTC(2025, 1, 1)).map((p) => p.name)).toEqual(['bars_p_1m_2024_11', 'bars_p_1m_2024_12', 'bars_p_1m_2025_01', 'bars_p_1m_2025_02']);
  expect(partitionsBetween('5m', Date.UTC(2023, 5, 1), Date.UTC(2024, 0, 1)).map((p) => p.name)).toEqual(['bars_p_5m_2023', 'bars_p_5m_2024']);
  expect(partitionsBetween('1d', 0, Date.UTC(2030, 0, 1))).toEqual([]);
});

it('creates the partitions data needs as it arrives, recent months first and old history backfilled after', async () => {
  const id = await instrument('PART');
  // Recent data across a month boundary, in several batches.
  expect(await upload(id, '1m', minutes(Date.UTC(2024, 2, 31, 23, 0), 180), 2_000)).toMatchObject({ inserted: 180 });
  // History from years before, arriving later, unordered: one batch at the end of the file.
  const history = minutes(Date.UTC(2019, 0, 31, 23, 30), 60).split('\n');
  expect(await upload(id, '1m', [history[0], ...history.slice(1, -1).reverse(), ''].join('\n'))).toMatchObject({ inserted: 60 });
  expect(await leaves('bars_p_1m')).toEqual(expect.arrayContaining(['bars_p_1m_2019_01', 'bars_p_1m_2019_02', 'bars_p_1m_2024_03', 'bars_p_1m_2024_04']));
  const counts = await pool.query<{ name: string; n: number }>(
    "SELECT tableoid::regclass::text AS name, count(*)::int AS n FROM bars WHERE instrument_id = $1 GROUP BY 1 ORDER BY 1",
    [id],
  );
  expect(counts.rows).toEqual([
    { name: 'bars_p_1m_2019_01', n: 30 },
    { name: 'bars_p_1m_2019_02', n: 30 },
    { name: 'bars_p_1m_2024_03', n: 60 },
    { name: 'bars_p_1m_2024_04', n: 120 },
  ]);
  // A range read across partitions comes back whole and in order.
  const rows = await new BarRepository(pool).page({ instrumentId: id, interval: '1m' }, { limit: 1_000 });
  expect(rows).toHaveLength(240);
  expect(rows.map((r) => r.ts.getTime())).toEqual([...rows.map((r) => r.ts.getTime())].sort((a, b) => a - b));
  // Daily bars need no partition of their own.
  expect(await upload(id, '1d', minutes(Date.UTC(1990, 0, 1), 3, 86_400_000))).toMatchObject({ inserted: 3 });
});

it('lets concurrent uploads into a month nobody has stored yet both succeed', async () => {
  const [a, b] = [await instrument('CONA'), await instrument('CONB')];
  const results = await Promise.all([upload(a, '1m', minutes(Date.UTC(2031, 6, 1), 100)), upload(b, '1m', minutes(Date.UTC(2031, 6, 1), 100)), upload(a, '5m', minutes(Date.UTC(2031, 6, 1), 10, 300_000))]);
  expect(results.map((r) => r.inserted)).toEqual([100, 100, 10]);
  expect(await leaves('bars_p_1m')).toContain('bars_p_1m_2031_07');
  expect(await leaves('bars_p_5m')).toContain('bars_p_5m_2031');
});
