/**
 * The cost of tracing in instructions per request, counted by valgrind (callgrind) in the
 * gateway and the signals service: it moves much less than throughput with what else the machine
 * is doing, though not to nothing: work paced by the clock (timers, span exports, compiling on
 * helper threads) is counted too, and two runs of tracing off have differed by 15 %, so compare
 * modes of one run. Same route and modes as
 * bench:tracing. Each mode starts the stack afresh with gateway and signals under callgrind
 * (backtest and monitor run natively, so that the merged API document is complete), sends
 * BENCH_WARMUP requests one at a time with counting off (the JIT settles), then counts
 * BENCH_REQUESTS requests.
 *
 *   npm run build && npm run bench:tracing-instructions     (about 3 minutes per mode)
 *   BENCH_MODES=off,10 BENCH_WARMUP=2000 BENCH_REQUESTS=500 npm run bench:tracing-instructions
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@meridian/db/migrate';
import { createTestContext } from '@meridian/service/testing';
import { loadDemoData } from '../data/demo.js';
import { builtProcesses, startProcesses, waitLive } from '../stack/processes.js';
import { log, ratio, ROOT } from './lib/load.js';
import { benchEnv, createApiKey, HOT_SIGNALS_READ } from './lib/stack.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { chosenModes, tracingModes } from './lib/tracing-modes.js';

const warmup = Number(process.env.BENCH_WARMUP ?? 2000);
const requests = Number(process.env.BENCH_REQUESTS ?? 500);
const ports = { gateway: 3950, signals: 3951 };
const COUNTED = ['gateway', 'signals'] as const;

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error('valgrind is not installed: `apt-get install -y valgrind`, then run this again.');
}

const receiver = await startOtlpSink();

const chosen = chosenModes(tracingModes(receiver.endpoint));

const ctx = await createTestContext();
const outDir = mkdtempSync(join(tmpdir(), 'meridian-callgrind-'));
const perRequest: Record<string, Record<string, number>> = {};
try {
  await migrate({ databaseUrl: ctx.database.url });
  await loadDemoData(ctx.config('signals').database, () => undefined);
  const key = await createApiKey(benchEnv(ctx, ports));
  // Without compression: the load generator of bench:tracing asks for none either.
  const headers = { authorization: `Bearer ${key}`, 'accept-encoding': 'identity' };
  const hit = async (count: number, label: string) => {
    for (let i = 1; i <= count; i++) {
      const response = await fetch(`http://127.0.0.1:${ports.gateway}${HOT_SIGNALS_READ}`, { headers });
      if (response.status !== 200) throw new Error(`${label}: status ${response.status}`);
      await response.arrayBuffer();
      if (i % 500 === 0) log(`  ${label}: ${i} of ${count}`);
    }
  };

  for (const [mode, { env: extra }] of chosen) {
    const env = { ...benchEnv(ctx, ports, extra), LOG_FORMAT: 'json' };
    log(`tracing ${mode}: starting gateway and signals under callgrind (slow)`);
    const natives = startProcesses(builtProcesses(ROOT, ['backtest', 'monitor']).filter((spec) => !spec.name.endsWith(':worker')), env);
    const counted = new Map<string, ChildProcess>();
    for (const app of COUNTED) {
      const dir = join(ROOT, 'dist/apps', app);
      counted.set(app, spawn('valgrind', [
        '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file',
        `--callgrind-out-file=${join(outDir, `${mode}-${app}.%p`)}`,
        process.execPath, '--import', join(dir, 'telemetry.js'), join(dir, 'main.js'),
      ], { env, stdio: 'ignore' }));
    }
    try {
      const late = await waitLive([`http://127.0.0.1:${ports.gateway}`, `http://127.0.0.1:${ports.signals}`], 600_000);
      if (late.length > 0) throw new Error(`${late.join(', ')} did not start under valgrind within 10 minutes`);
      await hit(warmup, `${mode} warm-up`);
      const control = (flag: string) => {
        for (const child of counted.values()) execFileSync('callgrind_control', [flag, String(child.pid)], { stdio: 'ignore' });
      };
      control('--instr=on');
      await hit(requests, `${mode} counted`);
      control('--instr=off');
      control('--dump');
      perRequest[mode] = {};
      for (const [app, child] of counted) {
        const dump = readdirSync(outDir).find((name) => name.startsWith(`${mode}-${app}.${child.pid}.`));
        const totals = dump && /^totals: (\d+)$/m.exec(readFileSync(join(outDir, dump), 'utf8'));
        if (!totals) throw new Error(`no callgrind totals for ${app} in ${outDir}`);
        (perRequest[mode] as Record<string, number>)[app] = Math.round(Number(totals[1]) / requests);
      }
      log(`tracing ${mode}: instructions per request ${JSON.stringify(perRequest[mode])}`);
    } finally {
      for (const child of counted.values()) child.kill('SIGKILL');
      await natives.stop();
    }
  }
  const total = (mode: string) => Object.values(perRequest[mode] ?? {}).reduce((a, b) => a + b, 0);
  const report = {
    route: `GET ${HOT_SIGNALS_READ} through the gateway, one request at a time`,
    warmup,
    requests,
    instructionsPerRequest: perRequest,
    // Work relative to tracing off; its inverse is the throughput ratio where the CPU is the limit.
    workOverOff: Object.fromEntries(chosen.filter(([mode]) => mode !== 'off' && perRequest.off).map(([mode]) => [mode, ratio(total(mode), total('off'))])),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  receiver.close();
  rmSync(outDir, { recursive: true, force: true });
  await ctx.cleanup();
}
