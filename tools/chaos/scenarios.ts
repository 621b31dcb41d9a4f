/**
 * Fault scenarios on real processes: the built bundles of gateway, signals and the signals
 * worker (as `npm start` runs them, restarted when they die), with a Redis or Postgres of the
 * scenario's own that it stops, restarts, cuts or slows. Each returns a row for the chaos table
 * and the evidence the e2e test asserts (e2e/test/faults.test.ts); `npm run chaos` runs them
 * under more load and prints the table.
 */
import { resolve } from 'node:path';
import { migrate } from '@meridian/db/migrate';
import { type PostgresServer, PostgresServers } from '@meridian/db/testing';
import { bullPrefix, QUEUES } from '@meridian/queue';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import { type RedisServer, startRedisServer } from '@meridian/cache/testing';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import { Queue } from 'bullmq';
import pg from 'pg';
import { createKeyWithCli } from '../stack/api-key.js';
import { builtProcesses, type RunningStack, startProcesses, waitLive } from '../stack/processes.js';
import { ChaosProxy } from './proxy.js';
import { type Outcome, recoveredAfter, startLoad, summarise } from './load.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ScenarioOptions {
  /** Concurrent request loops of the read load. */
  concurrency: number;
  /** How long the fault lasts, where it has a length. */
  faultMs: number;
  /** JOB_LOCK_MS for the workers (how soon a dead worker's job is taken over); the default when unset. */
  jobLockMs?: number;
  /** Where the processes' output goes; the e2e test and the CLI keep it out of their own. */
  onLine?: (name: string, line: string) => void;
}

export interface ScenarioRow {
  scenario: string;
  sent: number;
  failed: number;
  serverErrors: number;
  /** Data lost: jobs or rows that did not come out as they should have. */
  lost: number;
  /** Ms from the end of the fault (or the kill) until the affected route answered 2xx again. */
  recoveryMs: number | undefined;
  note: string;
}

export interface Harness {
  ctx: TestContext;
  env: Record<string, string>;
  stack: RunningStack;
  gateway: string;
  signals: string;
  worker: string;
  auth: Record<string, string>;
  get(path: string, signal?: AbortSignal): Promise<Response>;
  post(path: string, body: string, type: string, signal?: AbortSignal): Promise<Response>;
  metric(base: string, name: string, labels: Record<string, string>): Promise<number | undefined>;
}

const CACHED = '/v1/indicators/sma?symbol=CHAOS&period=5';
const UNCACHED = '/v1/bars?symbol=CHAOS&limit=50';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function csv(days: number, seed = 0): string {
  const rows = Array.from({ length: days }, (_, i) => {
    const close = 100 + 10 * Math.sin((i + seed) / 7) + i * 0.05;
    return `${new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10)},${close - 0.5},${close + 1},${close - 1},${close},${1000 + i}`;
  });
  return `date,open,high,low,close,volume\n${rows.join('\n')}\n`;
}

/**
 * Starts gateway, signals and the signals worker on `env` overrides, restarted with backoff when
 * they die (as npm start does), with an API key and the symbol CHAOS loaded, and runs `body`.
 */
export async function withStack<T>(
  overrides: Record<string, string>,
  options: ScenarioOptions,
  body: (h: Harness) => Promise<T>,
  before?: (ctx: TestContext) => Promise<Record<string, string>>,
  apps: readonly string[] = ['gateway', 'signals'],
): Promise<T> {
  const ctx = await createTestContext({ emptyDatabase: true });
  let stack: RunningStack | undefined;
  try {
    const { DIRECT_DATABASE_URL: direct, ...own } = (await before?.(ctx)) ?? {};
    // Each worker serves its metrics on its service's port + 100, as under npm start.
    const ports = { GATEWAY_PORT: await freePort(), SIGNALS_PORT: await freePort(), BACKTEST_PORT: await freePort(), MONITOR_PORT: await freePort() };
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...ctx.env(),
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      LOG_LEVEL: 'warn',
      // The loads here are one API key's: faults are the subject, not its rate limits.
      RATE_LIMIT_READS_PER_MINUTE: '10000000',
      RATE_LIMIT_WRITES_PER_MINUTE: '10000000',
      ...(options.jobLockMs ? { JOB_LOCK_MS: String(options.jobLockMs) } : {}),
      ...own,
      ...overrides,
    };
    // The test context asks for port 0; here each worker takes its service's port + 100.
    delete env.WORKER_METRICS_PORT;
    await migrate({ databaseUrl: env.DATABASE_URL as string });
    const recent: string[] = [];
    const onLine = (name: string, line: string) => {
      recent.push(`${name}: ${line}`);
      if (recent.length > 20) recent.shift();
      options.onLine?.(name, line);
    };
    stack = startProcesses(builtProcesses(ROOT, apps), env, { restart: { maxRestarts: 10, windowMs: 120_000 }, onLine, echo: false });
    const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
    const signals = `http://127.0.0.1:${ports.SIGNALS_PORT}`;
    const worker = `http://127.0.0.1:${ports.SIGNALS_PORT + 100}`;
    const missing = await waitLive([gateway, signals, worker], 45_000);
    if (missing.length > 0) throw new Error(`did not come up: ${missing.join(', ')}; their last lines:\n${recent.join('\n')}`);
    // The key CLI runs synchronously: it must not go through a proxy living in this process.
    const auth = { authorization: `Bearer ${createKeyWithCli({ ...env, DATABASE_URL: direct ?? (env.DATABASE_URL as string) }, 'chaos', 'read,write,admin')}` };
    const h: Harness = {
      ctx,
      env,
      stack,
      gateway,
      signals,
      worker,
      auth,
      get: (path, signal) => fetch(`${gateway}${path}`, { headers: auth, signal }),
      post: (path, body, type, signal) => fetch(`${gateway}${path}`, { method: 'POST', headers: { ...auth, 'content-type': type }, body, signal }),
      async metric(base, name, labels) {
        const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${env.METRICS_TOKEN}` } })).text();
        return sampleValue(parsePrometheusText(text), name, labels);
      },
    };
    const created = await h.post('/v1/instruments', JSON.stringify({ symbol: 'CHAOS', name: 'Chaos' }), 'application/json');
    if (created.status !== 201) throw new Error(`instrument: ${created.status} ${await created.text()}`);
    const loaded = await h.post('/v1/bars?symbol=CHAOS', csv(400), 'text/csv');
    if (loaded.status !== 200) throw new Error(`bars: ${loaded.status} ${await loaded.text()}`);
    if ((await h.get(CACHED)).status !== 200) throw new Error('the cached read does not answer');
    return await body(h);
  } finally {
    await stack?.stop();
    await ctx.cleanup();
  }
}

const batch = (h: Harness, symbols: string[], signal?: AbortSignal) =>
  h.post('/v1/signals/batch', JSON.stringify({ symbols, rules: [{ type: 'ma-cross', fast: 5, slow: 20 }, { type: 'rsi-reversion', period: 7, enterBelow: 40, exitAbove: 60 }] }), 'application/json', signal);

async function jobState(h: Harness, id: string): Promise<{ state: string; progress: number; counts: { done: number; failed: number } }> {
  return (await (await h.get(`/v1/jobs/${id}`)).json()) as { state: string; progress: number; counts: { done: number; failed: number } };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Submits a batch until it is accepted (202), then waits for it to complete; the ms until accepted, and the final state. */
async function batchRuns(h: Harness, symbols: string[], timeoutMs = 30_000) {
  const asked = Date.now();
  const id = await until('a batch accepted', async () => {
    const response = await batch(h, symbols);
    return response.status === 202 ? ((await response.json()) as { id: string }).id : undefined;
  }, timeoutMs);
  const acceptedMs = Date.now() - asked;
  const done = await until('the batch completed', async () => {
    const state = await jobState(h, id);
    return state.state === 'completed' || state.state === 'failed' ? state : undefined;
  }, timeoutMs);
  return { id, acceptedMs, done };
}

function row(scenario: string, outcomes: readonly Outcome[], extra: Pick<ScenarioRow, 'lost' | 'recoveryMs' | 'note'>): ScenarioRow {
  const { sent, failed, serverErrors } = summarise(outcomes);
  return { scenario, sent, failed, serverErrors, ...extra };
}

/** 1. Redis shut down under read load and started again, or its client connections killed. */
export async function redisOutage(options: ScenarioOptions, how: 'restart' | 'client-kill') {
  let redis: RedisServer | undefined;
  try {
    return await withStack({}, options, async (h) => {
      const server = redis as RedisServer;
      const load = startLoad([{ route: 'cached', send: (signal) => h.get(CACHED, signal) }], { concurrency: options.concurrency });
      await sleep(500);
      let duringOutage: { status: number; retryAfter: string | null; type: string } | undefined;
      const faultAt = load.now();
      if (how === 'restart') {
        await server.stop();
        const submitted = await batch(h, ['CHAOS']);
        duringOutage = { status: submitted.status, retryAfter: submitted.headers.get('retry-after'), type: ((await submitted.json()) as { type: string }).type };
        await sleep(options.faultMs);
        await server.start();
      } else {
        server.cli('CLIENT', 'KILL', 'TYPE', 'normal');
        server.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
      }
      const faultEnd = load.now();
      // Queues resume without restarting anything: a batch is accepted and runs to the end.
      const job = await batchRuns(h, ['CHAOS']);
      // The cache's Redis tier is back in use (its breaker closed) in the service.
      const l2Closed = await until('the L2 breaker closed', async () => ((await h.metric(h.signals, 'cache_l2_state', { measure: 'breaker_open' })) === 0 ? true : undefined), 15_000);
      const outcomes = await load.stop();
      const exited = await Promise.race([h.stack.failed, sleep(10).then(() => undefined)]);
      return {
        row: row(how === 'restart' ? `Redis shut down ${options.faultMs / 1000} s, restarted` : 'Redis CLIENT KILL of every connection', outcomes, {
          lost: job.done.state === 'completed' ? 0 : 1,
          recoveryMs: job.acceptedMs,
          note: `cached reads ${summarise(outcomes).serverErrors === 0 ? 'all answered' : 'failed'}; recovery = until a batch is accepted again`,
        }),
        reads: summarise(outcomes),
        duringOutage,
        job: job.done,
        l2Closed,
        exited,
        faultMs: faultEnd - faultAt,
      };
    }, async () => {
      redis = await startRedisServer();
      return { REDIS_URL: redis.url };
    });
  } finally {
    await redis?.stop();
  }
}

/** 2. Postgres stopped under load and started again. */
export async function postgresOutage(options: ScenarioOptions) {
  const servers = new PostgresServers();
  let server: PostgresServer | undefined;
  try {
    return await withStack({}, options, async (h) => {
      const pid = h.stack.pid('signals');
      const load = startLoad([{ route: 'bars', send: (signal) => h.get(UNCACHED, signal) }, { route: 'cached', send: (signal) => h.get(CACHED, signal) }], { concurrency: options.concurrency });
      await sleep(500);
      const faultAt = load.now();
      await (server as PostgresServer).stop();
      await sleep(options.faultMs);
      const during = load.outcomes.filter((o) => o.start > faultAt + 200 && o.route === 'bars');
      await (server as PostgresServer).start();
      const faultEnd = load.now();
      await until('bars answering again', async () => ((await h.get(UNCACHED)).status === 200 ? true : undefined), 30_000);
      await sleep(500);
      const outcomes = await load.stop();
      const duringBars = during.slice();
      return {
        row: row(`Postgres stopped ${options.faultMs / 1000} s, restarted`, outcomes, {
          lost: 0,
          recoveryMs: recoveredAfter(outcomes, 'bars', faultEnd),
          note: `bar reads during the outage: ${[...new Set(duringBars.map((o) => o.status))].join('/')} in ≤ ${Math.round(summarise(duringBars).maxMs)} ms`,
        }),
        duringBars: { statuses: [...new Set(duringBars.map((o) => o.status))], ...summarise(duringBars) },
        cached: summarise(outcomes.filter((o) => o.route === 'cached')),
        samePid: h.stack.pid('signals') === pid,
      };
    }, async () => {
      server = await servers.primary();
      const admin = new pg.Client({ connectionString: server.url('postgres') });
      await admin.connect();
      await admin.query('CREATE DATABASE meridian');
      await admin.end();
      return { DATABASE_URL: server.url('meridian') };
    });
  } finally {
    servers.destroy();
  }
}

/** 3. The signals worker SIGKILLed while a batch runs. */
export async function workerKilled(options: ScenarioOptions) {
  const symbols = ['CHAOS', 'KILL1', 'KILL2', 'KILL3', 'KILL4', 'KILL5'];
  // Two jobs a second across workers, so the batch is still running when the worker dies.
  return withStack({ WORKER_RATE_MAX: '2', WORKER_RATE_DURATION_MS: '1000' }, options, async (h) => {
    for (const [i, symbol] of symbols.slice(1).entries()) {
      await h.post('/v1/instruments', JSON.stringify({ symbol, name: symbol }), 'application/json');
      await h.post(`/v1/bars?symbol=${symbol}`, csv(300, i + 1), 'text/csv');
    }
    const submitted = await batch(h, symbols);
    const { id } = (await submitted.json()) as { id: string };
    await until('the batch under way', async () => ((await jobState(h, id)).counts.done > 0 ? true : undefined), 20_000);
    const killedAt = Date.now();
    process.kill(h.stack.pid('signals:worker') as number, 'SIGKILL');
    const done = await until('the batch completed', async () => {
      const state = await jobState(h, id);
      return state.state === 'completed' || state.state === 'failed' ? state : undefined;
    }, 60_000);
    const recoveryMs = Date.now() - killedAt;
    const db = new pg.Client({ connectionString: h.env.DATABASE_URL });
    await db.connect();
    const counts = (
      await db.query<{ rows: string; distinct: string }>('SELECT count(*) AS rows, count(DISTINCT (instrument_id, rule_hash, ts)) AS distinct FROM signal_events')
    ).rows[0] as { rows: string; distinct: string };
    await db.end();
    return {
      row: row('signals worker SIGKILLed mid-batch', [], { lost: done.counts.done === symbols.length ? 0 : symbols.length - done.counts.done, recoveryMs, note: `JOB_LOCK_MS=${h.env.JOB_LOCK_MS ?? 'default'}; batch completed once, ${counts.rows} events, ${Number(counts.rows) - Number(counts.distinct)} duplicated` }),
      done,
      events: Number(counts.rows),
      duplicated: Number(counts.rows) - Number(counts.distinct),
      recoveryMs,
    };
  });
}

/** 3b. The backtest worker SIGKILLed while a sweep's chunks run. */
export async function backtestWorkerKilled(options: ScenarioOptions) {
  const grid = { fast: { from: 2, to: 60, step: 1 }, slow: { from: 62, to: 200, step: 2 } };
  const sets = 59 * 70;
  // One chunk at a time: the kill lands inside a chunk, which the restarted worker takes over.
  return withStack({ WORKER_CONCURRENCY: '1' }, options, async (h) => {
    const submitted = await h.post('/v1/sweeps', JSON.stringify({ spec: { type: 'ma-cross' }, symbol: 'CHAOS', grid, top: 5 }), 'application/json');
    if (submitted.status !== 202) throw new Error(`sweep: ${submitted.status} ${await submitted.text()}`);
    const { id } = (await submitted.json()) as { id: string };
    const view = async () => (await (await h.get(`/v1/sweeps/${id}`)).json()) as { state: string; progress: number; result?: { combinations: number; top: unknown[] } };
    await until('the sweep under way', async () => ((await view()).progress > 0 ? true : undefined), 30_000);
    const killedAt = Date.now();
    process.kill(h.stack.pid('backtest:worker') as number, 'SIGKILL');
    const done = await until('the sweep finished', async () => {
      const state = await view();
      return state.state === 'completed' || state.state === 'failed' ? state : undefined;
    }, 90_000);
    const recoveryMs = Date.now() - killedAt;
    return {
      row: row('backtest worker SIGKILLed mid-sweep', [], { lost: done.state === 'completed' && done.result?.combinations === sets ? 0 : 1, recoveryMs, note: `JOB_LOCK_MS=${h.env.JOB_LOCK_MS ?? 'default'}; sweep of ${sets} sets ${done.state}, ${done.result?.combinations ?? 0} ranked once; recovery = kill to completion` }),
      done,
      sets,
      recoveryMs,
    };
  }, undefined, ['gateway', 'signals', 'backtest']);
}

/** 4. The signals service SIGKILLed behind the gateway, started again by the supervisor. */
export async function serviceKilled(options: ScenarioOptions) {
  return withStack({}, options, async (h) => {
    const load = startLoad([{ route: 'cached', send: (signal) => h.get(CACHED, signal) }], { concurrency: options.concurrency });
    await sleep(500);
    const killedAt = load.now();
    process.kill(h.stack.pid('signals') as number, 'SIGKILL');
    await until('signals back', async () => ((await h.get(CACHED)).status === 200 ? true : undefined), 30_000);
    await sleep(500);
    const outcomes = await load.stop();
    const recoveryMs = recoveredAfter(outcomes, 'cached', killedAt);
    const down = outcomes.filter((o) => o.start > killedAt && o.status !== 200);
    return {
      row: row('signals SIGKILLed behind the gateway', outcomes, {
        lost: 0,
        recoveryMs,
        note: `while down: ${[...new Set(down.map((o) => o.status))].join('/')} answered in p99 ${Math.round(summarise(down).p99Ms)} ms; restarted after 1 s by the supervisor`,
      }),
      down: { statuses: [...new Set(down.map((o) => o.status))], ...summarise(down) },
      all: summarise(outcomes),
    };
  });
}

/** 5. SIGTERM to every process while requests and a batch are running. */
export async function terminateAll(options: ScenarioOptions) {
  const symbols = ['CHAOS', 'TERM1', 'TERM2', 'TERM3'];
  // The default shutdown delay, which the test context turns off.
  return withStack({ WORKER_RATE_MAX: '2', WORKER_RATE_DURATION_MS: '1000', SHUTDOWN_DELAY_MS: '1000' }, options, async (h) => {
    for (const [i, symbol] of symbols.slice(1).entries()) {
      await h.post('/v1/instruments', JSON.stringify({ symbol, name: symbol }), 'application/json');
      await h.post(`/v1/bars?symbol=${symbol}`, csv(300, i + 1), 'text/csv');
    }
    const { id } = (await (await batch(h, symbols)).json()) as { id: string };
    await until('the batch under way', async () => ((await jobState(h, id)).counts.done > 0 ? true : undefined), 20_000);
    const load = startLoad([{ route: 'cached', send: (signal) => h.get(CACHED, signal) }, { route: 'bars', send: (signal) => h.get(UNCACHED, signal) }], { concurrency: options.concurrency });
    await sleep(500);
    const termAt = load.now();
    const codes = await h.stack.stop();
    const outcomes = await load.stop();
    // In flight: started before the signal. What started after finds the processes gone.
    const inFlight = outcomes.filter((o) => o.start < termAt);
    const queue = new Queue(QUEUES.signalsSymbol, { connection: { url: h.env.REDIS_URL }, prefix: bullPrefix({ redisPrefix: h.env.REDIS_PREFIX as string }) });
    const raw = await queue.getJobCounts('active', 'waiting', 'completed', 'failed', 'prioritized', 'delayed');
    await queue.close();
    const counts = { active: 0, waiting: 0, completed: 0, failed: 0, prioritized: 0, delayed: 0, ...raw };
    return {
      row: row('SIGTERM to every process under load', inFlight, {
        lost: counts.active + counts.failed,
        recoveryMs: undefined,
        note: `exit codes ${Object.entries(codes).map(([name, code]) => `${name} ${code}`).join(', ')}; jobs ${counts.completed} done, ${counts.waiting + counts.prioritized + counts.delayed} back in the queue, ${counts.active} left active`,
      }),
      inFlight: summarise(inFlight),
      codes,
      jobs: counts,
    };
  });
}

/** 6. Every Postgres packet held back 2 s (a proxy between the services and Postgres). */
export async function slowPostgres(options: ScenarioOptions) {
  let proxy: ChaosProxy | undefined;
  try {
    return await withStack({ UPSTREAM_TIMEOUT_MS: '1500' }, options, async (h) => {
      const load = startLoad(
        [
          { route: 'bars', send: (signal) => h.get(UNCACHED, signal) },
          { route: 'cached', send: (signal) => h.get(CACHED, signal) },
          { route: 'live', send: (signal) => fetch(`${h.signals}/health/live`, { signal }) },
          { route: 'ready', send: (signal) => fetch(`${h.signals}/health/ready`, { signal }) },
        ],
        { concurrency: options.concurrency },
      );
      await sleep(500);
      const slowAt = load.now();
      (proxy as ChaosProxy).delayMs = 2_000;
      await sleep(options.faultMs);
      const slowEnd = load.now();
      (proxy as ChaosProxy).restore();
      await until('bars fast again', async () => {
        const started = Date.now();
        return (await h.get(UNCACHED)).status === 200 && Date.now() - started < 500 ? true : undefined;
      }, 30_000);
      await sleep(1_000);
      const outcomes = await load.stop();
      const during = (route: string) => outcomes.filter((o) => o.route === route && o.start >= slowAt && o.start < slowEnd);
      return {
        row: row('Postgres 2 s slower (proxy)', outcomes, {
          lost: 0,
          recoveryMs: recoveredAfter(outcomes, 'bars', slowEnd),
          note: `bar reads while slow: ${[...new Set(during('bars').map((o) => o.status))].join('/')} in ≤ ${Math.round(summarise(during('bars')).maxMs)} ms (UPSTREAM_TIMEOUT_MS=1500); cached p99 ${Math.round(summarise(during('cached')).p99Ms)} ms, /health/live p99 ${Math.round(summarise(during('live')).p99Ms)} ms, /health/ready ${[...new Set(during('ready').map((o) => o.status))].join('/')} in ≤ ${Math.round(summarise(during('ready')).maxMs)} ms`,
        }),
        bars: { statuses: [...new Set(during('bars').map((o) => o.status))], ...summarise(during('bars')) },
        cached: { statuses: [...new Set(during('cached').map((o) => o.status))], ...summarise(during('cached')) },
        live: { statuses: [...new Set(during('live').map((o) => o.status))], ...summarise(during('live')) },
        ready: { statuses: [...new Set(during('ready').map((o) => o.status))], ...summarise(during('ready')) },
      };
    }, async (ctx) => {
      const url = new URL(ctx.database.url);
      proxy = await ChaosProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
      const direct = url.toString();
      url.port = String(proxy.port);
      return { DATABASE_URL: url.toString(), DIRECT_DATABASE_URL: direct };
    });
  } finally {
    await proxy?.close();
  }
}
