/**
 * Cost of tracing on a proxied signals read: gateway + signals with tracing off, on at 100 %,
 * 10 %, 50 % and 0 % sampling (the SDK loaded, no span recorded), exporting over OTLP/HTTP to a
 * receiver on loopback. Each mode gets its own start of the stack; the modes alternate for BENCH_ROUNDS rounds and the ratios use the medians.
 *
 *   npm run build && npm run bench:tracing        (BENCH_SECONDS=8, BENCH_ROUNDS=3, BENCH_CONNECTIONS=50)
 *
 * BENCH_MODES=off,10 runs only those modes (off, 100, 10, 50, 0), e.g. to profile one of them; a
 * ratio whose modes did not run is null. Besides throughput it reports each process's CPU time
 * per request (µs, medians); that drifts with the machine's speed too, unlike the instruction
 * counts of bench:tracing-instructions.
 */
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { builtProcesses, startProcesses, waitLive } from '../stack/processes.js';
import { cpuDelta, cpuSnapshot } from './lib/cpu.js';
import { autocannon, log, ratio, ROOT, succeeded } from './lib/load.js';
import { median } from './lib/interleave.js';
import { benchEnv, createApiKey, exitCheck, HOT_SIGNALS_READ } from './lib/stack.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { chosenModes, tracingModes } from './lib/tracing-modes.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const ports = { gateway: 3920, signals: 3921 };

// The receiver takes what the exporters send and counts it, as a collector's OTLP endpoint would.
const receiver = await startOtlpSink();

const ctx = await createTestContext();
await migrate({ databaseUrl: ctx.database.url });
await loadDemoData(ctx.config('signals').database, () => undefined);

const MODES = tracingModes(receiver.endpoint);
const modes = chosenModes(MODES);
// CPU time per request of each process: which process pays for tracing. It moves with the
// machine's speed as throughput does; bench:tracing-instructions counts what does not.
const classify = (cmdline: string) => (/dist\/apps\/gateway\//.test(cmdline) ? 'gateway' : /dist\/apps\/signals\//.test(cmdline) ? 'signals' : /redis-server/.test(cmdline) ? 'redis' : /postgres/.test(cmdline) ? 'postgres' : undefined);
const cpuPerRequest = new Map<string, Record<string, number>[]>(modes.map(([, { label }]) => [label, []]));
const results = new Map<string, number[]>(modes.map(([, { label }]) => [label, []]));
const servers = builtProcesses(ROOT, ['gateway', 'signals']).filter((spec) => !spec.name.endsWith(':worker'));
if (servers.length !== 2) throw new Error('built bundles missing: run `npm run build` first');
let key = '';

try {
  for (let round = 1; round <= rounds; round++) {
    for (const [, { label: mode, env: extra }] of modes) {
      const env = benchEnv(ctx, ports, extra);
      const stack = startProcesses(servers, env);
      const checkAlive = exitCheck(stack);
      try {
        const base = `http://127.0.0.1:${ports.gateway}`;
        if ((await waitLive([base, `http://127.0.0.1:${ports.signals}`], 20_000)).length > 0) throw new Error('services did not start');
        key ||= await createApiKey(env);
        const headers = { authorization: `Bearer ${key}` };
        await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds: 2, connections, headers });
        const before = receiver.received().spans;
        const cpuBefore = cpuSnapshot(classify);
        const run = succeeded(mode, await autocannon(`${base}${HOT_SIGNALS_READ}`, { seconds, connections, headers }));
        const cpu = cpuDelta(cpuBefore, cpuSnapshot(classify));
        checkAlive();
        results.get(mode)?.push(run.rps);
        const perRequest = Object.fromEntries(Object.entries(cpu).map(([group, cpuSeconds]) => [group, Math.round((cpuSeconds * 1e6) / run.requests)]));
        cpuPerRequest.get(mode)?.push(perRequest);
        log(`round ${round}, tracing ${mode}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99} ms, CPU µs per request ${JSON.stringify(perRequest)}, ${receiver.received().spans - before} spans received`);
      } finally {
        await stack.stop();
      }
    }
  }
  const ratioToOff = (label: string) => ratio(median(results.get(label) ?? []), median(results.get('off') ?? []));
  const report = {
    route: `GET ${HOT_SIGNALS_READ} through the gateway`,
    seconds,
    connections,
    rps: Object.fromEntries([...results].map(([mode, values]) => [mode, values.map(Math.round)])),
    cpuMicrosecondsPerRequest: Object.fromEntries([...cpuPerRequest].map(([mode, runs]) => [mode, Object.fromEntries(Object.keys(runs[0] ?? {}).map((group) => [group, median(runs.map((r) => r[group] ?? 0))]))])),
    ratioOn100: ratioToOff('on, 100 %'),
    ratioOn10: ratioToOff('on, 10 %'),
    ratioOn50: ratioToOff('on, 50 %'),
    ratioOn0: ratioToOff('on, 0 %'),
    exportRequests: receiver.received().requests,
    spansReceived: receiver.received().spans,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  receiver.close();
  await ctx.cleanup();
}
