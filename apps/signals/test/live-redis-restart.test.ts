import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Service } from '@meridian/service';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { caller, csvOf, dailyBars } from './helpers.js';
import { subscribe } from './live-client.js';

// A Redis of this file's own, so it can be stopped and started again without touching the shared one.
let port = 0;
let redis: ChildProcess | undefined;
let ctx: TestContext;
let app: Service;
let base = '';

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.unref();
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(): Promise<void> {
  const exited = new Promise((resolve) => redis?.once('exit', resolve));
  redis?.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  await startRedis();
  ctx = await createTestContext();
  app = await buildApp({ config: ctx.config('signals', { REDIS_URL: `redis://127.0.0.1:${port}`, LIVE_HEARTBEAT_MS: '200', LOG_LEVEL: 'silent' }) });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  expect((await caller(app)('POST', '/v1/instruments', { payload: { symbol: 'LIVR', name: 'LIVR' } })).statusCode).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await stopRedis();
  await ctx?.cleanup();
});

describe('a live stream across a Redis restart', () => {
  it('resumes by itself once Redis is back: bars uploaded after the restart arrive', async () => {
    const client = subscribe(base, '/v1/live?symbols=LIVR', app.config);
    await client.until(() => client.events.some((e) => e.event === 'heartbeat'));
    await stopRedis();
    await startRedis();
    // Bars stored while the service has no Redis are not promised to live clients: wait until it is back.
    for (let i = 0; i < 200 && app.redis.status !== 'ready'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.redis.status).toBe('ready');
    const bars = dailyBars(3, 2, Date.UTC(2027, 0, 1));
    expect((await caller(app)('POST', '/v1/bars?symbol=LIVR', { payload: csvOf(bars), headers: { 'content-type': 'text/csv' } })).statusCode).toBe(200);
    await client.until(() => client.bars().length === 3, 15_000);
    expect(client.bars().map((e) => e.data.ts)).toEqual(bars.map((b) => new Date(b.ts).toISOString()));
    expect(client.ended()).toBe(false);
    await client.close();
  }, 30_000);
});
