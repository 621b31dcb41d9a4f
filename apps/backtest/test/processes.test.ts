import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createPools } from '@meridian/db';
import { backtest, expandGrid, parseRuleSpec, rankRuns, runParamSets } from '@meridian/market';
import { afterEach, describe, expect, it } from 'vitest';
import type { callerFor} from './helpers.js';
import { researchFile, until } from './helpers.js';

const ROOT = join(import.meta.dirname, '../../..');

// A worker that dies is noticed by another after about this long.
const LOCK_MS = '1500';

const file = researchFile({ worker: false, env: { JOB_LOCK_MS: LOCK_MS } });
const acme: ReturnType<typeof callerFor> = (...args) => file.acme(...args);
const children: ChildProcess[] = [];

/** Starts a worker process; resolves once it printed `waitFor`, with a way to wait for later lines. */
function spawnWorker(script: string, env: Record<string, string>): { child: ChildProcess; line: (pattern: RegExp) => Promise<string> } {
  // Node itself with tsx's loader, not the tsx CLI: that runs the script in a child process of its own, which a SIGKILL would miss.
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...file.ctx.env({ JOB_LOCK_MS: LOCK_MS, WORKER_METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env }) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(output);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match[0]);
      }
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    check();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    check();
  });
  return {
    child,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        child.once('exit', (code) => reject(new Error(`worker exited (${code}) before printing ${pattern}: ${output.slice(-2000)}`)));
      }),
  };
}

async function rowsOf(id: string) {
  const pools = createPools(file.ctx.config('backtest').database, 'count');
  try {
    const { rows } = await pools.write.query<{ results: number; trades: number; curves: number; tradeCount: number }>(
      `SELECT (SELECT count(*) FROM backtests WHERE id = $1 AND state = 'completed')::int AS results,
              (SELECT count(*) FROM backtest_trades WHERE backtest_id = $1)::int AS trades,
              (SELECT count(*) FROM backtest_equity WHERE backtest_id = $1)::int AS curves,
              (SELECT trade_count FROM backtests WHERE id = $1) AS "tradeCount"`,
      [id],
    );
    return rows[0];
  } finally {
    await pools.close();
  }
}

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await file.stopWorker();
});

describe('a worker killed mid-job', () => {
  for (const at of ['write', 'written'] as const) {
    it(`leaves exactly one result and one set of trades when killed ${at === 'write' ? 'before' : 'after'} writing, once another worker takes the stalled job`, async () => {
      const held = spawnWorker(join(import.meta.dirname, 'fixtures/held-worker.ts'), { HOLD_AT: at });
      await held.line(/^ready$/m);
      const res = await acme('POST', '/v1/backtests', { spec: { type: 'ma-cross', fast: 10, slow: 60 }, symbol: 'SPX', from: at === 'write' ? '2006-01-01' : '2007-01-01' });
      const id = res.json().id as string;
      await held.line(new RegExp(`held ${id} at ${at}`));
      held.child.kill('SIGKILL');
      await file.restartWorker();
      const run = file.worker?.workers.find((w) => w.name === 'backtest.run');
      // The other worker takes the stalled job over and finishes it.
      const takenOver = new Promise<unknown>((resolve) => run?.on('completed', (job, value) => job.id === id && resolve(value)));
      expect(await takenOver).toEqual({ written: at === 'write' });
      const done = await until(async () => (await acme('GET', `/v1/backtests/${id}`)).json(), (b) => b.state === 'completed', 30_000);
      const rows = await rowsOf(id);
      expect(rows).toEqual({ results: 1, trades: done.metrics.tradeCount, curves: 1, tradeCount: done.metrics.tradeCount });
      expect(rows?.trades).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe('sweeps', () => {
  const grid = { fast: { from: 5, to: 100, step: 5 }, slow: { from: 110, to: 600, step: 10 } };
  const spec = { type: 'ma-cross' };

  it('run as chunks on two worker processes and rank exactly as a brute-force loop over the quant core', async () => {
    const first = spawnWorker(join(ROOT, 'apps/backtest/src/worker.ts'), { WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    const second = spawnWorker(join(ROOT, 'apps/backtest/src/worker.ts'), { WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    await Promise.all([first.line(/backtest workers ready/), second.line(/backtest workers ready/)]);
    const res = await acme('POST', '/v1/sweeps', { spec, symbol: 'SPX', from: '2000-01-01', grid, constraints: { where: ['fast < slow'] }, top: 10 });
    expect(res.statusCode).toBe(202);
    const done = await until(async () => (await acme('GET', `/v1/sweeps/${res.json().id}`)).json(), (s) => ['completed', 'failed'].includes(s.state), 120_000);
    expect(done.state).toBe('completed');
    const sets = expandGrid(grid, (set) => (set.fast as number) < (set.slow as number));
    expect(done.result.combinations).toBe(sets.length);
    expect(sets.length).toBe(1000);
    const workers = Object.keys(done.result.workers);
    expect(workers).toHaveLength(2);
    expect(workers.map((w) => w.split(':')[1]).sort()).toEqual([String(first.child.pid), String(second.child.pid)].sort());

    const series = await file.spx('2000-01-01');
    const brute = sets
      .map((params, index) => ({ index, params, sharpe: backtest(series, parseRuleSpec({ ...spec, ...params })).metrics.sharpe }))
      .sort((a, b) => (a.sharpe === null ? 1 : b.sharpe === null ? -1 : b.sharpe - a.sharpe || a.index - b.index));
    expect(done.result.top.map((run: { params: object }) => run.params)).toEqual(brute.slice(0, 10).map((b) => b.params));
    expect(done.result.top[0].objective).toBe(brute[0]?.sharpe);
    expect(done.result.grid.map((g: { objective: number | null }) => g.objective)).toEqual(rankRuns(runParamSets(series, spec, sets, {}, { objective: 'sharpe' })).sort((a, b) => a.index - b.index).map((r) => r.objective));
  }, 180_000);
});
