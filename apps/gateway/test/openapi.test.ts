import type { Service } from '@meridian/service';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { retryDelayMs } from '../src/openapi/index.js';

let ctx: TestContext;
let gateway: Service;
let gatewayUrl: string;
let signals: FastifyInstance;
let monitor: FastifyInstance;
let backtest: FastifyInstance | undefined;
let backtestPort: number;

function documentOf(path: string): FastifyInstance {
  const app = Fastify();
  app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: { [path]: { get: { responses: { 200: { description: 'ok' } } } } } }));
  return app;
}

beforeAll(async () => {
  ctx = await createTestContext();
  signals = documentOf('/v1/instruments');
  const signalsUrl = await signals.listen({ host: '127.0.0.1', port: 0 });
  monitor = documentOf('/v1/monitor/services');
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
    backtest = documentOf('/v1/strategies');
    await backtest.listen({ host: '127.0.0.1', port: backtestPort });
    expect(await paths()).toEqual(expect.arrayContaining(['/v1/instruments', '/v1/strategies']));
  });

  it('asks a missing service again after 1, 2, 4 and 8 s, then every 15 s', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  });
});
