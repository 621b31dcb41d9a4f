import { bullPrefix, QUEUES } from '@meridian/queue';
import type { Service } from '@meridian/service';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { buildWorker, type SignalsWorker } from '../src/batch/workers.js';
import { caller, dailyBars, loadSymbol } from './helpers.js';

let ctx: TestContext;
let app: Service;
let worker: SignalsWorker;
let redis: Redis;

beforeAll(async () => {
  ctx = await createTestContext();
  const config = ctx.config('signals', { BARS_RETENTION: '1d=3650d' });
  app = await buildApp({ config });
  worker = await buildWorker(config);
  await worker.app.ready();
  redis = new Redis(ctx.env().REDIS_URL as string, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await worker?.app.close();
  await app?.close();
  redis?.disconnect();
  await ctx?.cleanup();
});

it('schedules the daily retention job, which deletes the bars past the horizon and what was cached over them', async () => {
  const queue = new Queue(QUEUES.barsRetention, { connection: redis, prefix: bullPrefix(app.config) });
  const schedulers = await queue.getJobSchedulers();
  expect(schedulers.map((s) => ({ key: s.key, every: s.every }))).toEqual([{ key: 'bars-retention-daily', every: 86_400_000 }]);

  // Twenty years of daily bars, ten of them past the horizon.
  const now = Date.now();
  const bars = dailyBars(5_200, 3, Date.UTC(new Date(now).getUTCFullYear() - 20, 0, 2));
  await loadSymbol(app, 'OLD', bars);
  const call = caller(app);
  const first = async () => ((await call('GET', '/v1/bars?symbol=OLD&limit=1')).json().items as { ts: string }[])[0]?.ts;
  expect(await first()).toBe(new Date(bars[0]?.ts as number).toISOString());

  const events = new QueueEvents(QUEUES.barsRetention, { connection: redis.duplicate(), prefix: bullPrefix(app.config) });
  await events.waitUntilReady();
  const job = await queue.add(QUEUES.barsRetention, {});
  const result = (await job.waitUntilFinished(events, 30_000)) as { deleted: Record<string, number> };
  const horizon = now - 3650 * 86_400_000;
  const expired = bars.filter((b) => b.ts < horizon).length;
  expect(result).toEqual({ deleted: { '1d': expired } });
  // The cached page is gone with the bars: the first bar is now the first one inside the horizon.
  expect(Date.parse((await first()) as string)).toBeGreaterThanOrEqual(horizon - 86_400_000);
  expect(await first()).toBe(new Date(bars[expired]?.ts as number).toISOString());
  await events.close();
  await queue.close();
});
