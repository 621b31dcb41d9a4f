/**
 * The backtest service through the gateway, in one run:
 *   1. POST /v1/backtests → completed for one SPX daily backtest (2000–2020, ma-cross 20/100),
 *      each a new request, on an idle stack, polled every 2 ms; beside the quant core's
 *      in-process run of the same backtest over the same bars;
 *   2. a 1,000-combination sweep (fast 5–100 × slow 110–600) from POST to completed, against
 *      the quant core running the same sets in this process, alternated twice;
 *   3. GET /v1/backtests?sort=sharpe, the first page, over 1,000,000 stored backtests of one
 *      tenant, with the sort index and without it, with the plans (EXPLAIN ANALYZE).
 *
 *   npm run build && npm run bench:backtest     (BENCH_RUNS=40)
 */
import { createPools, BarRepository, InstrumentRepository } from '@meridian/db';
import { migrate } from '@meridian/db/migrate';
import { backtest, expandGrid, parseRuleSpec, runParamSets, sliceSeries } from '@meridian/market';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { Progress } from '../lib/progress.js';
import { builtProcesses, startProcesses, waitLive } from '../stack/processes.js';
import { median, percentile } from './lib/interleave.js';
import { log, ratio, ROOT } from './lib/load.js';
import { benchEnv, createApiKey, exitCheck } from './lib/stack.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const ports = { gateway: 3930, signals: 3931 };
const base = `http://127.0.0.1:${ports.gateway}`;
const spec = { type: 'ma-cross', fast: 20, slow: 100 };
const grid = { fast: { from: 5, to: 100, step: 5 }, slow: { from: 110, to: 600, step: 10 } };
const ROWS = 1_000_000;

const ctx = await createTestContext();
const env = benchEnv(ctx, ports);
await migrate({ databaseUrl: ctx.database.url });
const config = ctx.config('backtest');
log('loading SPX 2000–2020');
await loadDemoData(config.database, () => undefined);
const pools = createPools(config.database, 'bench-backtest');
const spxId = (await new InstrumentRepository(pools.write, pools.read).bySymbol('SPX'))?.id as number;
const series = await new BarRepository(pools.read).columns(spxId, '1d');

const specs = builtProcesses(ROOT, ['gateway', 'backtest']);
if (specs.length !== 3) throw new Error('built bundles missing: run `npm run build` first');
const stack = startProcesses(specs, env);
const alive = exitCheck(stack);
const ms = (t0: number) => performance.now() - t0;

try {
  if ((await waitLive([base, `http://127.0.0.1:${ports.signals + 2}`], 30_000)).length > 0) throw new Error('services did not start; run `npm run build` first');
  const auth = { authorization: `Bearer ${await createApiKey(env)}`, 'content-type': 'application/json' };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  };
  const until = async (path: string, everyMs: number) => {
    for (;;) {
      const view = await call<{ state: string; error: string | null }>('GET', path);
      if (view.state === 'completed') return;
      if (view.state === 'failed' || view.state === 'cancelled') throw new Error(`${path}: ${view.state} ${view.error}`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };

  // 1. One backtest, end to end, against the same run in process.
  const single = async (i: number) => {
    const t0 = performance.now();
    const { id } = await call<{ id: string }>('POST', '/v1/backtests', { spec, symbol: 'SPX', config: { capital: 100_000 + i } });
    await until(`/v1/backtests/${id}`, 2);
    return ms(t0);
  };
  const inProcess = () => {
    const t0 = performance.now();
    backtest(sliceSeries(series, 0, series.ts.length), parseRuleSpec(spec), { capital: 100_000 });
    return ms(t0);
  };
  for (let i = 0; i < 5; i++) await single(-1 - i);
  const service: number[] = [];
  const core: number[] = [];
  const progress = new Progress('single backtests', RUNS, 'runs');
  for (let i = 0; i < RUNS; i++) {
    service.push(await single(i));
    core.push(inProcess());
    progress.update(i + 1);
  }
  progress.done(RUNS);
  alive();
  const p50 = median(service);
  log(`POST → completed, SPX daily ${series.ts.length} bars: p50 ${p50.toFixed(1)} ms, p95 ${percentile(service, 95).toFixed(1)} ms; in process p50 ${median(core).toFixed(2)} ms; overhead ${(p50 - median(core)).toFixed(1)} ms`);

  // 2. A 1,000-set sweep, alternated with the same sets in process.
  const sets = expandGrid(grid);
  const sweepTimes: number[] = [];
  const coreTimes: number[] = [];
  for (let round = 0; round < 2; round++) {
    const t0 = performance.now();
    const { id } = await call<{ id: string }>('POST', '/v1/sweeps', { spec: { type: 'ma-cross' }, symbol: 'SPX', grid, top: 10, config: { capital: 100_000 + round } });
    await until(`/v1/sweeps/${id}`, 20);
    sweepTimes.push(ms(t0));
    const t1 = performance.now();
    runParamSets(series, { type: 'ma-cross' }, sets, { capital: 100_000 + round }, { objective: 'sharpe' });
    coreTimes.push(ms(t1));
    log(`  sweep round ${round + 1}: service ${sweepTimes[round]?.toFixed(0)} ms, in process ${coreTimes[round]?.toFixed(0)} ms`);
  }
  alive();
  log(`sweep of ${sets.length} sets: service ${median(sweepTimes).toFixed(0)} ms, in process ${median(coreTimes).toFixed(0)} ms, ratio ${ratio(median(sweepTimes), median(coreTimes))}× (target ≤ 3×)`);

  // 3. The sorted list over a million backtests.
  log(`storing ${ROWS.toLocaleString('en-US')} backtests for one tenant`);
  await pools.write.query(
    `INSERT INTO backtests (id, tenant, symbol, interval, request, state, sharpe, cagr, max_drawdown, final_value, trade_count, created_at, finished_at)
     SELECT 'bench-' || g, 'bench', 'SPX', '1d', '{}', 'completed', CASE WHEN g % 50 = 0 THEN NULL ELSE random() * 4 - 1 END, random() - 0.2, random(), 100000 * (1 + random()), (random() * 200)::int,
            now() - g * interval '1 second', now()
     FROM generate_series(1, $1) AS g`,
    [ROWS],
  );
  await pools.write.query('ANALYZE backtests');
  const list = async (count: number) => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await call('GET', '/v1/backtests?sort=sharpe&limit=50');
      times.push(ms(t0));
    }
    return times;
  };
  const plan = async () => (await pools.write.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM backtests WHERE tenant = 'bench' ORDER BY COALESCE(sharpe, '-Infinity') DESC, id DESC LIMIT 51`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  await list(20);
  const indexed = await list(200);
  log(`plan with the index:\n${await plan()}`);
  await pools.write.query('DROP INDEX backtests_sharpe');
  const scanned = await list(20);
  log(`plan without it:\n${await plan()}`);
  await pools.write.query("CREATE INDEX backtests_sharpe ON backtests (tenant, (COALESCE(sharpe, '-Infinity')), id)");
  alive();
  log(`GET /v1/backtests?sort=sharpe over ${ROWS.toLocaleString('en-US')}: p95 ${percentile(indexed, 95).toFixed(1)} ms with the index, ${percentile(scanned, 95).toFixed(1)} ms without (${ratio(percentile(scanned, 95), percentile(indexed, 95))}×)`);
} finally {
  await stack.stop();
  await pools.close();
  await ctx.cleanup();
}
