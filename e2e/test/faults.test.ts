import { backtestWorkerKilled, postgresOutage, redisOutage, type ScenarioOptions, serviceKilled, slowPostgres, terminateAll, workerKilled } from '@meridian/tools/chaos/scenarios';
import { describe, expect, it } from 'vitest';

// The scenarios of `npm run chaos` (tools/chaos), lighter: a few request loops, 2 s faults. The
// figures under more load are in BENCHMARKS.md ("Faults"); here, what a user would notice. Time
// bounds are loose on purpose (this machine runs other stacks meanwhile): they tell "answered at
// once" from "waited for a timeout".
const options: ScenarioOptions = { concurrency: 4, faultMs: 2_000, jobLockMs: 2_000 };

describe('faults on a running stack (gateway, signals, signals worker)', () => {
  it('Redis shut down and restarted: cached reads keep answering, jobs get 503 with Retry-After, then run again', async () => {
    const result = await redisOutage(options, 'restart');
    expect(result.reads.sent).toBeGreaterThan(50);
    expect(result.reads).toMatchObject({ failed: 0, serverErrors: 0 });
    expect(result.duringOutage).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), type: '/problems/queue-unavailable' });
    expect(result.job).toMatchObject({ state: 'completed', counts: { done: 1, failed: 0 } });
    expect(result.l2Closed).toBe(true);
    expect(result.exited).toBeUndefined();
  });

  it('Redis connections killed (CLIENT KILL): reads keep answering and the queues and bus reconnect by themselves', async () => {
    const result = await redisOutage(options, 'client-kill');
    expect(result.reads).toMatchObject({ failed: 0, serverErrors: 0 });
    expect(result.job).toMatchObject({ state: 'completed', counts: { done: 1, failed: 0 } });
    expect(result.l2Closed).toBe(true);
  });

  it('Postgres stopped and restarted: reads that need it answer 503 at once, cached reads 200, and the pools recover without a restart', async () => {
    const result = await postgresOutage(options);
    expect(result.duringBars.sent).toBeGreaterThan(10);
    expect(result.duringBars.statuses).toEqual([503]);
    expect(result.duringBars.maxMs).toBeLessThan(3_000);
    expect(result.cached).toMatchObject({ failed: 0, serverErrors: 0 });
    expect(result.samePid).toBe(true);
    expect(result.row.recoveryMs).toBeDefined();
  });

  it('the signals worker SIGKILLed mid-batch: the batch completes once, with no event stored twice', async () => {
    const result = await workerKilled(options);
    expect(result.done).toMatchObject({ state: 'completed', counts: { done: 6, failed: 0 } });
    expect(result.events).toBeGreaterThan(0);
    expect(result.duplicated).toBe(0);
  });

  it('the backtest worker SIGKILLed mid-sweep: its chunk is taken over once the lock lapses, and the sweep ranks every set once', async () => {
    const result = await backtestWorkerKilled(options);
    expect(result.done.state).toBe('completed');
    expect(result.done.result?.combinations).toBe(result.sets);
    expect(result.done.result?.top).toHaveLength(5);
  });

  it('the signals service SIGKILLed behind the gateway: 503 at once while it is down, 200 once the supervisor has restarted it', async () => {
    const result = await serviceKilled(options);
    expect(result.all.failed).toBe(0);
    expect(result.down.statuses).toEqual([503]);
    expect(result.down.p99Ms).toBeLessThan(1_000);
    expect(result.row.recoveryMs).toBeDefined();
  });

  it('SIGTERM to every process under load: requests in flight succeed, jobs finish or go back to the queue, every process exits 0', async () => {
    const result = await terminateAll(options);
    expect(result.inFlight.sent).toBeGreaterThan(0);
    expect(result.inFlight).toMatchObject({ failed: 0, serverErrors: 0 });
    expect(Object.values(result.codes)).toEqual([0, 0, 0]);
    expect(result.jobs.active).toBe(0);
    expect(result.jobs.failed).toBe(0);
  });

  it('Postgres 2 s slower: reads that need it end at the gateway timeout with 504, cached reads and liveness stay fast', async () => {
    const result = await slowPostgres(options);
    expect(result.bars.statuses).toContain(504);
    expect(result.bars.statuses.every((status) => status === 504 || status === 200)).toBe(true);
    // UPSTREAM_TIMEOUT_MS is 1500; undici checks its timers about once a second.
    expect(result.bars.maxMs).toBeLessThan(3_000);
    expect(result.cached).toMatchObject({ failed: 0, serverErrors: 0 });
    expect(result.live.maxMs).toBeLessThan(1_000);
    expect(result.ready.statuses.every((status) => status === 200 || status === 503)).toBe(true);
  });
});
