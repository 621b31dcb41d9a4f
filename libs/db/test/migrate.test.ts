import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

async function relations(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Tables and materialized views (information_schema.tables leaves the latter out).
    const { rows } = await client.query<{ relname: string }>(
      "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND relname <> 'schema_migrations' ORDER BY 1",
    );
    return rows.map((row) => row.relname);
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
    const all = await relations(db.url);
    expect(all).toEqual(expect.arrayContaining(['instruments', 'strategies', 'bars', 'bars_1w']));

    const down = await migrate({ databaseUrl: db.url, direction: 'down' });
    expect(down).toEqual([up.at(-1)]);
    expect((await relations(db.url)).length).toBeLessThan(all.length);

    expect(await migrate({ databaseUrl: db.url })).toEqual([up.at(-1)]);
    expect(await relations(db.url)).toEqual(all);
    expect(await migrate({ databaseUrl: db.url })).toEqual([]);
  });
});
