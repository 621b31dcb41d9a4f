/**
 * Runs the fault scenarios against the built bundles under load and prints a table of what the
 * users of the stack saw (BENCHMARKS.md, "Faults"):
 *
 *   npm run build && npm run chaos                       every scenario
 *   npm run chaos -- redis-restart slow-postgres         some of them
 *   CHAOS_CONCURRENCY=32 CHAOS_FAULT_MS=10000 npm run chaos
 *
 * Writes tmp/chaos.json as well. Needs Postgres and Redis as `npm test` does, and redis-server
 * and the PostgreSQL server binaries installed (the scenarios start their own to stop).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { backtestWorkerKilled, postgresOutage, redisOutage, type ScenarioOptions, type ScenarioRow, serviceKilled, slowPostgres, terminateAll, workerKilled } from './scenarios.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCENARIOS: Record<string, (options: ScenarioOptions) => Promise<{ row: ScenarioRow }>> = {
  'redis-restart': (o) => redisOutage(o, 'restart'),
  'redis-client-kill': (o) => redisOutage(o, 'client-kill'),
  'postgres-restart': postgresOutage,
  'worker-kill': workerKilled,
  'backtest-worker-kill': backtestWorkerKilled,
  'service-kill': serviceKilled,
  'sigterm-all': terminateAll,
  'slow-postgres': slowPostgres,
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}\n`);
  process.exit(2);
}
if (!existsSync(resolve(ROOT, 'dist/apps/signals/worker.js'))) {
  process.stderr.write('the scenarios run the built bundles: run `npm run build` first\n');
  process.exit(2);
}
const options: ScenarioOptions = { concurrency: Number(process.env.CHAOS_CONCURRENCY ?? 16), faultMs: Number(process.env.CHAOS_FAULT_MS ?? 5_000) };
const names = asked.length > 0 ? asked : Object.keys(SCENARIOS);
const rows: ScenarioRow[] = [];
for (const [i, name] of names.entries()) {
  process.stderr.write(`[${i + 1}/${names.length}] ${name} (${options.concurrency} request loops, fault ${options.faultMs / 1000} s)...\n`);
  const started = Date.now();
  try {
    rows.push((await (SCENARIOS[name] as (o: ScenarioOptions) => Promise<{ row: ScenarioRow }>)(options)).row);
    process.stderr.write(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } catch (error) {
    process.stderr.write(`  failed: ${(error as Error).message}\n`);
    rows.push({ scenario: name, sent: 0, failed: 0, serverErrors: 0, lost: 0, recoveryMs: undefined, note: `did not run to the end: ${(error as Error).message}` });
  }
}
const cell = (value: number | undefined) => (value === undefined ? '–' : String(Math.round(value)));
const table = [
  '| scenario | requests sent | failed | 5xx | data lost | recovery (ms) | note |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.scenario} | ${r.sent} | ${r.failed} | ${r.serverErrors} | ${r.lost} | ${cell(r.recoveryMs)} | ${r.note} |`),
].join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(resolve(ROOT, 'tmp'), { recursive: true });
writeFileSync(resolve(ROOT, 'tmp/chaos.json'), `${JSON.stringify({ options, rows }, null, 2)}\n`);
