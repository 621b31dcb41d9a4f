import type { Config } from '@meridian/config';
import { createQueue, QUEUES } from '@meridian/queue';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@meridian/cache';
import type { Figure } from '../figures.js';

/** Every queue of the platform, read from BullMQ: depth by state and the age of the oldest waiting job. */
export class QueueWatch {
  readonly queues: Queue[];

  constructor(config: Config, connection: RedisClient) {
    this.queues = Object.values(QUEUES).map((name) => createQueue(config, name, connection));
  }

  async figures(now = Date.now()): Promise<Figure[]> {
    const out: Figure[] = [];
    await Promise.all(
      this.queues.map(async (queue) => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        const labels = { queue: queue.name };
        for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const) out.push({ name: `queue_${state}`, labels, value: counts[state] ?? 0 });
        // Oldest first: the job that has waited longest, paused queue or not.
        const [oldest] = await queue.getJobs(['waiting'], 0, 0, true);
        out.push({ name: 'queue_oldest_waiting_seconds', labels, value: oldest ? Math.max(0, (now - oldest.timestamp) / 1000) : 0 });
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
