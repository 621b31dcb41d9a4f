import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestBars } from '../src/bars/ingest.js';
import { applyPendingRollups, rollupAsOf } from '../src/bars/rollups.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let db: TestDatabase;
let pool: pg.Pool;

const MINUTE = 60_000;
const DAY = 86_400_000;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** A seeded generator, so a failing sequence can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function csv(times: number[], rand: () => number): string {
  const lines = times.map((ts) => {
    const open = 50 + rand() * 50;
    const close = 50 + rand() * 50;
    return `${new Date(ts).toISOString()},${open},${Math.max(open, close) + rand()},${Math.min(open, close) - rand()},${close},${Math.floor(rand() * 1000)}`;
  });
  return `ts,open,high,low,close,volume\n${lines.join('\n')}\n`;
}

const upload = (instrumentId: number, interval: string, text: string) => ingestBars(pool, { instrumentId, interval, format: 'csv', source: Readable.from([text]) });

/** Every rollup table as a full recomputation from the bars would have it, against what it holds. */
async function compare(): Promise<{ table: string; held: unknown[]; full: unknown[] }[]> {
  const rollups = [
    { table: 'bars_1h', from: '1m', unit: 'hour' },
    { table: 'bars_1d_from_1m', from: '1m', unit: 'day' },
    { table: 'bars_1w', from: '1d', unit: 'week' },
    { table: 'bars_1mo', from: '1d', unit: 'month' },
  ];
  const out = [];
  for (const { table, from, unit } of rollups) {
    const held = await pool.query(`SELECT instrument_id, ts, open, high, low, close, volume FROM ${table} ORDER BY instrument_id, ts`);
    const full = await pool.query(
      `SELECT instrument_id, date_trunc('${unit}', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS ts,
              (array_agg(open ORDER BY ts))[1] AS open, max(high) AS high, min(low) AS low, (array_agg(close ORDER BY ts DESC))[1] AS close, sum(volume) AS volume
       FROM bars WHERE interval = '${from}' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    out.push({ table, held: held.rows, full: full.rows });
  }
  return out;
}

it('keeps every rollup equal to a full recomputation through a random sequence of uploads', async () => {
  const rand = random(20261206);
  const ids: number[] = [];
  for (const symbol of ['RA', 'RB', 'RC']) {
    const { rows } = await pool.query<{ id: number }>('INSERT INTO instruments (symbol, name) VALUES ($1, $1) RETURNING id', [symbol]);
    ids.push(rows[0]?.id as number);
  }
  const start = { '1m': Date.UTC(2024, 2, 29, 22, 0), '1d': Date.UTC(2023, 11, 20) };
  const step = { '1m': MINUTE, '1d': DAY };
  const stored = new Map<string, number>();
  for (let round = 0; round < 40; round++) {
    const instrumentId = ids[Math.floor(rand() * (round < 6 ? round / 2 + 1 : ids.length))] as number;
    const interval = rand() < 0.5 ? '1m' : '1d';
    const known = stored.get(`${instrumentId} ${interval}`) ?? 0;
    // Appended bars, a correction inside what is stored, or a re-upload overlapping both.
    const kind = known === 0 ? 'append' : (['append', 'correct', 'overlap'] as const)[Math.floor(rand() * 3)];
    const first = kind === 'append' ? known : kind === 'correct' ? Math.floor(rand() * known) : Math.max(0, known - Math.floor(rand() * 30));
    const count = kind === 'correct' ? 1 + Math.floor(rand() * 3) : 1 + Math.floor(rand() * 150);
    const times = Array.from({ length: count }, (_, i) => start[interval] + (first + i) * step[interval]);
    await upload(instrumentId, interval, csv(times, rand));
    stored.set(`${instrumentId} ${interval}`, Math.max(known, first + count));
    // The job runs after some uploads, not every one: spans pile up and overlap.
    if (rand() < 0.4) {
      await applyPendingRollups(pool, '1m');
      await applyPendingRollups(pool, '1d');
    }
  }
  await applyPendingRollups(pool, '1m');
  await applyPendingRollups(pool, '1d');
  for (const { table, held, full } of await compare()) {
    expect(held.length, table).toBeGreaterThan(0);
    expect(held, table).toEqual(full);
  }
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM rollup_pending');
  expect(rows[0]?.n).toBe(0);
});

it('says how current a rollup is: the time of the oldest upload not yet in it', async () => {
  const { rows } = await pool.query<{ id: number }>("INSERT INTO instruments (symbol, name) VALUES ('ASOF', 'a') RETURNING id");
  const id = rows[0]?.id as number;
  const before = new Date();
  await upload(id, '1d', csv([Date.UTC(2024, 0, 2)], random(1)));
  const pending = await rollupAsOf(pool, id, '1d');
  expect(pending.getTime()).toBeLessThanOrEqual(Date.now());
  expect(pending.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);
  // Not noted again by a re-upload that changes nothing.
  await upload(id, '1d', csv([Date.UTC(2024, 0, 2)], random(1)));
  expect(await pool.query('SELECT 1 FROM rollup_pending WHERE instrument_id = $1', [id]).then((r) => r.rowCount)).toBe(1);
  await applyPendingRollups(pool, '1d');
  const current = await rollupAsOf(pool, id, '1d');
  expect(current.getTime()).toBeGreaterThan(pending.getTime());
});
