import { createServer } from 'node:net';
import type { Service } from '@meridian/service';
import { createTestContext, signedHeaders, type TestContext } from '@meridian/service/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

let ctx: TestContext;
let app: Service;
const fakeSignals = Fastify();
let closedPort = 0;

beforeAll(async () => {
  ctx = await createTestContext();
  fakeSignals.get('/health/ready', async () => ({ status: 'ready', checks: { postgres: { status: 'up' } } }));
  const signalsUrl = await fakeSignals.listen({ host: '127.0.0.1', port: 0 });
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  app = await buildApp({
    config: ctx.config('monitor', { SIGNALS_URL: signalsUrl, BACKTEST_URL: `http://127.0.0.1:${closedPort}`, GATEWAY_URL: signalsUrl }),
    autoStart: false,
  });
});
afterAll(async () => {
  await app.close();
  await fakeSignals.close();
  await ctx.cleanup();
});

describe('GET /v1/monitor/services', () => {
  it('reports a ready service with its checks and an unreachable one with the reason', async () => {
    const res = await app.inject({ url: '/v1/monitor/services', headers: signedHeaders(app.config, 'GET', '/v1/monitor/services') });
    expect(res.statusCode).toBe(200);
    const byName = Object.fromEntries(res.json().services.map((s: { name: string }) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['backtest', 'gateway', 'signals']);
    expect(byName.signals).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' } } });
    expect(byName.backtest).toMatchObject({ status: 'unreachable', error: 'ECONNREFUSED', url: `http://127.0.0.1:${closedPort}` });
  });
});
