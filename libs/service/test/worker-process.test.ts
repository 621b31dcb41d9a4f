import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from '@meridian/telemetry/prometheus-text';
import { addQueueWorkers, createWorkerProcess } from '../src/index.js';
import { createTestContext, scrapeHeaders, TEST_REDIS_URL, type TestContext } from '../src/testing/index.js';

let ctx: TestContext;
const connections: Redis[] = [];
const connection = () => {
  const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(client);
  return client;
};

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  for (const client of connections) client.disconnect();
  await ctx.cleanup();
});

describe('a worker process', () => {
  it('serves its metrics and health, and counts each job it ran by outcome', async () => {
    const config = ctx.config('signals');
    const prefix = `${ctx.redisPrefix}bull`;
    const app = await createWorkerProcess({ config, name: 'test-worker' });
    const worker = new Worker('kit.jobs', async (job) => {
      if (job.data.fail) throw new Error('refused');
      return job.data.n * 2;
    }, { connection: connection(), prefix });
    addQueueWorkers(app, [worker]);
    await app.ready();
    const queue = new Queue('kit.jobs', { connection: connection(), prefix });
    const events = new QueueEvents('kit.jobs', { connection: connection(), prefix });
    await events.waitUntilReady();
    try {
      const ok = await queue.add('double', { n: 21 });
      const bad = await queue.add('double', { fail: true });
      expect(await ok.waitUntilFinished(events)).toBe(42);
      await expect(bad.waitUntilFinished(events)).rejects.toThrow('refused');

      expect((await app.inject('/health/live')).statusCode).toBe(200);
      const ready = await app.inject({ url: '/health/ready', headers: scrapeHeaders(config) });
      expect(ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
      const samples = parsePrometheusText((await app.inject({ url: '/metrics', headers: scrapeHeaders(config) })).body);
      expect(sampleValue(samples, 'queue_job_duration_seconds_count', { queue: 'kit.jobs', outcome: 'completed', service: 'test-worker' })).toBe(1);
      expect(sampleValue(samples, 'queue_job_duration_seconds_count', { queue: 'kit.jobs', outcome: 'failed', service: 'test-worker' })).toBe(1);
      expect(sampleValue(samples, 'pg_pool_connections', { pool: 'write', state: 'total' })).toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
      await events.close();
      await queue.close();
    }
  });

  it('lets a running job finish before it closes', async () => {
    const config = ctx.config('signals');
    const prefix = `${ctx.redisPrefix}bull`;
    const app = await createWorkerProcess({ config, name: 'test-worker' });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const worker = new Worker('kit.slow', async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return 'done';
    }, { connection: connection(), prefix });
    addQueueWorkers(app, [worker]);
    await app.ready();
    const queue = new Queue('kit.slow', { connection: connection(), prefix });
    try {
      const job = await queue.add('slow', {});
      await running;
      await app.close();
      const finished = await queue.getJob(job.id as string);
      expect(await finished?.getState()).toBe('completed');
      expect(finished?.returnvalue).toBe('done');
    } finally {
      await queue.close();
    }
  });
});
