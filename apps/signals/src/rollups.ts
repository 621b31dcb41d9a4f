import type { Cache } from '@meridian/cache';
import type { Config } from '@meridian/config';
import { applyPendingRollups, INTERVALS, type Interval, type Pools, rolledUpFrom } from '@meridian/db';
import { createQueue, QUEUES } from '@meridian/queue';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { RedisClient } from '@meridian/cache';

export interface RollupJobData {
  interval: Interval;
}

/**
 * Tag of the cached values of an interval that a rollup can serve: dropped when that rollup
 * changes, and only then (an update of the weekly rollup leaves daily values alone).
 */
export const rollupTag = (interval: Interval): string => `rollups:${interval}`;

// Uploads within this window share one run, which starts after the last of them.
const DEBOUNCE_MS = 1_000;

/** Queues an update of the rollups derived from an interval after bars of it were ingested. */
export class RollupJobs {
  private readonly queue: Queue<RollupJobData>;

  constructor(config: Config, connection: RedisClient) {
    this.queue = createQueue<RollupJobData>(config, QUEUES.barsRollup, connection);
  }

  async request(interval: Interval): Promise<boolean> {
    if (rolledUpFrom(interval).length === 0) return false;
    await this.queue.add(QUEUES.barsRollup, { interval }, { delay: DEBOUNCE_MS, deduplication: { id: `rollup-${interval}`, ttl: DEBOUNCE_MS } });
    return true;
  }

  async counts(): Promise<Record<string, Record<string, number>>> {
    return { [QUEUES.barsRollup]: await this.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed') };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Recomputes the rollup buckets the uploads noted since the last run, then drops what was cached over them. */
export async function processRollup(deps: { db: Pools; cache: Cache }, job: Job<RollupJobData>): Promise<{ spans: number; buckets: number }> {
  const { interval } = job.data;
  if (!(INTERVALS as readonly string[]).includes(interval)) throw new UnrecoverableError(`"${interval}" is not an interval`);
  const done = await applyPendingRollups(deps.db.write, interval);
  if (done.spans > 0) await deps.cache.deleteByTag(rolledUpFrom(interval).map(rollupTag));
  return done;
}
