import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BarRepository } from '../src/bars/repository.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let db: TestDatabase;
let pool: pg.Pool;
let bars: BarRepository;
let instrumentId: number;
let emptyId: number;

// Awkward values on purpose: ms timestamps before 1970 and in the future, prices that are not
// short decimals, a huge volume and a missing one.
const STORED = [
  { ts: '1969-07-20T20:17:40.123Z', open: 0.1, high: 1e-300, low: -2.5, close: 1 / 3, volume: null },
  { ts: '2020-01-02T00:00:00.000Z', open: 3253.05, high: 3258.14, low: 3235.53, close: 3257.85, volume: 3_458_250_000 },
  { ts: '2099-12-31T23:59:59.999Z', open: Math.PI, high: 1.7976931348623157e308, low: 5e-324, close: 123456.789, volume: 0 },
];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const insert = "INSERT INTO instruments (symbol, name) VALUES ($1, 'c') RETURNING id";
  instrumentId = ((await pool.query<{ id: number }>(insert, ['COLS'])).rows[0] as { id: number }).id;
  emptyId = ((await pool.query<{ id: number }>(insert, ['NONE'])).rows[0] as { id: number }).id;
  // Stored out of time order: the columns come back sorted.
  for (const bar of [...STORED].reverse()) {
    await pool.query('INSERT INTO bars (instrument_id, interval, ts, open, high, low, close, volume) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [instrumentId, '1d', bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume]);
  }
  bars = new BarRepository(pool);
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('BarRepository.columns', () => {
  it('returns every bar as float64 columns in time order, exactly as stored, a missing volume as NaN', async () => {
    const columns = await bars.columns(instrumentId, '1d');
    expect([...columns.ts]).toEqual(STORED.map((bar) => Date.parse(bar.ts)));
    expect([...columns.open]).toEqual(STORED.map((bar) => bar.open));
    expect([...columns.high]).toEqual(STORED.map((bar) => bar.high));
    expect([...columns.low]).toEqual(STORED.map((bar) => bar.low));
    expect([...columns.close]).toEqual(STORED.map((bar) => bar.close));
    expect([...columns.volume]).toEqual([Number.NaN, 3_458_250_000, 0]);
  });

  it('agrees with the row reads of the same bars', async () => {
    const columns = await bars.columns(instrumentId, '1d');
    const rows = await bars.page({ instrumentId, interval: '1d' }, { limit: 10 });
    expect(rows.map((row) => row.ts.getTime())).toEqual([...columns.ts]);
    expect(rows.map((row) => row.close)).toEqual([...columns.close]);
  });

  it('returns empty columns for an instrument without bars, and leaves the pool usable', async () => {
    const columns = await bars.columns(emptyId, '1d');
    expect(columns.ts).toHaveLength(0);
    expect(columns.volume).toHaveLength(0);
    expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('rejects what it cannot put into its COPY statement safely', async () => {
    await expect(bars.columns(1.5, '1d')).rejects.toThrow(TypeError);
    await expect(bars.columns(instrumentId, "1d' OR true --" as '1d')).rejects.toThrow(/unknown interval/);
  });
});
