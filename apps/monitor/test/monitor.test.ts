import { createServer, type IncomingMessage } from 'node:http';
import { createQueue, QUEUES, queueConnection } from '@meridian/queue';
import { createService, type Service } from '@meridian/service';
import { createTestContext, freePort, signedHeaders, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type MonitorService } from '../src/app.js';

let ctx: TestContext;
let monitor: MonitorService;
let watched: Service | undefined;
let port = 0;
const webhook: { status: string; alerts: { labels: Record<string, string> }[] }[] = [];
const receiver = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    webhook.push(JSON.parse(body));
    res.end('ok');
  });
});

/** A real service (the kit's health and metrics) on a fixed port, so it can be stopped and started again. */
async function startWatched(): Promise<void> {
  watched = await createService({ config: ctx.config('signals', { SIGNALS_PORT: String(port) }), description: 'watched' });
  watched.get('/v1/ping', { config: { public: true } }, async () => ({ pong: true }));
  await watched.listen({ host: '127.0.0.1', port });
}

const get = (url: string) => monitor.inject({ url, headers: signedHeaders(monitor.config, 'GET', url) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  ctx = await createTestContext();
  port = await freePort();
  await startWatched();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/alerts`;
  monitor = await buildApp({
    config: ctx.config('monitor', { MONITOR_TARGETS: `watched=http://127.0.0.1:${port}`, MONITOR_WEBHOOK_URL: hook }),
    rulesFile: new URL('./fixtures/fast-rules.json', import.meta.url),
    autoStart: false,
  });
  await monitor.ready();
});
afterAll(async () => {
  await monitor?.close();
  await watched?.close();
  receiver.close();
  await ctx?.cleanup();
});

describe('the monitor', () => {
  it('counts every request a service served, per route, within one scrape', async () => {
    await monitor.monitor.tick();
    const route = (o: { services: { name: string; routes: { route: string; count: number }[] }[] }) =>
      o.services.find((s) => s.name === 'watched')?.routes.find((r) => r.route === 'GET /v1/ping')?.count ?? 0;
    const before = route(await monitor.monitor.tick());
    for (let i = 0; i < 7; i++) await fetch(`http://127.0.0.1:${port}/v1/ping`);
    const after = await monitor.monitor.tick();
    expect(route(after) - before).toBe(7);
    const watchedView = after.services.find((s) => s.name === 'watched');
    expect(watchedView).toMatchObject({ status: 'up', error: null });
    expect(watchedView?.requestRate).toBeGreaterThan(0);
    expect(watchedView?.process.heapUsedBytes).toBeGreaterThan(0);
    const overview = (await get('/v1/monitor/overview')).json();
    expect(overview).toMatchObject({ score: 100, reasons: [] });
    expect(overview.redis.usedMemoryBytes).toBeGreaterThan(0);
    expect(overview.postgres.databaseBytes).toBeGreaterThan(0);
    expect(overview.queues.map((q: { queue: string }) => q.queue).sort()).toEqual(Object.values(QUEUES).sort());
  });

  it('keeps the history of each figure', async () => {
    const res = await get('/v1/monitor/metrics/up?window=5m');
    expect(res.statusCode).toBe(200);
    const series = res.json().series;
    expect(series.map((s: { key: string }) => s.key)).toEqual(['up{service="watched"}']);
    expect(series[0].points.length).toBeGreaterThanOrEqual(3);
    expect((await get('/v1/monitor/metrics/nothing_like_it')).statusCode).toBe(404);
    expect((await get('/v1/monitor/metrics/up?window=2d')).statusCode).toBe(400);
  });

  it('marks a stopped service down, fires its alert after the for duration, and resolves it when the service is back', async () => {
    await watched?.close();
    const first = await monitor.monitor.tick();
    expect(first.services[0]).toMatchObject({ name: 'watched', status: 'down' });
    expect(first.services[0]?.lastSeen).not.toBeNull();
    expect(first.alerts).toEqual([]);
    await sleep(350);
    const later = await monitor.monitor.tick();
    expect(later.alerts).toMatchObject([{ rule: 'service-down', severity: 'critical', labels: { service: 'watched' } }]);
    expect(later.score).toBeLessThan(100);
    expect(later.reasons[0]?.reason).toMatch(/^watched is down/);
    await monitor.monitor.tick();
    await startWatched();
    const back = await monitor.monitor.tick();
    expect(back.alerts).toEqual([]);
    const alerts = (await get('/v1/monitor/alerts')).json();
    expect(alerts.firing).toEqual([]);
    expect(alerts.history.filter((a: { rule: string }) => a.rule === 'service-down')).toMatchObject([{ status: 'resolved', severity: 'critical', labels: { service: 'watched' } }]);
    expect(webhook.filter((w) => w.alerts[0]?.labels.alertname === 'service-down').map((w) => w.status)).toEqual(['firing', 'resolved']);
  });

  it('fires the oldest-job alert for a stuck queue: jobs waiting and no worker taking them', async () => {
    const connection = queueConnection(monitor.config, 'producer');
    const queue = createQueue(monitor.config, QUEUES.backtestRun, connection);
    await queue.add(QUEUES.backtestRun, { id: 'stuck', tenant: 't' });
    await sleep(1_100);
    const overview = await monitor.monitor.tick();
    const stuck = overview.queues.find((q) => q.queue === QUEUES.backtestRun);
    expect(stuck?.waiting).toBe(1);
    expect(stuck?.oldestWaitingSeconds).toBeGreaterThan(1);
    expect(overview.alerts.map((a) => [a.rule, a.labels.queue])).toContainEqual(['queue-stuck', QUEUES.backtestRun]);
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    const cleared = await monitor.monitor.tick();
    expect(cleared.alerts.filter((a) => a.rule === 'queue-stuck')).toEqual([]);
  });

  it('lists the costliest statements, or says how to enable pg_stat_statements, and the largest tables', async () => {
    const body = (await get('/v1/monitor/database?limit=500')).json();
    if (body.statements.available) expect(body.statements.byTotal.length).toBeGreaterThan(0);
    else expect(body.statements.reason).toMatch(/shared_preload_libraries/);
    const alerts = body.tables.find((t: { table: string }) => t.table === 'monitor_alerts');
    expect(alerts.rows + alerts.deadTuples).toBeGreaterThanOrEqual(0);
    expect(alerts.indexBytes).toBeGreaterThan(0);
    expect(body.tables.map((t: { table: string }) => t.table)).toContain('bars');
  });

  it('streams the overview after every round', async () => {
    const address = await monitor.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${address}/v1/monitor/stream`, { headers: signedHeaders(monitor.config, 'GET', '/v1/monitor/stream'), signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    await monitor.monitor.tick();
    while ((text.match(/event: overview/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] as string));
    expect(events[1].score).toBeTypeOf('number');
    expect(Date.parse(events[1].at)).toBeGreaterThanOrEqual(Date.parse(events[0].at));
  });
});
