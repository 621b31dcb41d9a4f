import type { Service } from '@meridian/service';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { REFRESH_MS } from '../src/openapi/index.js';

let ctx: TestContext;
let gateway: Service;
let gatewayUrl: string;
let signals: FastifyInstance;
let monitor: FastifyInstance;
let backtest: FastifyInstance | undefined;
let backtestPort: number;

let signalsPath = '/v1/instruments';

function documentOf(path: () => string): FastifyInstance {
  const app = Fastify();
  app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: { [path()]: { get: { responses: { 200: { description: 'ok' } } } } } }));
  return app;
}

beforeAll(async () => {
  ctx = await createTestContext();
  signals = documentOf(() => signalsPath);
  const signalsUrl = await signals.listen({ host: '127.0.0.1', port: 0 });
  monitor = documentOf(() => '/v1/monitor/services');
  const monitorUrl = await monitor.listen({ host: '127.0.0.1', port: 0 });
  backtestPort = await freePort();
  gateway = await buildApp({ config: ctx.config('gateway', { SIGNALS_URL: signalsUrl, BACKTEST_URL: `http://127.0.0.1:${backtestPort}`, MONITOR_URL: monitorUrl }) });
  gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await gateway.close();
  await signals.close();
  await monitor.close();
  await backtest?.close();
  await ctx.cleanup();
});

const paths = async () => Object.keys(((await (await fetch(`${gatewayUrl}/openapi.json`)).json()) as { paths: object }).paths);

describe('the merged API document', () => {
  it('includes a service that came up after the gateway on the very next request', async () => {
    expect(await paths()).not.toContain('/v1/strategies');
    backtest = documentOf(() => '/v1/strategies');
    await backtest.listen({ host: '127.0.0.1', port: backtestPort });
    expect(await paths()).toEqual(expect.arrayContaining(['/v1/instruments', '/v1/strategies']));
  });

  it('picks up a service\'s changed document once the merged one is older than the refresh interval, on /openapi.json and /docs/json', async () => {
    await paths();
    signalsPath = '/v1/bars';
    expect(await paths()).not.toContain('/v1/bars');
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + REFRESH_MS + 1 });
    try {
      const docs = (await (await fetch(`${gatewayUrl}/docs/json`)).json()) as { paths: object };
      expect(Object.keys(docs.paths)).toContain('/v1/bars');
      expect(await paths()).toEqual(expect.arrayContaining(['/v1/bars', '/v1/strategies']));
    } finally {
      vi.useRealTimers();
    }
  });
});
