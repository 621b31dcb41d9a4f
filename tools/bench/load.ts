/**
 * The realistic mix through the gateway, with production settings (NODE_ENV=production, JSON
 * logs piped as `npm start` pipes them): 70 % cached signal reads, 15 % bar ranges, 10 % indicator
 * reads, 5 % batch job submissions, each route its own autocannon process with connections (or
 * rate) in those shares.
 *
 *   npm run build && npm run bench:load              saturation, latency at 50 %, CPU per request
 *   BENCH_SECONDS=20 npm run bench:load
 *   BENCH_SOAK_MINUTES=10 npm run bench:load         the soak instead: 60 % of saturation
 *
 * Phases: (1) saturation with request logging at info, (2) saturation with LOG_LEVEL=warn (what
 * request logging costs), (3) each route's p50/p95/p99 at 50 % of (1); CPU µs per request of each
 * process over (1). Writes tmp/bench-load.json and prints Markdown tables.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Harness, withStack } from '../chaos/scenarios.js';
import { cpuDelta, cpuSnapshot } from './lib/cpu.js';
import { autocannon, log, ROOT, type LoadResult } from './lib/load.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const soakMinutes = Number(process.env.BENCH_SOAK_MINUTES ?? 0);
const TOTAL_CONNECTIONS = 40;

interface Route {
  name: string;
  share: number;
  path: string;
  method?: 'POST';
  body?: string;
}
// Batch submissions repeat one request: after the first, each is the cheap "already queued" answer
// of a deterministic job id, as a client retrying would get.
const ROUTES: Route[] = [
  { name: 'cached signal read', share: 0.7, path: '/v1/signals?symbol=CHAOS&rule=ma-cross&fast=5&slow=20' },
  { name: 'bar range', share: 0.15, path: '/v1/bars?symbol=CHAOS&from=2020-03-01&to=2020-09-01' },
  { name: 'indicator read', share: 0.1, path: '/v1/indicators/rsi?symbol=CHAOS&period=14' },
  { name: 'job submission', share: 0.05, path: '/v1/signals/batch', method: 'POST', body: JSON.stringify({ symbols: ['CHAOS'], rules: [{ type: 'ma-cross', fast: 5, slow: 20 }] }) },
];

/** Each route in its own autocannon process at once: `connections` split by share, or `rate` split by share. */
async function mix(h: Harness, options: { connections?: number; rate?: number; seconds: number }): Promise<Record<string, LoadResult>> {
  const runs = ROUTES.map((route) =>
    autocannon(`${h.gateway}${route.path}`, {
      connections: Math.max(1, Math.round((options.connections ?? 20) * route.share)),
      seconds: options.seconds,
      rate: options.rate ? Math.max(1, Math.round(options.rate * route.share)) : undefined,
      headers: { ...h.auth, ...(route.method ? { 'content-type': 'application/json' } : {}) },
      ...(route.method ? { method: route.method, body: route.body } : {}),
    }),
  );
  return Object.fromEntries((await Promise.all(runs)).map((result, i) => [(ROUTES[i] as Route).name, result]));
}

const total = (results: Record<string, LoadResult>) => Object.values(results).reduce((sum, r) => sum + r.rps, 0);
const problems = (results: Record<string, LoadResult>) => Object.values(results).reduce((sum, r) => sum + r.errors + Object.entries(r.statusCodes).filter(([code]) => Number(code) >= 500).reduce((s, [, n]) => s + n, 0), 0);

/** Which Meridian process a command line is, for the CPU figures. */
const classify = (cmdline: string) => {
  // The machine's Postgres and Redis serve this bench alone while it runs.
  if (cmdline.startsWith('postgres') || cmdline.includes('/postgres ')) return 'postgres';
  if (cmdline.startsWith('redis-server')) return 'redis';
  if (!cmdline.includes('dist/apps/')) return undefined;
  if (cmdline.includes('signals/worker.js')) return 'signals worker';
  if (cmdline.includes('signals/main.js')) return 'signals';
  if (cmdline.includes('gateway/main.js')) return 'gateway';
  return undefined;
};

const production = { NODE_ENV: 'production' };
const prepare = async (h: Harness) => {
  // Warm every route once, so the measured phases read caches as a running stack would.
  for (const route of ROUTES) await fetch(`${h.gateway}${route.path}`, { method: route.method ?? 'GET', headers: { ...h.auth, 'content-type': 'application/json' }, body: route.body });
};
const options = { concurrency: 1, faultMs: 0 };

function sampleProcesses(): Record<string, { rssMb: number }> {
  const out: Record<string, { rssMb: number }> = {};
  for (const [pid, name] of processes()) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    out[name] = { rssMb: Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 102.4) / 10 };
  }
  return out;
}
function processes(): [string, string][] {
  const found: [string, string][] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const name = classify(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      if (name && name !== 'postgres' && name !== 'redis') found.push([pid, name]);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

async function heapOf(h: Harness): Promise<Record<string, number>> {
  const heap = async (base: string) => Math.round(((await h.metric(base, 'nodejs_heap_size_used_bytes', {})) ?? 0) / 1e5) / 10;
  return { gateway: await heap(h.gateway), signals: await heap(h.signals), 'signals worker': await heap(h.worker) };
}

async function redisKeys(h: Harness): Promise<number> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(h.env.REDIS_URL as string);
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${h.env.REDIS_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  redis.disconnect();
  return count;
}

mkdirSync(join(ROOT, 'tmp'), { recursive: true });
if (soakMinutes > 0) {
  const report = await withStack({ ...production, LOG_LEVEL: 'info' }, options, async (h) => {
    await prepare(h);
    log(`finding saturation (${seconds} s)...`);
    const saturation = total(await mix(h, { connections: TOTAL_CONNECTIONS, seconds }));
    const rate = Math.round(saturation * 0.6);
    log(`soak: ${soakMinutes} min at ${rate} req/s (60 % of ${Math.round(saturation)}), sampling every 10 s`);
    const samples: { minute: number; heapMb: Record<string, number>; rssMb: Record<string, { rssMb: number }>; redisKeys: number }[] = [];
    const started = Date.now();
    const running = mix(h, { rate, seconds: soakMinutes * 60 });
    while (Date.now() - started < soakMinutes * 60_000 - 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      samples.push({ minute: Math.round((Date.now() - started) / 6_000) / 10, heapMb: await heapOf(h), rssMb: sampleProcesses(), redisKeys: await redisKeys(h) });
      log(`  ${samples.at(-1)?.minute} min: heap ${JSON.stringify(samples.at(-1)?.heapMb)} MB, Redis keys ${samples.at(-1)?.redisKeys}`);
    }
    const results = await running;
    // No job left behind: the submissions all name one job, which must have completed.
    const { Queue } = await import('bullmq');
    const { bullPrefix, QUEUES } = await import('@meridian/queue');
    const queue = new Queue(QUEUES.signalsSymbol, { connection: { url: h.env.REDIS_URL }, prefix: bullPrefix({ redisPrefix: h.env.REDIS_PREFIX as string }) });
    const jobs = await queue.getJobCounts('active', 'waiting', 'failed');
    await queue.close();
    return { saturation, rate, samples, errors: problems(results), results, jobs };
  });
  // Growth after the first two minutes (warm-up): last sample over the first one past minute 2.
  const warm = report.samples.find((s) => s.minute >= 2) ?? report.samples[0];
  const last = report.samples.at(-1);
  const growth = Object.fromEntries(
    Object.keys(last?.rssMb ?? {}).map((name) => [name, { rss: (last?.rssMb[name]?.rssMb ?? 0) / (warm?.rssMb[name]?.rssMb ?? 1) - 1, heap: (last?.heapMb[name] ?? 0) / (warm?.heapMb[name] ?? 1) - 1 }]),
  );
  writeFileSync(join(ROOT, 'tmp/bench-soak.json'), `${JSON.stringify({ ...report, growth }, null, 2)}\n`);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  process.stdout.write(
    [
      `Soak: ${soakMinutes} min at ${report.rate} req/s (60 % of ${Math.round(report.saturation)}), ${report.errors} errors/5xx; Redis keys ${warm?.redisKeys} → ${last?.redisKeys}; jobs left ${JSON.stringify(report.jobs)}`,
      '',
      '| process | RSS after warm-up → end | growth | heap after warm-up → end | growth |',
      '| --- | --- | --- | --- | --- |',
      ...Object.entries(growth).map(([name, g]) => `| ${name} | ${warm?.rssMb[name]?.rssMb} → ${last?.rssMb[name]?.rssMb} MB | ${pct(g.rss)} | ${warm?.heapMb[name]} → ${last?.heapMb[name]} MB | ${pct(g.heap)} |`),
    ].join('\n') + '\n',
  );
} else {
  let measureLatency = true;
  const phase = async (level: string) =>
    withStack({ ...production, LOG_LEVEL: level }, options, async (h) => {
      await prepare(h);
      log(`saturation, LOG_LEVEL=${level} (${seconds} s, ${TOTAL_CONNECTIONS} connections)...`);
      const before = cpuSnapshot(classify);
      const saturated = await mix(h, { connections: TOTAL_CONNECTIONS, seconds });
      const cpu = cpuDelta(before, cpuSnapshot(classify));
      const requests = Object.values(saturated).reduce((sum, r) => sum + r.requests, 0);
      const cpuPerRequestUs = Object.fromEntries(Object.entries(cpu).map(([name, s]) => [name, Math.round((s * 1e6) / requests)]));
      if (level !== 'info' || !measureLatency) return { level, saturation: total(saturated), errors: problems(saturated), cpuPerRequestUs };
      const rate = Math.round(total(saturated) / 2);
      log(`latency at 50 % (${rate} req/s, ${seconds} s)...`);
      const half = await mix(h, { rate, seconds });
      measureLatency = false;
      return { level, saturation: total(saturated), errors: problems(saturated) + problems(half), cpuPerRequestUs, rate, half };
    });
  // Stacks with and without request logging in turns, so the machine's drift lands on both.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  type Phase = Awaited<ReturnType<typeof phase>>;
  const infos: Phase[] = [];
  const warns: Phase[] = [];
  for (let round = 0; round < rounds; round++) {
    infos.push(await phase('info'));
    warns.push(await phase('warn'));
  }
  const ratios = warns.map((w, i) => w.saturation / (infos[i]?.saturation ?? 1)).sort((a, b) => a - b);
  const info = infos[0] as Phase;
  const warn = { ...(warns[0] as Phase), saturation: (info.saturation * (ratios[Math.floor(ratios.length / 2)] ?? 1)) };
  writeFileSync(join(ROOT, 'tmp/bench-load.json'), `${JSON.stringify({ seconds, rounds, infos, warns, ratios }, null, 2)}\n`);
  const half = info.half as Record<string, LoadResult>;
  process.stdout.write(
    [
      `| figure | result |`,
      '| --- | --- |',
      `| throughput at saturation, request log on (info) | ${Math.round(info.saturation)} req/s, ${info.errors} errors/5xx |`,
      `| throughput at saturation, request log off (warn) ÷ on, per round | ${ratios.map((r) => r.toFixed(2)).join(', ')} |`,
      `| CPU per request (µs), log on | ${Object.entries(info.cpuPerRequestUs).map(([n, us]) => `${n} ${us}`).join(', ')} |`,
      `| CPU per request (µs), log off | ${Object.entries(warn.cpuPerRequestUs).map(([n, us]) => `${n} ${us}`).join(', ')} |`,
      '',
      `At 50 % of saturation (${info.rate} req/s):`,
      '',
      '| route | share | p50 ms | p97.5 ms (≥ p95) | p99 ms |',
      '| --- | --- | --- | --- | --- |',
      ...ROUTES.map((route) => `| ${route.name} | ${route.share * 100} % | ${half[route.name]?.p50} | ${half[route.name]?.p97_5} | ${half[route.name]?.p99} |`),
    ].join('\n') + '\n',
  );
}
