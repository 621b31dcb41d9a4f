/**
 * Two tracing modes side by side: two stacks of gateway + signals run at the same time, each
 * loaded at a fixed rate (below saturation), and each mode's CPU time per request (both processes,
 * from /proc) is compared within the round. Whatever the machine does during a round (it moves
 * throughput here by a third within minutes) lands on both alike, so the per-round ratios agree
 * far better than throughput runs taken one after the other. The modes swap stacks (ports) every
 * round. Modes as in bench:tracing (off, 100, 10, 50, 0).
 *
 *   npm run build && BENCH_AB=10,0 npm run bench:tracing-ab     (BENCH_RATE=1500 req/s each, BENCH_SECONDS=10, BENCH_ROUNDS=4, BENCH_WARMUP=3 s)
 *
 * Where the CPU is the limit, throughput goes as the inverse of the ratio. With BENCH_RATE=0 both
 * stacks are loaded as hard as they go, at once, and each round also compares their throughput:
 * the two share the machine's cores, so the one that needs more CPU per request serves fewer.
 * With BENCH_SLICE=<seconds> the stacks instead take turns, each loaded alone as hard as it goes
 * for a slice, in BENCH_PAIRS pairs per round (alternate()): throughput with the whole machine.
 * With BENCH_SECOND_ROOT=<checkout> the second mode runs that checkout's build: two builds side
 * by side (BENCH_AB=10,10 compares them at 10 %).
 */
import { readFileSync } from 'node:fs';
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { builtProcesses, startProcesses, waitLive } from '../stack/processes.js';
import { cpuDelta, cpuSnapshot } from './lib/cpu.js';
import { median, medianInterval, percentile } from './lib/interleave.js';
import { autocannon, log, ROOT, succeeded } from './lib/load.js';
import { benchEnv, createApiKey, exitCheck, HOT_SIGNALS_READ } from './lib/stack.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { chosenModes, tracingModes } from './lib/tracing-modes.js';

const rate = Number(process.env.BENCH_RATE ?? 1500);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
// Seconds of the same load before each measured window, so that the JIT has settled.
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
// Seconds per slice when the stacks take turns (0: both loaded at once), and pairs of slices per round.
const slice = Number(process.env.BENCH_SLICE ?? 0);
const slicePairs = Number(process.env.BENCH_PAIRS ?? 6);
const STACKS = [
  { gateway: 3920, signals: 3921 },
  { gateway: 3940, signals: 3941 },
] as const;

const receiver = await startOtlpSink();
const named = (process.env.BENCH_AB ?? '10,0').split(',').map((name) => name.trim());
// In the order given: the ratio is the first mode's CPU over the second's.
const chosen = chosenModes(tracingModes(receiver.endpoint), named.join(',')).sort(([a], [b]) => named.indexOf(a) - named.indexOf(b));
// A mode against itself (BENCH_AB=10,10) measures the noise: the second copy is named 10′.
const modes = named.length === 2 && named[0] === named[1] && chosen[0] ? [chosen[0], [`${chosen[0][0]}′`, chosen[0][1]] as const] : chosen;
if (modes.length !== 2) throw new Error('BENCH_AB names two modes, e.g. BENCH_AB=10,0 (or one twice, BENCH_AB=10,10, to see the noise)');
const [first, second] = modes as [(typeof modes)[number], (typeof modes)[number]];

const ctx = await createTestContext();
await migrate({ databaseUrl: ctx.database.url });
await loadDemoData(ctx.config('signals').database, () => undefined);
/** The gateway and signals bundles built in `root`. */
function serversIn(root: string) {
  const servers = builtProcesses(root, ['gateway', 'signals']).filter((spec) => !spec.name.endsWith(':worker'));
  if (servers.length !== 2) throw new Error(`built bundles missing in ${root}: run \`npm run build\` there first`);
  return servers;
}
const servers = serversIn(ROOT);
// BENCH_SECOND_ROOT: the second mode runs another checkout's build (a previous commit, say).
const secondServers = process.env.BENCH_SECOND_ROOT ? serversIn(process.env.BENCH_SECOND_ROOT) : servers;

// Which stack a process belongs to, from the gateway port in its environment.
const stackOf = (pid: string) => STACKS.findIndex((ports) => readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`\0GATEWAY_PORT=${ports.gateway}\0`));
const classify = (cmdline: string, pid: string) => {
  const app = /dist\/apps\/(gateway|signals)\//.exec(cmdline)?.[1];
  const stack = app ? stackOf(pid) : -1;
  return stack >= 0 ? `${stack}.${app}` : undefined;
};

const threeDecimals = (value: number) => Math.round(value * 1000) / 1000;
const cpuPerRequest = new Map<string, number[]>([[first[0], []], [second[0], []]]);
const ratios: number[] = [];
// Requests per second of the first mode over the second's, per round.
const throughputRatios: number[] = [];
// BENCH_SLICE: requests per second of the first mode over the second's, per pair of slices.
const sliceRatios: number[] = [];

/**
 * Loads one stack at a time for `slice` seconds, in pairs whose order flips each time (A B, B A,
 * …), and returns the first mode's throughput over the second's for each pair. Each slice has
 * the whole machine; a drift in its speed over minutes lands on both halves of a pair alike
 * (changes within seconds do not).
 */
async function alternate(names: string[], run: (stack: number) => Promise<{ rps: number }>): Promise<number[]> {
  const firstStack = names.indexOf(first[0]);
  const pairRatios: number[] = [];
  for (let pair = 0; pair < slicePairs; pair++) {
    const rps: number[] = [];
    for (const stack of pair % 2 === 0 ? [0, 1] : [1, 0]) rps[stack] = (await run(stack)).rps;
    pairRatios.push((rps[firstStack] ?? 0) / (rps[1 - firstStack] ?? 1));
    log(`  pair ${pair + 1} of ${slicePairs}: ${names[0]} ${Math.round(rps[0] ?? 0)} req/s, ${names[1]} ${Math.round(rps[1] ?? 0)} req/s; throughput ${first[0]} ÷ ${second[0]} = ${pairRatios.at(-1)?.toFixed(3)}`);
  }
  return pairRatios;
}

let key = '';
try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? [first, second] : [second, first];
    const stacks = order.map((entry, i) => startProcesses(entry === second ? secondServers : servers, benchEnv(ctx, STACKS[i] as (typeof STACKS)[number], entry[1].env)));
    try {
      const urls = STACKS.flatMap((ports) => [`http://127.0.0.1:${ports.gateway}`, `http://127.0.0.1:${ports.signals}`]);
      if ((await waitLive(urls, 20_000)).length > 0) throw new Error('services did not start');
      key ||= await createApiKey(benchEnv(ctx, STACKS[0]));
      const headers = { authorization: `Bearer ${key}` };
      // Stack i's hot read for `duration` seconds, at `perSecond` (0: as fast as it goes).
      const hot = (i: number, duration: number, perSecond = rate) => autocannon(`http://127.0.0.1:${STACKS[i]?.gateway}${HOT_SIGNALS_READ}`, { seconds: duration, connections: 20, rate: perSecond, headers });
      const load = (duration: number) => Promise.all(STACKS.map((_, i) => hot(i, duration)));
      await load(warmup);
      if (slice > 0) {
        const names = order.map(([name]) => name);
        log(`round ${round} of ${rounds}: ${names[0]} on the first stack, ${names[1]} on the second, taking turns of ${slice} s`);
        sliceRatios.push(...(await alternate(names, async (i) => succeeded(names[i], await hot(i, slice, 0)))));
        stacks.forEach((stack) => exitCheck(stack)());
        continue;
      }
      const before = cpuSnapshot(classify, { mainThread: true });
      const runs = await load(seconds);
      const cpu = cpuDelta(before, cpuSnapshot(classify, { mainThread: true }));
      stacks.forEach((stack) => exitCheck(stack)());
      const perRequest = order.map(([name], i) => {
        const run = succeeded(name, runs[i]);
        const per = (group: string) => Math.round(((cpu[`${i}.${group}`] ?? 0) * 1e6) / run.requests);
        const [gateway, signals] = [per('gateway'), per('signals')];
        const micros = gateway + signals;
        cpuPerRequest.get(name)?.push(micros);
        return { name, micros, gateway, signals, gatewayMain: per('gateway:main'), signalsMain: per('signals:main'), p99: run.p99, rps: run.rps };
      });
      // Below the rate asked, a stack was saturated: its CPU per request then depends on how much
      // each wake-up batches, i.e. on which stack the scheduler favours, not only on its mode.
      const short = rate > 0 ? perRequest.filter((p) => p.rps < rate * 0.95) : [];
      if (short.length > 0) log(`round ${round}: ${short.map((p) => `${p.name} served ${Math.round(p.rps)} of ${rate} req/s`).join(', ')}; the machine cannot hold this rate now, so this round compares saturated stacks: lower BENCH_RATE`);
      const [a, b] = order[0]?.[0] === first[0] ? perRequest : [...perRequest].reverse();
      ratios.push((a?.micros ?? 0) / (b?.micros ?? 1));
      throughputRatios.push((a?.rps ?? 0) / (b?.rps ?? 1));
      const served = rate > 0 ? '' : `; throughput ${first[0]} ÷ ${second[0]} = ${throughputRatios.at(-1)?.toFixed(3)}`;
      log(`round ${round} of ${rounds}: ${perRequest.map((p) => `${p.name} ${p.micros} µs per request, ${Math.round(p.rps)} req/s (gateway ${p.gateway}, ${p.gatewayMain} on its main thread; signals ${p.signals}, ${p.signalsMain}; p99 ${p.p99} ms)`).join(', ')}; CPU ${first[0]} ÷ ${second[0]} = ${ratios.at(-1)?.toFixed(3)}${served}`);
    } finally {
      await Promise.all(stacks.map((stack) => stack.stop()));
    }
  }
  const route = `GET ${HOT_SIGNALS_READ} through the gateway`;
  const report = slice > 0
    ? {
        route: `${route}, the two stacks loaded in turn as fast as they go, ${slice} s each`,
        modes: [first[1].label, second[1].label],
        // Requests per second of the first mode over the second's, per pair of slices, their median, its 95 % interval and the quartiles.
        sliceRatios: sliceRatios.map(threeDecimals),
        medianSliceRatio: threeDecimals(median(sliceRatios)),
        median95: medianInterval(sliceRatios)?.map(threeDecimals),
        quartiles: [25, 75].map((p) => threeDecimals(percentile(sliceRatios, p))),
      }
    : {
        route: `${route}, both stacks ${rate > 0 ? `at ${rate} req/s` : 'as fast as they go'} at once`,
        seconds,
        modes: [first[1].label, second[1].label],
        cpuMicrosecondsPerRequest: Object.fromEntries([...cpuPerRequest].map(([name, values]) => [name, values])),
        // CPU of the first mode over the second, per round and the median.
        ratios: ratios.map(threeDecimals),
        medianRatio: threeDecimals(median(ratios)),
        median95: medianInterval(ratios)?.map(threeDecimals),
        // At saturation only (BENCH_RATE=0): requests per second of the first mode over the second's.
        ...(rate > 0 ? {} : { throughputRatios: throughputRatios.map(threeDecimals), medianThroughputRatio: threeDecimals(median(throughputRatios)) }),
      };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  receiver.close();
  await ctx.cleanup();
}
