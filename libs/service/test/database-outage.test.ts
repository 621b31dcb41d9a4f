import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../src/index.js';
import { DatabaseOutage } from '../src/database-outage.js';
import { createTestContext, signedHeaders, type TestContext } from '../src/testing/index.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

describe('a database outage', () => {
  it('answers every request that needs the database 503 problem+json with Retry-After, never 500', async () => {
    const app = await createService({ config: ctx.config('backtest', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }) });
    app.get('/v1/rows', async () => (await app.db.read.query('SELECT 1 AS one')).rows);
    try {
      for (let i = 0; i < 5; i++) {
        const res = await app.inject({ url: '/v1/rows', headers: signedHeaders(app.config, 'GET', '/v1/rows') });
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ type: '/problems/database-unavailable', requestId: res.headers['x-request-id'] });
      }
    } finally {
      await app.close();
    }
  });

  it('is logged once when it starts and once when the database answers again', async () => {
    const lines: string[] = [];
    const log = { warn: (_: object, message: string) => void lines.push(message), info: (_: object, message: string) => void lines.push(message) };
    const pool = new pg.Pool({ connectionString: ctx.database.url });
    const outage = new DatabaseOutage(pool, log);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    try {
      for (let i = 0; i < 100; i++) expect(outage.seen(refused)).toBe(true);
      expect(outage.seen(new Error('syntax error at or near "SELEC"'))).toBe(false);
      expect(lines).toEqual(['database unavailable: answering 503 until it returns']);
      // The pool reaches the real database, so the first probe finds it back.
      await expect.poll(() => lines.length, { timeout: 5_000, interval: 100 }).toBe(2);
      expect(lines[1]).toBe('database reachable again');
    } finally {
      outage.stop();
      await pool.end();
    }
  });
});
