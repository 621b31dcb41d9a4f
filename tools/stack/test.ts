import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TEST_ADMIN_URL } from '@meridian/db/testing';
import { ensureChromium } from './chromium.js';
import { ensureKubectl } from './kubectl.js';
import { ensureServices, StackError } from './services.js';

const root = resolve(import.meta.dirname, '../..');
export const RESULTS_DIR = join(root, 'tmp/test-results');

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

/** Adds up the JSON reports each project's Vitest wrote (restored from the Nx cache when cached). */
function summarise(): { passed: number; failed: number; skipped: number; projects: number } {
  const total = { passed: 0, failed: 0, skipped: 0, projects: 0 };
  if (!existsSync(RESULTS_DIR)) return total;
  const files = readdirSync(RESULTS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  for (const file of files) {
    const report = JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as VitestJson;
    total.passed += report.numPassedTests;
    total.failed += report.numFailedTests;
    total.skipped += report.numPendingTests + report.numTodoTests;
    total.projects += 1;
  }
  return total;
}

/** Lint, typecheck and every project's tests, against the real Postgres and Redis. */
export async function runTests(): Promise<number> {
  const log = (message: string) => console.error(`[test] ${message}`);
  await ensureServices({ databaseUrl: TEST_ADMIN_URL, redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', log });
  ensureChromium(log);
  ensureKubectl(log);
  rmSync(RESULTS_DIR, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=static', ...process.argv.slice(3)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NX_DAEMON: process.env.NX_DAEMON ?? 'false', NX_TUI: 'false' },
  });
  const { passed, failed, skipped, projects } = summarise();
  console.log(`\nVitest reports from ${projects} projects`);
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (nx.status !== 0) throw new StackError('Some lint, typecheck or test target failed (see above).');
  if (skipped > 0) throw new StackError(`${skipped} test(s) were skipped: a skipped test is a failure here. Remove the .skip/.todo or make the test run.`);
  if (passed === 0) throw new StackError('No test ran.');
  return 0;
}
