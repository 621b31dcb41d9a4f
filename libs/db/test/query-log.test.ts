import { loadConfig } from '@meridian/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { to as copyTo } from 'pg-copy-streams';
import { createPools, type OwnPools, topStatements } from '../src/index.js';
import { timedStream } from '../src/query-log.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let db: TestDatabase;
let pools: OwnPools;
const warnings: { details: Record<string, unknown>; message: string }[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ empty: true });
  const config = loadConfig('signals', { DATABASE_URL: db.url, DATABASE_SLOW_QUERY_MS: '20' });
  pools = createPools(config.database, 'query-log-test', { warn: (details, message) => warnings.push({ details: details as Record<string, unknown>, message }) });
});
afterAll(async () => {
  await pools.close();
  await db.drop();
});

describe('the slow-query log', () => {
  it('counts and times every query by name, errors included', async () => {
    for (let i = 0; i < 5; i++) await pools.read.query({ name: 'test.fast', text: 'SELECT $1::int AS n', values: [i] });
    await expect(pools.read.query({ name: 'test.broken', text: 'SELECT * FROM no_such_table' })).rejects.toThrow('no_such_table');
    await pools.read.query('SELECT 1');
    const stats = pools.queries.stats();
    expect(stats['test.fast']).toMatchObject({ count: 5, errors: 0 });
    expect(stats['test.fast']?.p95).toBeGreaterThanOrEqual(stats['test.fast']?.p50 ?? Infinity);
    expect(stats['test.broken']).toMatchObject({ count: 1, errors: 1 });
    expect(stats['sql:SELECT 1']?.count).toBe(1);
  });

  it('times a COPY stream given a name, from submission to its end, and leaves unnamed ones out', async () => {
    const client = await pools.read.connect();
    try {
      const read = async (stream: NodeJS.ReadableStream) => {
        let bytes = 0;
        for await (const chunk of stream) bytes += (chunk as Buffer).length;
        return bytes;
      };
      expect(await read(client.query(timedStream(copyTo('COPY (SELECT generate_series(1, 1000)) TO STDOUT'), 'test.copy')))).toBeGreaterThan(1000);
      await read(client.query(copyTo('COPY (SELECT 1) TO STDOUT')));
      await expect(read(client.query(timedStream(copyTo('COPY (SELECT * FROM no_such_table) TO STDOUT'), 'test.copy-broken')))).rejects.toThrow('no_such_table');
    } finally {
      client.release();
    }
    const stats = pools.queries.stats();
    expect(stats['test.copy']).toMatchObject({ count: 1, errors: 0 });
    expect(stats['test.copy-broken']).toMatchObject({ count: 1, errors: 1 });
    expect(Object.keys(stats).filter((name) => name.includes('COPY'))).toEqual([]);
  });

  it('logs a query above the threshold with its name and duration, and not the fast ones', async () => {
    warnings.length = 0;
    await pools.read.query({ name: 'test.slow', text: 'SELECT pg_sleep(0.05)' });
    await pools.read.query({ name: 'test.quick', text: 'SELECT 1' });
    expect(warnings).toEqual([{ message: 'slow query', details: { query: 'test.slow', ms: expect.any(Number) } }]);
    expect(warnings[0]?.details.ms).toBeGreaterThanOrEqual(50);
  });
});

describe('pg_stat_statements', () => {
  it('lists the top statements where it is loaded, and says why not where it is not', async () => {
    const { rows } = await pools.read.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries');
    const preloaded = rows[0]?.shared_preload_libraries.includes('pg_stat_statements') ?? false;
    const missing = await topStatements(pools.read);
    expect(missing).toMatchObject({ available: false, reason: expect.stringContaining('not installed') });

    await pools.write.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => undefined);
    const result = await topStatements(pools.read, 5);
    if (preloaded) {
      expect(result.available).toBe(true);
      if (result.available) expect(result.byTotal.length).toBeGreaterThan(0);
    } else {
      expect(result).toMatchObject({ available: false, reason: expect.stringContaining('shared_preload_libraries') });
    }
  });
});
