import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

/** Tables and materialized views (information_schema.tables leaves the latter out), their columns, constraints and triggers. */
async function schema(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm', 'p') AND relname <> 'schema_migrations'
       UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace
       UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
       UNION ALL SELECT 'column ' || c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm', 'p') AND c.relname <> 'schema_migrations' AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
  });
  afterAll(() => db.drop());

  it('go up, down one, and up again on a fresh database', async () => {
    const up = await migrate({ databaseUrl: db.url });
    expect(up.length).toBeGreaterThanOrEqual(2);
    const all = await schema(db.url);
    expect(all).toEqual(expect.arrayContaining(['instruments', 'strategies', 'bars', 'bars_1w', 'trigger instruments_delete_signal_events']));

    const down = await migrate({ databaseUrl: db.url, direction: 'down' });
    expect(down).toEqual([up.at(-1)]);
    expect(await schema(db.url)).not.toEqual(all);

    expect(await migrate({ databaseUrl: db.url })).toEqual([up.at(-1)]);
    expect(await schema(db.url)).toEqual(all);
    expect(await migrate({ databaseUrl: db.url })).toEqual([]);
  });

  it('move a database with bars and rollup views to rollup tables and partitioned bars without losing a bar', async () => {
    const old = await createTestDatabase({ empty: true });
    const client = new pg.Client({ connectionString: old.url });
    try {
      await migrate({ databaseUrl: old.url, count: 10 });
      await client.connect();
      const { rows } = await client.query<{ id: number }>("INSERT INTO instruments (symbol, name) VALUES ('MIG', 'm') RETURNING id");
      const id = rows[0]?.id;
      // Three days of minute bars and a year of daily ones.
      await client.query(
        `INSERT INTO bars SELECT $1, '1m', t, 10 + g % 7, 18, 9, 11 + g % 5, g FROM generate_series(0, 3 * 1440 - 1) g, LATERAL (SELECT timestamptz '2024-03-01 00:00Z' + g * interval '1 minute' AS t) x`,
        [id],
      );
      await client.query(`INSERT INTO bars SELECT $1, '1d', timestamptz '2023-01-02 00:00Z' + g * interval '1 day', 20 + g % 9, 40, 15, 21 + g % 4, g FROM generate_series(0, 364) g`, [id]);
      for (const view of ['bars_1w', 'bars_1mo', 'bars_1h', 'bars_1d_from_1m']) await client.query(`REFRESH MATERIALIZED VIEW ${view}`);
      const checksum = async () => (await client.query<{ n: string; sum: string }>("SELECT count(*) AS n, md5(string_agg(concat_ws(',', instrument_id, interval, ts, open, high, low, close, volume), ';' ORDER BY instrument_id, interval, ts)) AS sum FROM bars")).rows[0];
      const contents = async (relation: string) => (await client.query(`SELECT instrument_id, interval, ts, open, high, low, close, volume FROM ${relation} ORDER BY instrument_id, ts`)).rows;
      const before = { bars: await checksum(), w: await contents('bars_1w'), mo: await contents('bars_1mo'), h: await contents('bars_1h'), d: await contents('bars_1d_from_1m') };
      expect(before.bars?.n).toBe(String(3 * 1440 + 365));
      expect(before.h).toHaveLength(72);

      await migrate({ databaseUrl: old.url });
      expect(await checksum()).toEqual(before.bars);
      // The minute bars sit in their month's partition, the daily ones in theirs.
      const where = await client.query<{ name: string; n: number }>('SELECT tableoid::regclass::text AS name, count(*)::int AS n FROM bars GROUP BY 1 ORDER BY 1');
      expect(where.rows).toEqual([{ name: 'bars_p_1m_2024_03', n: 3 * 1440 }, { name: 'bars_p_daily', n: 365 }]);
      expect({ w: await contents('bars_1w'), mo: await contents('bars_1mo'), h: await contents('bars_1h'), d: await contents('bars_1d_from_1m') }).toEqual({ w: before.w, mo: before.mo, h: before.h, d: before.d });
    } finally {
      await client.end();
      await old.drop();
    }
  });
});
