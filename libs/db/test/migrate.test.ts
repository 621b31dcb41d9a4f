import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1",
    );
    return rows.map((row) => row.table_name);
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
    const all = await tables(db.url);
    expect(all).toEqual(expect.arrayContaining(['instruments', 'strategies']));

    const down = await migrate({ databaseUrl: db.url, direction: 'down' });
    expect(down).toEqual([up.at(-1)]);
    expect((await tables(db.url)).length).toBeLessThan(all.length);

    expect(await migrate({ databaseUrl: db.url })).toEqual([up.at(-1)]);
    expect(await tables(db.url)).toEqual(all);
    expect(await migrate({ databaseUrl: db.url })).toEqual([]);
  });
});
