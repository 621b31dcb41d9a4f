import { migrate } from '@meridian/db/migrate';
import { type PostgresServer, PostgresServers } from '@meridian/db/testing';
import type { Service } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { caller, csvOf, dailyBars } from './helpers.js';

// The replica replays 300 ms behind the primary, as a busy replica may: without read-your-writes
// a read right after an ingest would miss the ingest.
const APPLY_DELAY_MS = 300;
let servers: PostgresServers;
let primaryServer: PostgresServer;
let replicaServer: PostgresServer;
let ctx: TestContext;
let app: Service;
let call: ReturnType<typeof caller>;
let primary: pg.Client;
let replica: pg.Client;
const bars = dailyBars(12, 7);

beforeAll(async () => {
  servers = new PostgresServers();
  primaryServer = await servers.primary();
  replicaServer = await servers.replica(primaryServer, { applyDelay: `${APPLY_DELAY_MS}ms` });
  const admin = new pg.Client({ connectionString: primaryServer.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE meridian');
  await admin.end();
  await migrate({ databaseUrl: primaryServer.url('meridian') });
  primary = new pg.Client({ connectionString: primaryServer.url('meridian') });
  await primary.connect();
  // The replica has the database once it has replayed its creation.
  const deadline = Date.now() + 20_000;
  for (;;) {
    replica = new pg.Client({ connectionString: replicaServer.url('meridian') });
    if (await replica.connect().then(() => true, () => false)) break;
    if (Date.now() > deadline) throw new Error('the replica never had the database');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  ctx = await createTestContext();
  const config = ctx.config('signals', { DATABASE_URL: primaryServer.url('meridian'), DATABASE_READ_URL: replicaServer.url('meridian'), DATABASE_REPLICA_WAIT_MS: '1500' });
  app = await buildApp({ config });
  call = caller(app);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await primary?.end();
  await replica?.end();
  await ctx?.cleanup();
  servers?.destroy();
});

const storedOn = async (client: pg.Client, symbol: string) =>
  Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM bars b JOIN instruments i ON i.id = b.instrument_id WHERE i.symbol = $1', [symbol])).rows[0]?.n);
const served = async (symbol: string) => {
  const response = await call('GET', `/v1/bars?symbol=${symbol}&interval=1d&limit=100`);
  expect(response.statusCode).toBe(200);
  return (response.json() as { items: unknown[] }).items.length;
};
const upload = (symbol: string, from: number, to: number) => call('POST', `/v1/bars?symbol=${symbol}`, { payload: csvOf(bars.slice(from, to)), headers: { 'content-type': 'text/csv' } });
const create = async (symbol: string) => expect((await call('POST', '/v1/instruments', { payload: { symbol, name: symbol } })).statusCode).toBe(201);

describe('signals with DATABASE_READ_URL naming a streaming replica', () => {
  it('stands on a real replica: the server behind the read pool is in recovery', async () => {
    expect((await replica.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows[0]?.standby).toBe(true);
    expect((await primary.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows[0]?.standby).toBe(false);
  });

  it('a read right after an ingest sees the new bars: the ingest answers once the replica has replayed it', async () => {
    // The instrument too: the upload finds it on the replica.
    await create('RYW');
    const started = Date.now();
    expect((await upload('RYW', 0, 5)).statusCode).toBe(200);
    // The wait is the replica's delay, not the whole of DATABASE_REPLICA_WAIT_MS.
    expect(Date.now() - started).toBeGreaterThanOrEqual(APPLY_DELAY_MS - 50);
    expect(await served('RYW')).toBe(5);
    expect((await upload('RYW', 5, 8)).statusCode).toBe(200);
    expect(await served('RYW')).toBe(8);
  });

  it('writes go to the primary and bar reads to the replica', async () => {
    await create('SPLIT');
    expect((await upload('SPLIT', 0, 8)).statusCode).toBe(200);
    // Replay stops: the replica keeps what it had, the primary takes the next upload.
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      const started = Date.now();
      const response = await upload('SPLIT', 8, 12);
      // Stored and answered once DATABASE_REPLICA_WAIT_MS ran out, though the replica lags.
      expect(response.statusCode).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
      expect(await storedOn(primary, 'SPLIT')).toBe(12);
      expect(await storedOn(replica, 'SPLIT')).toBe(8);
      // What the service serves is the replica's.
      expect(await served('SPLIT')).toBe(8);
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
    await expect.poll(() => served('SPLIT'), { timeout: 10_000, interval: 100 }).toBe(12);
  });
});
