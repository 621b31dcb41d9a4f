/**
 * What tracing costs a process before its first request: the time from spawning the signals
 * service (node --import telemetry.js main.js) until /health/live answers, and its resident
 * memory then (from its own /metrics; the heap's size then says more about when V8 last collected
 * than about what is loaded). Modes in turns, one process at a time,
 * BENCH_ROUNDS rounds; medians per mode and each mode's ratio to tracing off.
 *
 *   npm run build && npm run bench:tracing-startup     (BENCH_ROUNDS=10, about a minute)
 *
 * With BENCH_SECOND_ROOT=<checkout> a third mode runs that checkout's build with tracing on:
 * two builds side by side.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import { waitLive } from '../stack/processes.js';
import { median } from './lib/interleave.js';
import { log, ROOT } from './lib/load.js';
import { benchEnv } from './lib/stack.js';
import { startOtlpSink } from './lib/otlp-sink.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const secondRoot = process.env.BENCH_SECOND_ROOT;
const ports = { gateway: 3960, signals: 3961 };

interface Mode {
  label: string;
  root: string;
  tracing: boolean;
}

interface Reading {
  msToLive: number;
  rssMb: number;
}

const modes: Mode[] = [
  { label: 'off', root: ROOT, tracing: false },
  { label: 'on', root: ROOT, tracing: true },
  ...(secondRoot ? [{ label: `on, ${secondRoot}`, root: secondRoot, tracing: true }] : []),
];

async function measure(mode: Mode, env: NodeJS.ProcessEnv): Promise<Reading> {
  const dir = join(mode.root, 'dist/apps/signals');
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', join(dir, 'telemetry.js'), join(dir, 'main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const url = `http://127.0.0.1:${ports.signals}`;
    // Asked every 5 ms: the usual 200 ms would be coarser than what is measured.
    if ((await waitLive([url], 30_000, 5)).length > 0) {
      const exited = child.exitCode === null ? '' : ` (it exited with code ${child.exitCode})`;
      throw new Error(`the signals service of ${mode.root} was not live within 30 s${exited}; run \`npm run build\` there first`);
    }
    const msToLive = performance.now() - started;
    const rss = sampleValue(parsePrometheusText(await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${env.METRICS_TOKEN}` } })).text()), 'process_resident_memory_bytes');
    if (rss === undefined) throw new Error('/metrics of the signals service has no process_resident_memory_bytes');
    return { msToLive, rssMb: rss / 1e6 };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

const receiver = await startOtlpSink();
const ctx = await createTestContext();
try {
  await migrate({ databaseUrl: ctx.database.url });
  const base = benchEnv(ctx, ports);
  delete base.OTEL_EXPORTER_OTLP_ENDPOINT;
  const readings = new Map<string, Reading[]>(modes.map((m) => [m.label, []]));
  for (let round = 1; round <= rounds; round++) {
    // Each round starts with another mode, so that none always runs first.
    const order = modes.map((_, i) => modes[(i + round) % modes.length] as Mode);
    for (const mode of order) {
      const env = mode.tracing ? { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } : base;
      const reading = await measure(mode, env);
      readings.get(mode.label)?.push(reading);
      log(`round ${round} of ${rounds}, ${mode.label}: live after ${reading.msToLive.toFixed(0)} ms, RSS ${reading.rssMb.toFixed(1)} MB`);
    }
  }
  const summary = modes.map((mode) => {
    const of = readings.get(mode.label) ?? [];
    return {
      mode: mode.label,
      msToLive: Math.round(median(of.map((r) => r.msToLive))),
      rssMb: Math.round(median(of.map((r) => r.rssMb)) * 10) / 10,
    };
  });
  const off = summary[0];
  console.log(JSON.stringify({ rounds, process: 'signals service, spawn until /health/live answers', medians: summary, extraOverOff: off ? summary.slice(1).map((s) => ({ mode: s.mode, ms: s.msToLive - off.msToLive, rssMb: Math.round((s.rssMb - off.rssMb) * 10) / 10 })) : [] }, null, 2));
} finally {
  await ctx.cleanup();
  receiver.close();
}
