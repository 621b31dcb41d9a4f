import type { Cache } from '@meridian/cache';
import type { Config } from '@meridian/config';
import { INTERVALS, type Interval, type Pools, refreshRollups, rollupsFrom } from '@meridian/db';
import { createQueue, QUEUES } from '@meridian/queue';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';

export interface RollupJobData {
  interval: Interval;
}

/** Tag of every cached value read from a rollup view: dropped when the views are refreshed. */
export const ROLLUP_TAG = 'rollups';

// Uploads within this window share one refresh, which starts after the last of them.
const DEBOUNCE_MS = 1_000;

/** Queues a refresh of the views derived from an interval after bars of it were ingested. */
export class RollupJobs {
  private readonly queue: Queue<RollupJobData>;

  constructor(config: Config, connection: Redis) {
    this.queue = createQueue<RollupJobData>(config, QUEUES.barsRollup, connection);
  }

  async request(interval: Interval): Promise<boolean> {
    if (rollupsFrom(interval).length === 0) return false;
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

export async function processRollup(deps: { db: Pools; cache: Cache }, job: Job<RollupJobData>): Promise<{ view: string; ms: number }[]> {
  const { interval } = job.data;
  if (!(INTERVALS as readonly string[]).includes(interval)) throw new UnrecoverableError(`"${interval}" is not an interval`);
  const refreshed = await refreshRollups(deps.db.write, interval);
  await deps.cache.deleteByTag([ROLLUP_TAG]);
  return refreshed;
}
