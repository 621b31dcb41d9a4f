import { migrate } from '@meridian/db/migrate';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtProcesses, type RunningStack, startProcesses, waitLive } from '@meridian/tools/stack/processes';
import { type RedisCluster, startRedisCluster } from '@meridian/cache/testing';
import { createKeyWithCli, ROOT, stackEnv } from './stack.js';

const READS_PER_MINUTE = 40;

/**
 * Two instances of the gateway, each in front of its own signals instance, and one signals
 * worker, all on one Redis: a single server, then a three-master Redis Cluster. What one
 * instance does (an upload, a job, a request counted against a key) the other must see.
 */
describe.each([
  ['a single Redis', false],
  ['a Redis Cluster of three masters', true],
] as const)('two gateways and two signals instances on %s', (_name, clustered) => {
  let ctx: TestContext;
  let cluster: RedisCluster | undefined;
  const stacks: RunningStack[] = [];
  let gatewayA: string;
  let gatewayB: string;
  let auth: Record<string, string>;
  let env: Record<string, string>;
  let signalsA: string;
  let signalsB: string;

  beforeAll(async () => {
    ctx = await createTestContext({ emptyDatabase: true });
    cluster = clustered ? await startRedisCluster(3) : undefined;
    const redis: Record<string, string> = cluster ? { REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}`, REDIS_CLUSTER_NODES: cluster.nodes } : {};
    const shared = { ...redis, RATE_LIMIT_READS_PER_MINUTE: String(READS_PER_MINUTE), LOG_LEVEL: 'warn' };
    const envA = await stackEnv(ctx, { ...shared, WORKER_METRICS_PORT: String(await freePort()) });
    const envB = await stackEnv(ctx, shared);
    env = envA;
    signalsA = `http://127.0.0.1:${envA.SIGNALS_PORT}`;
    signalsB = `http://127.0.0.1:${envB.SIGNALS_PORT}`;
    await migrate({ databaseUrl: envA.DATABASE_URL as string });
    // A: gateway, signals and the signals worker; B: a second gateway and signals, no worker.
    stacks.push(startProcesses(builtProcesses(ROOT, ['gateway', 'signals']), envA));
    stacks.push(startProcesses(builtProcesses(ROOT, ['gateway', 'signals']).filter((spec) => !spec.name.endsWith(':worker')), envB));
    gatewayA = `http://127.0.0.1:${envA.GATEWAY_PORT}`;
    gatewayB = `http://127.0.0.1:${envB.GATEWAY_PORT}`;
    const missing = await waitLive([gatewayA, gatewayB, signalsA, signalsB], 45_000);
    expect(missing).toEqual([]);
    auth = { authorization: `Bearer ${createKeyWithCli(envA, 'scale', 'read,write,admin').trim()}` };
  });
  afterAll(async () => {
    await Promise.all(stacks.splice(0).map((stack) => stack.stop()));
    await cluster?.stop();
    await ctx?.cleanup();
  });

  const send = (gateway: string, path: string, init: { method?: string; body?: string; type?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${gateway}${path}`, { method: init.method ?? 'GET', body: init.body, headers: { ...(init.headers ?? auth), ...(init.type ? { 'content-type': init.type } : {}) } });
  /** A value of a signals instance's /metrics, read as Prometheus would. */
  const signalsMetrics = async (base: string) => {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${env.METRICS_TOKEN}` } })).text();
    const samples = parsePrometheusText(text);
    return (name: string, labels: Record<string, string>) => sampleValue(samples, name, labels);
  };
  const csv = (days: number) =>
    `date,open,high,low,close,volume\n${Array.from({ length: days }, (_, i) => `${new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10)},${10 + i},${11 + i},${9 + i},${10.5 + i},100`).join('\n')}\n`;

  it('an upload through one gateway reaches the cached reads of the other instance', async () => {
    expect((await send(gatewayA, '/v1/instruments', { method: 'POST', body: JSON.stringify({ symbol: 'SCL', name: 'Scale' }), type: 'application/json' })).status).toBe(201);
    expect((await send(gatewayA, '/v1/bars?symbol=SCL', { method: 'POST', body: csv(30), type: 'text/csv' })).status).toBe(200);
    const bars = async () => ((await (await send(gatewayB, '/v1/indicators/sma?symbol=SCL&period=2')).json()) as { ts: string[] }).ts.length;
    // B computes and caches the series (memory and Redis).
    expect(await bars()).toBe(30);
    expect(await bars()).toBe(30);
    // A's first read of it comes from Redis (L2), where B left it, without a single Redis error.
    expect((await (await send(gatewayA, '/v1/indicators/sma?symbol=SCL&period=2')).json()) as { ts: string[] }).toMatchObject({ ts: expect.any(Array) });
    const figures = await signalsMetrics(signalsA);
    expect(figures('cache_requests_total', { namespace: 'indicators', result: 'l2_hit' })).toBe(1);
    expect(figures('cache_l2_state', { measure: 'errors' })).toBe(0);
    // A stores one more day; its invalidation reaches B over the bus, so B's next read has it.
    expect((await send(gatewayA, '/v1/bars?symbol=SCL', { method: 'POST', body: csv(31), type: 'text/csv' })).status).toBe(200);
    await expect.poll(bars, { timeout: 5_000, interval: 100 }).toBe(31);
    expect((await signalsMetrics(signalsB))('cache_l2_state', { measure: 'errors' })).toBe(0);
  });

  it('a batch job submitted through one gateway runs on the shared worker and is read through the other', async () => {
    const submitted = await send(gatewayA, '/v1/signals/batch', { method: 'POST', body: JSON.stringify({ symbols: ['SCL'], rules: [{ type: 'ma-cross', fast: 2, slow: 5 }] }), type: 'application/json' });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const state = async () => ((await (await send(gatewayB, `/v1/jobs/${id}`)).json()) as { state: string; counts: { done: number } });
    await expect.poll(async () => (await state()).state, { timeout: 20_000, interval: 200 }).toBe('completed');
    expect((await state()).counts.done).toBe(1);
  });

  it('counts a key once across both gateways: reads through A stop when A and B together reach the limit', async () => {
    const key = { authorization: `Bearer ${createKeyWithCli(env, 'scale-limits', 'read').trim()}` };
    // The limit counts per clock minute: start early in one, so the test does not straddle two.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 30_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const usedOnB = 25;
    for (let i = 0; i < usedOnB; i++) expect((await send(gatewayB, '/v1/instruments', { headers: key })).status).toBe(200);
    let allowedOnA = 0;
    let refused: Response | undefined;
    for (let i = 0; i < READS_PER_MINUTE && !refused; i++) {
      const response = await send(gatewayA, '/v1/instruments', { headers: key });
      if (response.status === 429) refused = response;
      else {
        expect(response.status).toBe(200);
        allowedOnA++;
        // One flush interval between requests, so A learns the shared count as it goes.
        await new Promise((resolve) => setTimeout(resolve, 120));
      }
    }
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get('content-type')).toContain('application/problem+json');
    // Alone, A would have allowed all 40; together with B's 25 it allows the remaining 15 (one more
    // may pass while its count is in flight).
    expect(allowedOnA).toBeGreaterThanOrEqual(READS_PER_MINUTE - usedOnB);
    expect(allowedOnA).toBeLessThanOrEqual(READS_PER_MINUTE - usedOnB + 1);
    // B learns A's count with its next flush: at most one more request passes there.
    const onB = [];
    for (let i = 0; i < 2; i++) {
      onB.push((await send(gatewayB, '/v1/instruments', { headers: key })).status);
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    expect(onB.at(-1)).toBe(429);
  });
});
