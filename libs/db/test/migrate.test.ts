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
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND relname <> 'schema_migrations'
       UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace
       UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
       UNION ALL SELECT 'column ' || c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND c.relname <> 'schema_migrations' AND a.attnum > 0 AND NOT a.attisdropped
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
});
