/**
 * The signals service through the gateway, in one run:
 *   1. cached GET /v1/signals (hot key) against GET /v1/indicators (a static catalogue: the
 *      service's hello world) on the same service through the same gateway, and p97.5 (≥ p95)
 *      at 50% of the cached route's saturation; then the cached route again for a client that
 *      accepts br and gzip, as browsers and `curl --compressed` do;
 *   2. cold GET /v1/signals over SPX 2000–2020: every cached value of SPX dropped (through the
 *      cache's own invalidation bus) before each request, so bars come from Postgres;
 *   3. a batch of 100 symbols × 10 rules over 5,000 daily bars each, with 1 and then 2 worker
 *      processes, alternated twice, each round after an untimed 20-symbol batch that warms the
 *      workers' code; with the cores the stack kept busy, and the most a second worker could
 *      add on this machine (its cores over the 1-worker rounds' busy cores).
 *
 *   npm run build && npm run bench:signals     (BENCH_SECONDS=10, BENCH_CONNECTIONS=50)
 */
import { availableParallelism } from 'node:os';
import { createPools, ingestBars, InstrumentRepository } from '@meridian/db';
import { migrate } from '@meridian/db/migrate';
import { createCache, createRedis } from '@meridian/service';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { syntheticCsv } from '../data/synthetic.js';
import { builtProcesses, startProcesses, waitLive, type RunningStack } from '../stack/processes.js';
import { cpuDelta, cpuSnapshot } from './lib/cpu.js';
import { percentile } from './lib/interleave.js';
import { autocannon, log, ratio, ROOT } from './lib/load.js';
import { benchEnv, createApiKey, HOT_SIGNALS_READ } from './lib/stack.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ports = { gateway: 3910, signals: 3911 };
const base = `http://127.0.0.1:${ports.gateway}`;
const HELLO = '/v1/indicators';
const BATCH_SYMBOLS = 100;
const BATCH_RULES = 10;

/** Where the cores went during a batch: workers, the API, the gateway, Postgres, Redis. */
const classify = (cmdline: string) =>
  cmdline.includes('signals/worker.js') ? 'workers'
    : cmdline.includes('signals/main.js') ? 'signals api'
      : cmdline.includes('gateway/main.js') ? 'gateway'
        : cmdline.startsWith('postgres') || cmdline.includes('bin/postgres') ? 'postgres'
          : cmdline.includes('redis-server') ? 'redis' : undefined;

const ctx = await createTestContext();
const env = benchEnv(ctx, ports, { WORKER_CONCURRENCY: '4' });
await migrate({ databaseUrl: ctx.database.url });
const config = ctx.config('signals');
log('loading SPX 2000–2020 and 100 synthetic symbols × 5,000 daily bars');
await loadDemoData(config.database, () => undefined);
const pools = createPools(config.database, 'bench-signals');
const instruments = new InstrumentRepository(pools.write, pools.read);
const batchSymbols = Array.from({ length: BATCH_SYMBOLS }, (_, i) => `B${String(i).padStart(3, '0')}`);
for (const [i, symbol] of batchSymbols.entries()) {
  const { instrument } = await instruments.upsert({ symbol, name: `Batch ${i}` });
  await ingestBars(pools.write, { instrumentId: instrument.id, interval: '1d', format: 'csv', source: syntheticCsv({ seed: 1000 + i, interval: '1d', rows: 5_000, start: Date.UTC(2000, 0, 3), startPrice: 50 + i }) });
  if ((i + 1) % 25 === 0) log(`  ${i + 1}/${BATCH_SYMBOLS} symbols loaded`);
}
await pools.close();

const built = builtProcesses(ROOT, ['gateway', 'signals']);
const servers = built.filter((spec) => spec.name !== 'signals:worker');
const workerSpec = built.find((spec) => spec.name === 'signals:worker');
if (servers.length !== 2 || !workerSpec) throw new Error('built bundles missing: run `npm run build` first');
const stack = startProcesses(servers, env);
const workers: RunningStack[] = [];
const redis = createRedis(env.REDIS_URL as string, { name: 'bench-invalidator' });
// Same prefix as the services: its deleteByTag reaches their memory through the bus, as an ingest would.
const invalidator = await createCache({ redisPrefix: env.REDIS_PREFIX as string }, redis).start();

try {
  if ((await waitLive([base, `http://127.0.0.1:${ports.signals}`], 20_000)).length > 0) throw new Error('services did not start; run `npm run build` first');
  const key = await createApiKey(env);
  const auth = { authorization: `Bearer ${key}` };
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: auth });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ bars?: number }>;
  };
  const spx = await get(HOT_SIGNALS_READ);

  log(`1. warm-up, then ${seconds} s at ${connections} connections: hello world (${HELLO}) and cached ${HOT_SIGNALS_READ}`);
  await autocannon(`${base}${HELLO}`, { seconds: 2, connections, headers: auth });
  await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds: 2, connections, headers: auth });
  const hello = await autocannon(`${base}${HELLO}`, { seconds, connections, headers: auth });
  const cached = await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds, connections, headers: auth });
  const half = Math.round(cached.rps / 2);
  const atHalf = await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds, connections: 10, rate: half, headers: auth });
  log(`   hello ${hello.rps.toFixed(0)} req/s, cached signals ${cached.rps.toFixed(0)} req/s; at ${half} req/s p97.5 ${atHalf.p97_5} ms`);
  const compressing = { ...auth, 'accept-encoding': 'br, gzip' };
  await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds: 2, connections, headers: compressing });
  const compressed = await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds, connections, headers: compressing });
  log(`   cached signals for a client that accepts br: ${compressed.rps.toFixed(0)} req/s`);

  log('2. cold GET /v1/signals over SPX, 100 requests, every SPX cache entry dropped before each');
  const cold: number[] = [];
  const coldServer: number[] = [];
  for (let i = 0; i < 100; i++) {
    await invalidator.deleteByTag(['symbol:SPX']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    const res = await fetch(`${base}/v1/signals?symbol=SPX&rule=ma-cross&fast=${5 + (i % 40)}&slow=${60 + i}`, { headers: auth });
    await res.arrayBuffer();
    cold.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`cold GET: ${res.status}`);
    coldServer.push(Number(/signals;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? Number.NaN));
  }
  log(`   client p50 ${percentile(cold, 50).toFixed(1)} ms, p95 ${percentile(cold, 95).toFixed(1)} ms; inside signals p95 ${percentile(coldServer, 95).toFixed(1)} ms`);

  log(`3. batch of ${BATCH_SYMBOLS} symbols × ${BATCH_RULES} rules, 1 then 2 worker processes, twice`);
  const runs: { workers: number; seconds: number; rate: number; cpuSeconds: Record<string, number>; coresBusy: number }[] = [];
  // Rules whose parameters depend on the round (a new job id, nothing cached from the last one).
  const rulesFor = (round: number) => Array.from({ length: BATCH_RULES }, (_, r) => (r % 2 === 0
    ? { type: 'ma-cross', fast: 5 + r, slow: 40 + round * 10 + r }
    : { type: 'rsi-reversion', period: 7 + r, enterBelow: 25 + round, exitAbove: 70 }));
  async function runBatch(symbols: readonly string[], rules: unknown[], onProgress: (progress: number) => void): Promise<void> {
    const submitted = await fetch(`${base}/v1/signals/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ symbols, rules }) });
    if (submitted.status !== 202) throw new Error(`batch: ${submitted.status} ${await submitted.text()}`);
    const { id } = (await submitted.json()) as { id: string };
    for (let state = ''; state !== 'completed';) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const job = (await get(`/v1/jobs/${id}`)) as { state?: string; progress?: number; failedReason?: string };
      state = job.state ?? '';
      if (state === 'failed') throw new Error(`batch failed: ${job.failedReason}`);
      onProgress(job.progress ?? 0);
    }
  }
  for (const [round, count] of [1, 2, 1, 2].entries()) {
    while (workers.length < count) workers.push(startProcesses([{ ...workerSpec, name: `signals:worker${workers.length + 1}` }], env));
    while (workers.length > count) await workers.pop()?.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Untimed, so that a worker process just started has compiled its hot code, as a long-lived
    // one has: otherwise every 2-worker round pays one worker's warm-up and no 1-worker round does.
    await runBatch(batchSymbols.slice(0, 20), rulesFor(10 + round), () => undefined);
    await invalidator.deleteByTag(batchSymbols.map((symbol) => `symbol:${symbol}`));
    const cpuBefore = cpuSnapshot(classify);
    const started = performance.now();
    let logged = -1;
    await runBatch(batchSymbols, rulesFor(round), (progress) => {
      if (progress !== logged && progress % 25 === 0) log(`   ${count} worker(s): ${progress}%`);
      logged = progress;
    });
    const elapsed = (performance.now() - started) / 1000;
    const cpuSeconds = cpuDelta(cpuBefore, cpuSnapshot(classify));
    const coresBusy = Math.round((Object.values(cpuSeconds).reduce((sum, s) => sum + s, 0) / elapsed) * 100) / 100;
    runs.push({ workers: count, seconds: Math.round(elapsed * 100) / 100, rate: Math.round((BATCH_SYMBOLS * BATCH_RULES) / elapsed), cpuSeconds, coresBusy });
    log(`   ${count} worker(s): ${elapsed.toFixed(2)} s, ${((BATCH_SYMBOLS * BATCH_RULES) / elapsed).toFixed(0)} symbol×rule evaluations/s, ${coresBusy} of ${availableParallelism()} cores busy; CPU s ${JSON.stringify(cpuSeconds)}`);
  }
  const mean = (n: number, of: (run: (typeof runs)[number]) => number) => {
    const matching = runs.filter((run) => run.workers === n);
    return matching.reduce((sum, run) => sum + of(run), 0) / matching.length;
  };
  const rate = (n: number) => mean(n, (run) => run.rate);
  const coresBusy = (n: number) => mean(n, (run) => run.coresBusy);

  const report = {
    bars: spx.bars,
    cached: { rps: Math.round(cached.rps), helloRps: Math.round(hello.rps), ratioToHello: ratio(cached.rps, hello.rps), atHalfSaturation: { rate: half, p97_5: atHalf.p97_5, p99: atHalf.p99 }, brClientRps: Math.round(compressed.rps), brOverPlain: ratio(compressed.rps, cached.rps) },
    cold: { requests: cold.length, p50: Math.round(percentile(cold, 50) * 10) / 10, p95: Math.round(percentile(cold, 95) * 10) / 10, signalsP95: Math.round(percentile(coldServer, 95) * 10) / 10 },
    // The most a second worker could add: the cores the 1-worker rounds left idle.
    batch: { symbols: BATCH_SYMBOLS, rules: BATCH_RULES, barsPerSymbol: 5_000, runs, scaling: ratio(rate(2), rate(1)), scalingCeiling: ratio(availableParallelism(), coresBusy(1)) },
    failures: [hello, cached, atHalf, compressed].reduce((sum, r) => sum + r.non2xx + r.errors, 0),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  invalidator.close();
  redis.disconnect();
  for (const worker of workers) await worker.stop();
  await stack.stop();
  await ctx.cleanup();
}
