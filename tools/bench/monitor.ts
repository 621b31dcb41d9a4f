/**
 * The monitor's own cost, in one run, with the gateway, signals and backtest services and both
 * workers under a steady light load through the gateway and the monitor scraping every 5 s:
 * 1. the scraped processes' CPU with the monitor over without it, phases of 60 s alternated
 *    BENCH_ROUNDS times; 2. the monitor's RSS sampled over BENCH_MINUTES of scraping.
 *
 *   npm run build && npm run bench:monitor     (BENCH_ROUNDS=3, BENCH_MINUTES=10, BENCH_RATE=50 requests/s)
 */
import { readFileSync } from 'node:fs';
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { builtProcesses, startProcesses, waitLive, type RunningStack } from '../stack/processes.js';
import { cpuDelta, cpuSnapshot } from './lib/cpu.js';
import { median } from './lib/interleave.js';
import { autocannon, log, ratio, ROOT } from './lib/load.js';
import { benchEnv, createApiKey, exitCheck } from './lib/stack.js';
import { Progress } from '../lib/progress.js';

const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const PHASE_S = 60;
const ports = { gateway: 3940, signals: 3941 };
const base = `http://127.0.0.1:${ports.gateway}`;

const scraped = (cmdline: string) =>
  /apps\/(gateway|signals|backtest)\/(main|worker)\.js/.test(cmdline) ? 'scraped' : cmdline.includes('monitor/main.js') ? 'monitor' : undefined;

const ctx = await createTestContext();
// Workers on their service's port + 100 (the test context's 0 would hide them), where the monitor looks.
const env = benchEnv(ctx, ports, { MONITOR_SCRAPE_INTERVAL_MS: '5000', WORKER_METRICS_PORT: '' });
await migrate({ databaseUrl: ctx.database.url });
await loadDemoData(ctx.config('signals').database, () => undefined);
const specs = builtProcesses(ROOT, ['gateway', 'signals', 'backtest', 'monitor']);
const monitorSpec = specs.find((s) => s.name === 'monitor');
if (specs.length !== 6 || !monitorSpec) throw new Error('built bundles missing: run `npm run build` first');
const stack = startProcesses(specs.filter((s) => s !== monitorSpec), env);
let monitor: RunningStack | undefined;
const alive = exitCheck(stack);

const rssMb = (pid: number | undefined) => (pid ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024 : 0);

try {
  if ((await waitLive([base], 30_000)).length > 0) throw new Error('services did not start; run `npm run build` first');
  const key = await createApiKey(env);
  const load = () => autocannon(`${base}/v1/signals?symbol=SPX&rule=ma-cross&fast=20&slow=50`, { connections: 4, seconds: PHASE_S, rate: RATE, headers: { authorization: `Bearer ${key}` } });
  const phase = async () => {
    const before = cpuSnapshot(scraped);
    await load();
    return cpuDelta(before, cpuSnapshot(scraped)).scraped ?? 0;
  };
  const startMonitor = async () => {
    const running = startProcesses([monitorSpec], env);
    if ((await waitLive([`http://127.0.0.1:${ports.signals + 2}`], 20_000)).length > 0) throw new Error('the monitor did not start');
    return running;
  };

  // 1. CPU of the scraped processes, phases alternated: monitor stopped, monitor scraping.
  const off: number[] = [];
  const on: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    off.push(await phase());
    monitor = await startMonitor();
    on.push(await phase());
    await monitor.stop();
    monitor = undefined;
    log(`round ${round + 1}/${ROUNDS}: scraped processes used ${off.at(-1)} CPU s without the monitor, ${on.at(-1)} with it (${PHASE_S} s each)`);
    alive();
  }
  log(`scraped CPU with ÷ without the monitor: ${ratio(median(on), median(off))}× (target ≤ 1.02×)`);

  // 2. The monitor's RSS over a long run under the same load.
  monitor = await startMonitor();
  const rss: number[] = [];
  const progress = new Progress('monitor RSS run', MINUTES * 60, 's');
  const t0 = performance.now();
  const sampler = setInterval(() => {
    rss.push(rssMb(monitor?.pid('monitor')));
    progress.update((performance.now() - t0) / 1000);
  }, 10_000);
  for (let minute = 0; minute < MINUTES; minute++) await load();
  clearInterval(sampler);
  progress.done((performance.now() - t0) / 1000);
  alive();
  const first = median(rss.slice(2, 8));
  const last = median(rss.slice(-6));
  log(`monitor RSS: ${first.toFixed(1)} MB in its second minute, ${last.toFixed(1)} MB in its last (${MINUTES} min of scraping every 5 s): ${(last - first).toFixed(1)} MB apart`);
} finally {
  await monitor?.stop();
  await stack.stop();
  await ctx.cleanup();
}
