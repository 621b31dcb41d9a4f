/**
 * Live bars at scale: subscribers of GET /v1/live held by a load generator in its own process,
 * 100 symbols, one new minute bar per symbol per round (a market feed's minute).
 * 1. 1,000 subscribers through the gateway and 1,000 straight to the service, side by side:
 *    latency from sending an upload to the last subscriber's receipt of its bar, p50/p99.
 * 2. 10,000 subscribers through the gateway: RSS per subscriber in the gateway and the service,
 *    CPU while idle (heartbeats only), latency p50/p99.
 * 3. Two signals instances, clients on each, a share of them dropped and reconnecting with
 *    Last-Event-ID every second while bars arrive: bars lost or received twice.
 *
 *   npm run build && npm run bench:live     (BENCH_SUBSCRIBERS=10000, BENCH_ROUNDS=10, BENCH_CHURN_S=30)
 *
 * It raises its own open-file limit (the services inherit it) by starting itself again under
 * prlimit. Where it cannot (a container without CAP_SYS_RESOURCE), it keeps the limit and runs as
 * many gateway instances as the subscribers need: a gateway holds two sockets per subscriber.
 */
import { fork, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { builtProcesses, startProcesses, waitLive, type RunningStack } from '../stack/processes.js';
import { cpuDelta, cpuSnapshot } from './lib/cpu.js';
import { percentile } from './lib/interleave.js';
import { log, ratio, ROOT } from './lib/load.js';
import type { Target } from './lib/live-clients.js';
import { BENCH_SECRET, benchEnv, createApiKey, exitCheck } from './lib/stack.js';

const NOFILE = 200_000;
if (!process.env.BENCH_NOFILE_RAISED) {
  if (spawnSync('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, '--', 'true']).status === 0) {
    const again = spawnSync('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_NOFILE_RAISED: '1' } });
    process.exit(again.status ?? 1);
  }
  log('cannot raise the open-file limit here (no CAP_SYS_RESOURCE); running within the current one');
}
/** This process's open-file limit, which the services inherit. */
const openFiles = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CHURN_S = Number(process.env.BENCH_CHURN_S ?? 30);
const SYMBOLS = Array.from({ length: 100 }, (_, i) => `LIVE${String(i).padStart(3, '0')}`);
const ports = { gateway: 3960, signals: 3961 };
const GATEWAYS = Math.ceil((SUBSCRIBERS * 2) / (openFiles - 2_000));
const gatewayUrls = Array.from({ length: GATEWAYS }, (_, i) => `http://127.0.0.1:${i === 0 ? ports.gateway : 3970 + i}`);
const second = 3965;
const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
const signalsUrl = `http://127.0.0.1:${ports.signals}`;
const secondUrl = `http://127.0.0.1:${second}`;

const ctx = await createTestContext();
const env = benchEnv(ctx, ports);
await migrate({ databaseUrl: ctx.database.url });
const specs = builtProcesses(ROOT, ['gateway', 'signals']).filter((s) => !s.name.endsWith(':worker'));
if (specs.length !== 2) throw new Error('built bundles missing: run `npm run build` first');
const stacks: RunningStack[] = [startProcesses(specs, env)];
for (let i = 1; i < GATEWAYS; i++) stacks.push(startProcesses(specs.filter((s) => s.name === 'gateway'), { ...env, GATEWAY_PORT: String(3970 + i) }));
const checks = stacks.map(exitCheck);
const alive = () => checks.forEach((check) => check());

const rssMb = (pid: number | undefined) => (pid ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024 : 0);
const role = (cmdline: string) => (cmdline.includes('apps/gateway/main.js') ? 'gateway' : cmdline.includes('apps/signals/main.js') ? 'signals' : undefined);

/** The load generator: a child process answering one message with one message. */
function generator() {
  const child = fork(join(ROOT, 'tools/bench/lib/live-clients.ts'), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_ENV: 'production' } });
  const waiting = new Map<string, (message: Record<string, unknown>) => void>();
  child.on('message', (message: Record<string, unknown>) => {
    if (message.type === 'progress') return void process.stderr.write(`\r[bench] ${String(message.connected)} subscribers connected   `);
    const type = String(message.type);
    waiting.get(type)?.(message);
    waiting.delete(type);
  });
  const ask = <T extends Record<string, unknown>>(message: Record<string, unknown>, answer: string) =>
    new Promise<T>((resolve) => {
      waiting.set(answer, resolve as (message: Record<string, unknown>) => void);
      child.send(message);
    });
  return {
    ready: new Promise<void>((resolve) => waiting.set('ready', () => resolve())),
    pid: child.pid,
    connect: async (targets: Target[], count: number) => {
      const answer = await ask<{ clients: number; errors: number }>({ type: 'connect', targets, count, symbols: SYMBOLS }, 'connected');
      process.stderr.write('\n');
      if (answer.errors > 0) throw new Error(`${answer.errors} subscribers failed to connect`);
      return answer.clients;
    },
    receipts: (keys: string[]) => ask<{ receipts: Record<string, { count: number; last: number }> }>({ type: 'receipts', keys }, 'receipts'),
    churn: (perSecond: number) => ask({ type: 'churn', perSecond }, 'churning'),
    audit: (expected: Record<string, string[]>) => ask<{ clients: number; missing: number; duplicated: number; reconnects: number; errors: number }>({ type: 'audit', expected }, 'audit'),
    close: () => child.send({ type: 'close' }),
  };
}

let minute = Date.UTC(2026, 0, 5, 14, 30);
/** One new minute bar for each symbol, uploaded a few at a time; resolves with each upload's bar key and send time. */
async function uploadRound(key: string): Promise<{ key: string; sent: number }[]> {
  const ts = new Date((minute += 60_000)).toISOString();
  const sent: { key: string; sent: number }[] = [];
  for (let i = 0; i < SYMBOLS.length; i += 4) {
    await Promise.all(
      SYMBOLS.slice(i, i + 4).map(async (symbol) => {
        const at = Date.now();
        const res = await fetch(`${gatewayUrl}/v1/bars?symbol=${symbol}&interval=1m`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: `ts,open,high,low,close,volume\n${ts},10,11,9,10.5,100\n` });
        if (res.status !== 200) throw new Error(`upload of ${symbol} answered ${res.status}: ${await res.text()}`);
        sent.push({ key: `${symbol} ${ts}`, sent: at });
      }),
    );
  }
  return sent;
}

/**
 * Latencies (ms) from sending each upload to the last subscriber's receipt of its bar, for each
 * generator (all hear the same uploads), once each has `perSymbol` receipts of every bar.
 */
async function latencyRounds(generators: ReturnType<typeof generator>[], key: string, perSymbol: number): Promise<number[][]> {
  const latencies: number[][] = generators.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const uploads = await uploadRound(key);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answers = await Promise.all(generators.map((g) => g.receipts(uploads.map((u) => u.key))));
      if (answers.every(({ receipts }) => uploads.every((u) => (receipts[u.key]?.count ?? 0) >= perSymbol))) {
        answers.forEach(({ receipts }, i) => latencies[i]?.push(...uploads.map((u) => (receipts[u.key]?.last ?? 0) - u.sent)));
        break;
      }
      if (Date.now() > deadline) throw new Error(`round ${round + 1}: not every subscriber received its bar within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.stderr.write(`\r[bench] round ${round + 1}/${ROUNDS}   `);
  }
  process.stderr.write('\n');
  return latencies;
}

const summary = (latencies: number[]) => ({ p50: percentile(latencies, 50), p99: percentile(latencies, 99) });

try {
  if ((await waitLive([...gatewayUrls, signalsUrl], 30_000)).length > 0) throw new Error('services did not start; run `npm run build` first');
  const key = await createApiKey(env);
  for (const symbol of SYMBOLS) {
    const res = await fetch(`${gatewayUrl}/v1/instruments`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ symbol, name: symbol }) });
    if (res.status >= 300) throw new Error(`creating ${symbol} answered ${res.status}`);
  }
  const viaGateway: Target = { url: gatewayUrl, key };
  const direct: Target = { url: signalsUrl, secret: BENCH_SECRET };

  // 1. 1,000 through the gateway beside 1,000 straight to the service, hearing the same uploads.
  // Every gateway's RSS together: the subscribers are spread over them.
  const gatewayRss = () => stacks.slice(0, GATEWAYS).reduce((sum, stack) => sum + rssMb(stack.pid('gateway')), 0);
  const signalsPid = stacks[0]?.pid('signals');
  const small = { gateway: generator(), direct: generator() };
  await Promise.all([small.gateway.ready, small.direct.ready]);
  await small.gateway.connect([viaGateway], 1_000);
  await small.direct.connect([direct], 1_000);
  log('1,000 subscribers through the gateway and 1,000 direct: latency rounds');
  const [viaGatewayMs = [], directMs = []] = await latencyRounds([small.gateway, small.direct], key, 10);
  alive();
  small.direct.close();
  small.gateway.close();
  const one = { gateway: summary(viaGatewayMs), direct: summary(directMs) };
  log(`1,000 subscribers: through the gateway p50 ${one.gateway.p50} ms, p99 ${one.gateway.p99} ms; direct p50 ${one.direct.p50} ms, p99 ${one.direct.p99} ms`);

  // 2. 10,000 through the gateway.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const base = { gateway: gatewayRss(), signals: rssMb(signalsPid) };
  const big = generator();
  await big.ready;
  await big.connect(gatewayUrls.map((url) => ({ url, key })), SUBSCRIBERS);
  if (GATEWAYS > 1) log(`${SUBSCRIBERS} subscribers spread over ${GATEWAYS} gateway instances (open-file limit ${openFiles} each)`);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const held = { gateway: gatewayRss(), signals: rssMb(signalsPid) };
  const perKb = (role: 'gateway' | 'signals') => Math.round(((held[role] - base[role]) * 1024) / SUBSCRIBERS * 10) / 10;
  log(`RSS with ${SUBSCRIBERS} subscribers: gateway ${base.gateway.toFixed(0)} → ${held.gateway.toFixed(0)} MB (${perKb('gateway')} KB each), signals ${base.signals.toFixed(0)} → ${held.signals.toFixed(0)} MB (${perKb('signals')} KB each)`);
  const idleBefore = cpuSnapshot(role);
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const idle = cpuDelta(idleBefore, cpuSnapshot(role));
  log(`idle CPU over 30 s (heartbeats only): gateway ${(((idle.gateway ?? 0) / 30) * 100).toFixed(1)} %, signals ${(((idle.signals ?? 0) / 30) * 100).toFixed(1)} % of a core`);
  const [largeMs = []] = await latencyRounds([big], key, SUBSCRIBERS / SYMBOLS.length);
  const large = summary(largeMs);
  alive();
  log(`through the gateway, ${SUBSCRIBERS} subscribers: p50 ${large.p50} ms, p99 ${large.p99} ms (target p99 ≤ 250 ms)`);
  big.close();

  // 3. Two instances, clients reconnecting at random.
  stacks.push(startProcesses(specs.filter((s) => s.name === 'signals'), { ...env, SIGNALS_PORT: String(second) }));
  if ((await waitLive([secondUrl], 30_000)).length > 0) throw new Error('the second signals instance did not start');
  const churned = generator();
  await churned.ready;
  const churnClients = 2_000;
  await churned.connect([viaGateway, { url: secondUrl, secret: BENCH_SECRET }], churnClients);
  await churned.churn(churnClients / 20);
  const expected: Record<string, string[]> = {};
  const churnEnd = Date.now() + CHURN_S * 1000;
  let uploads = 0;
  while (Date.now() < churnEnd) {
    for (const u of await uploadRound(key)) {
      const [symbol, ts] = u.key.split(' ') as [string, string];
      (expected[symbol] ??= []).push(ts);
      uploads += 1;
    }
  }
  await churned.churn(0);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const audit = await churned.audit(expected);
  churned.close();
  alive();
  log(`two instances, ${churnClients} clients, ${audit.reconnects} reconnects, ${uploads} bars uploaded: ${audit.missing} lost, ${audit.duplicated} duplicated (target 0 and 0)`);

  const pct = (seconds: number | undefined) => (((seconds ?? 0) / 30) * 100).toFixed(1);
  console.log(`
| figure | result | target |
| --- | --- | --- |
| upload sent → last subscriber's bar, 1,000 subscribers, through the gateway ÷ direct, p99 | ${ratio(one.gateway.p99, one.direct.p99)}× (${one.gateway.p50} / ${one.gateway.p99} ms vs ${one.direct.p50} / ${one.direct.p99} ms, p50 / p99) | |
| the same, ${SUBSCRIBERS.toLocaleString('en')} subscribers through the gateway, p50 / p99 | ${large.p50} / ${large.p99} ms | p99 ≤ 250 ms ${large.p99 <= 250 ? '✔' : '✘'} |
| RSS per subscriber, gateway / signals | ${perKb('gateway')} / ${perKb('signals')} KB | |
| idle CPU with ${SUBSCRIBERS.toLocaleString('en')} subscribers (heartbeats only), gateway / signals | ${pct(idle.gateway)} / ${pct(idle.signals)} % of a core | |
| bars lost / duplicated, two instances, ${churnClients.toLocaleString('en')} clients, ${audit.reconnects.toLocaleString('en')} random reconnects | ${audit.missing} / ${audit.duplicated} | 0 / 0 ${audit.missing + audit.duplicated === 0 ? '✔' : '✘'} |
`);
} finally {
  for (const stack of stacks) await stack.stop();
  await ctx.cleanup();
}
