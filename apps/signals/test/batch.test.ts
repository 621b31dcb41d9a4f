import { evaluateRule, parseRuleSpec } from '@meridian/market';
import { bullPrefix, QUEUES } from '@meridian/queue';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import type { Service } from '@meridian/service';
import { createTestContext, scrapeHeaders, signedHeaders, type TestContext } from '@meridian/service/testing';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { processSymbol } from '../src/batch/process.js';
import { buildWorker, type SignalsWorker } from '../src/batch/workers.js';
import { ruleHash } from '../src/rules.js';
import { caller, type DailyBar, dailyBars, loadSymbol, seriesOf } from './helpers.js';

let ctx: TestContext;
let app: Service;
let call: ReturnType<typeof caller>;
let workers: SignalsWorker;
let metricsUrl: string;
let db: pg.Client;
let redis: Redis;
const data: Record<string, DailyBar[]> = { AAA: dailyBars(400, 1), BBB: dailyBars(400, 2), CCC: dailyBars(400, 3), FLAKY: dailyBars(400, 4) };
const rules = [{ type: 'ma-cross', fast: 5, slow: 20 }, { type: 'rsi-reversion', period: 7, enterBelow: 40, exitAbove: 60 }];
const attemptsSeen: Record<string, number[]> = {};

interface JobBody {
  id: string;
  state: string;
  progress: number;
  counts: { symbols: number; done: number; failed: number; rules: number; events: number };
  errors: { symbol: string; message: string }[];
  failedReason: string | null;
  links: { latest: string[] };
}

beforeAll(async () => {
  ctx = await createTestContext();
  const config = ctx.config('signals', { JOB_BACKOFF_MS: '20', WORKER_CONCURRENCY: '2' });
  app = await buildApp({ config });
  call = caller(app);
  for (const [symbol, bars] of Object.entries(data)) await loadSymbol(app, symbol, bars);
  workers = await buildWorker(config, {
    // FLAKY's first attempt does all its work, then loses its connection: the retry must not duplicate rows.
    processSymbol: async (deps, job) => {
      (attemptsSeen[job.data.symbol] ??= []).push(job.attemptsMade);
      const result = await processSymbol(deps, job);
      if (job.data.symbol === 'FLAKY' && job.attemptsMade === 0) throw new Error('connection reset (injected)');
      return result;
    },
  });
  metricsUrl = await workers.app.listen({ host: '127.0.0.1', port: 0 });
  db = new pg.Client({ connectionString: ctx.database.url });
  await db.connect();
  redis = new Redis(ctx.env().REDIS_URL as string);
});
afterAll(async () => {
  await workers.app.close();
  await app.close();
  await db.end();
  redis.disconnect();
  await ctx.cleanup();
});

async function waitFor(id: string, states = ['completed', 'failed']): Promise<JobBody> {
  for (let i = 0; i < 300; i++) {
    const res = await call('GET', `/v1/jobs/${id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<JobBody>();
    if (states.includes(body.state)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

async function storedEvents(): Promise<number> {
  const { rows } = await db.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n FROM signal_events');
  return rows[0]?.n ?? 0;
}

describe('POST /v1/signals/batch', () => {
  let jobId = '';
  const expectedEvents = Object.values(data).reduce(
    (sum, bars) => sum + rules.reduce((inner, rule) => inner + evaluateRule(seriesOf(bars), parseRuleSpec(rule)).events.length, 0),
    0,
  );

  it('runs every symbol × rule, stores each event once, and reports 100% with counts', async () => {
    const res = await call('POST', '/v1/signals/batch', { payload: { symbols: Object.keys(data), rules } });
    expect(res.statusCode).toBe(202);
    jobId = res.json().id;
    const done = await waitFor(jobId);
    expect(done).toMatchObject({ state: 'completed', progress: 100, counts: { symbols: 4, done: 4, failed: 0, rules: 2 }, errors: [] });
    expect(await storedEvents()).toBe(expectedEvents);
    expect(attemptsSeen.FLAKY).toEqual([0, 1]);

    const { rows } = await db.query<{ side: string; ts: Date }>(
      `SELECT side, ts FROM signal_events e JOIN instruments i ON i.id = e.instrument_id WHERE i.symbol = 'AAA' AND rule_hash = $1 ORDER BY ts`,
      [ruleHash(parseRuleSpec(rules[0]))],
    );
    const core = evaluateRule(seriesOf(data.AAA as DailyBar[]), parseRuleSpec(rules[0]));
    expect(rows.map((r) => [r.ts.getTime(), r.side])).toEqual(core.events.map((e) => [e.ts, e.side]));
  });

  it('answers a resubmission with 200 and the same job, without running it again', async () => {
    const calls = Object.values(attemptsSeen).flat().length;
    const again = await call('POST', '/v1/signals/batch', { payload: { symbols: [...Object.keys(data)].reverse(), rules: [...rules].reverse() } });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(jobId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(Object.values(attemptsSeen).flat().length).toBe(calls);
    expect(await storedEvents()).toBe(expectedEvents);
  });

  it('serves the latest stored signal per symbol and warms GET /v1/signals', async () => {
    const done = await waitFor(jobId);
    const latest = await call('GET', done.links.latest[0] as string);
    expect(latest.statusCode).toBe(200);
    const items = latest.json().items as { symbol: string; signal: { ts: string } | null }[];
    expect(items.map((item) => item.symbol)).toEqual(['AAA', 'BBB', 'CCC', 'FLAKY']);
    const hash = new URL(`http://x${done.links.latest[0]}`).searchParams.get('ruleHash');
    const lastOfAaa = [...evaluateRule(seriesOf(data.AAA as DailyBar[]), parseRuleSpec(rules.find((r) => ruleHash(parseRuleSpec(r)) === hash))).events].pop();
    expect(items[0]?.signal?.ts).toBe(new Date(lastOfAaa?.ts ?? 0).toISOString());

    const byParams = await call('GET', '/v1/signals/latest?symbols=AAA&rule=ma-cross&fast=5&slow=20');
    expect(byParams.json().items[0].signal).not.toBeNull();

    const computed = app.cache.stats().namespaces.signals?.factoryCalls ?? 0;
    await call('GET', '/v1/signals?symbol=BBB&rule=ma-cross&fast=5&slow=20');
    expect(app.cache.stats().namespaces.signals?.factoryCalls ?? 0).toBe(computed);
  });

  /** Queues one symbol's job directly (an older producer, a hand-made job) with 5 attempts allowed; its state once it stops. */
  async function runManualJob(rules: { hash: string; spec: unknown }[]): Promise<{ state: string; attemptsMade?: number; failedReason?: string }> {
    const queue = new Queue(QUEUES.signalsSymbol, { connection: redis, prefix: bullPrefix(app.config) });
    try {
      const job = await queue.add(QUEUES.signalsSymbol, { batchId: 'manual', tenant: 'test', symbol: 'AAA', interval: '1d', rules }, { attempts: 5, backoff: 10 });
      let state = '';
      for (let i = 0; i < 100 && state !== 'failed' && state !== 'completed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        state = await job.getState();
      }
      const done = await Job.fromId(queue, job.id as string);
      return { state, attemptsMade: done?.attemptsMade, failedReason: done?.failedReason };
    } finally {
      await queue.close();
    }
  }

  it('fails a job with invalid input at once, without retries, and says why', async () => {
    const submitted = await call('POST', '/v1/signals/batch', { payload: { symbols: ['AAA'], rules: [{ type: 'ma-cross', fast: 0 }] } });
    expect(submitted.statusCode).toBe(400);
    // A payload the API would refuse.
    const failed = await runManualJob([{ hash: 'bad', spec: { type: 'nope' } }]);
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: expect.stringContaining('nope') });
  });

  it('fails a job whose rule was never saved at once, without retries, naming the rule', async () => {
    // A valid rule under a hash signal_rules does not hold: no event can be stored.
    const failed = await runManualJob([{ hash: 'never-saved', spec: { type: 'ma-cross', fast: 5, slow: 20 } }]);
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: expect.stringContaining('never-saved are not in signal_rules') });
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM signal_events WHERE rule_hash = 'never-saved'");
    expect(rows[0]?.n).toBe(0);
  });

  it('streams ordered progress over SSE that ends with the completed event', async () => {
    for (const worker of workers.workers) await worker.pause();
    const res = await call('POST', '/v1/signals/batch', { payload: { symbols: Object.keys(data), rules: [{ type: 'momentum' }] } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const path = `/v1/jobs/${id}/events`;
    const stream = await fetch(`http://127.0.0.1:${port}${path}`, { headers: signedHeaders(app.config, 'GET', path) });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    setTimeout(() => workers.workers.forEach((worker) => worker.resume()), 300);
    const text = await stream.text();
    const events = text.trim().split('\n\n').map((block) => {
      const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      return { id: Number(fields.id), event: fields.event, data: JSON.parse(fields.data as string) as JobBody };
    });
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.event).toBe('progress');
    expect(events.at(-1)).toMatchObject({ event: 'completed', data: { progress: 100, state: 'completed' } });
    const progress = events.map((e) => e.data.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('counts the jobs the worker ran at its own GET /metrics, retries and failures included', async () => {
    expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(401);
    const counts = async () => {
      const res = await fetch(`${metricsUrl}/metrics`, { headers: scrapeHeaders(workers.app.config) });
      expect(res.status).toBe(200);
      const samples = parsePrometheusText(await res.text());
      const count = (queue: string, outcome: string) => sampleValue(samples, 'queue_job_duration_seconds_count', { queue, outcome, service: 'signals-worker' }) ?? 0;
      return { completed: count('signals.symbol', 'completed'), retrying: count('signals.symbol', 'retrying'), failed: count('signals.symbol', 'failed'), batches: count('signals.batch', 'completed') };
    };
    const before = await counts();
    // Jobs of this test's own: two symbols, FLAKY's first attempt failing and retried; then a job
    // whose payload the API would refuse, which fails for good at once.
    const ran = await call('POST', '/v1/signals/batch', { payload: { symbols: ['AAA', 'FLAKY'], rules: [{ type: 'ma-cross', fast: 3, slow: 9 }] } });
    expect(ran.statusCode, ran.body).toBe(202);
    expect((await waitFor(ran.json().id)).state).toBe('completed');
    expect(await runManualJob([{ hash: 'bad', spec: { type: 'nope' } }])).toMatchObject({ state: 'failed' });
    await expect.poll(counts, { timeout: 5_000 }).toEqual({ completed: before.completed + 2, retrying: before.retrying + 1, failed: before.failed + 1, batches: before.batches + 1 });
    expect((await fetch(`${metricsUrl}/other`)).status).toBe(404);
  });

  it("hides one tenant's job from another, as if it did not exist", async () => {
    const path = `/v1/jobs/${jobId}`;
    expect((await call('GET', path)).statusCode).toBe(200);
    const asOther = await app.inject({ url: path, headers: signedHeaders(app.config, 'GET', path, { tenant: 'other', keyId: 'k2' }) });
    expect(asOther.statusCode).toBe(404);
    expect(asOther.json()).toMatchObject({ type: '/problems/not-found' });
    expect(asOther.body).not.toContain('"state"');
  });

  it("never shows one tenant's batch results to another", async () => {
    const done = await waitFor(jobId);
    const path = done.links.latest[0] as string;
    const own = (await call('GET', path)).json().items as { signal: unknown }[];
    expect(own.filter((item) => item.signal !== null).length).toBeGreaterThan(0);
    const other = await app.inject({ url: path, headers: signedHeaders(app.config, 'GET', path, { tenant: 'other', keyId: 'k2' }) });
    expect(other.statusCode).toBe(200);
    expect((other.json().items as { signal: unknown }[]).every((item) => item.signal === null)).toBe(true);
  });
});
