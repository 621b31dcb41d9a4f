import type { Config } from '@meridian/config';
import { deleteExpiredBars, type Pools } from '@meridian/db';
import { createQueue, QUEUES } from '@meridian/queue';
import type { Job } from 'bullmq';
import type { RedisClient } from '@meridian/cache';
import type { MarketData } from './market-data.js';

const SCHEDULER = 'bars-retention-daily';
const DAY_MS = 86_400_000;

/**
 * Schedules the daily bars.retention job when BARS_RETENTION lists intervals, and removes the
 * schedule when it lists none, so turning retention off takes effect at the next start.
 */
export async function scheduleRetention(config: Config, connection: RedisClient): Promise<void> {
  const queue = createQueue(config, QUEUES.barsRetention, connection);
  try {
    if (Object.keys(config.barsRetentionDays).length === 0) await queue.removeJobScheduler(SCHEDULER);
    else await queue.upsertJobScheduler(SCHEDULER, { every: DAY_MS }, { name: QUEUES.barsRetention, data: {} });
  } finally {
    await queue.close();
  }
}

/** Deletes the bars past their interval's horizon and drops what was cached over them. */
export async function processRetention(deps: { db: Pools; market: MarketData; days: Readonly<Record<string, number>> }, _job: Job): Promise<{ deleted: Record<string, number> }> {
  const { deleted, symbols } = await deleteExpiredBars(deps.db.write, deps.days);
  for (const symbol of symbols) await deps.market.invalidate(symbol);
  return { deleted };
}
