import type { Config } from '@meridian/config';
import { runJobId } from '@meridian/db';
import { createFlowProducer, createQueue, jobDefaults, QUEUES } from '@meridian/queue';
import { type FlowProducer, Job, type Queue } from 'bullmq';
import type { RedisClient } from '@meridian/cache';
import { CHUNK_SIZE, type ChunkJobData, type RunJobData, type SweepJobData } from './payloads.js';

export type ResearchKind = 'backtest' | 'sweep' | 'validation';

/** Queues backtests, sweeps (a BullMQ flow: one parent, one child per chunk) and validations, and reads their progress. */
export class ResearchJobs {
  private readonly queues: Record<ResearchKind, Queue>;
  private readonly chunks: Queue<ChunkJobData>;
  private readonly flows: FlowProducer;

  constructor(private readonly config: Config, connection: RedisClient) {
    this.queues = {
      backtest: createQueue<RunJobData>(config, QUEUES.backtestRun, connection),
      sweep: createQueue<SweepJobData>(config, QUEUES.backtestSweep, connection),
      validation: createQueue<RunJobData>(config, QUEUES.backtestValidate, connection),
    };
    this.chunks = createQueue<ChunkJobData>(config, QUEUES.backtestSweepChunk, connection);
    this.flows = createFlowProducer(config, connection);
  }

  async queue(kind: 'backtest' | 'validation', data: RunJobData, runs: number): Promise<void> {
    const queue = this.queues[kind];
    await queue.add(queue.name, data, { ...jobDefaults(this.config), jobId: runJobId(data.id, runs) });
  }

  /** The sweep's sets in chunks of CHUNK_SIZE, as children of one parent. */
  async queueSweep(data: SweepJobData, chunk: Omit<ChunkJobData, 'first' | 'sets'>, sets: ChunkJobData['sets'], runs: number): Promise<void> {
    const defaults = jobDefaults(this.config);
    const id = runJobId(data.id, runs);
    const children = [];
    for (let first = 0; first < sets.length; first += CHUNK_SIZE) {
      children.push({
        name: QUEUES.backtestSweepChunk,
        queueName: QUEUES.backtestSweepChunk,
        data: { ...chunk, first, sets: sets.slice(first, first + CHUNK_SIZE) } satisfies ChunkJobData,
        // A chunk that fails for good fails the sweep with its reason (finishSweep), not silently.
        opts: { ...defaults, jobId: `${id}-c${first / CHUNK_SIZE}`, ignoreDependencyOnFailure: true },
      });
    }
    await this.flows.add({ name: QUEUES.backtestSweep, queueName: QUEUES.backtestSweep, data, opts: { ...defaults, jobId: id }, children });
  }

  /** 0–100 while the job runs; undefined when the queue no longer has it. */
  async progress(kind: ResearchKind, id: string, runs: number): Promise<number | undefined> {
    const job = await Job.fromId(this.queues[kind], runJobId(id, runs));
    if (!job) return undefined;
    if (kind === 'sweep') {
      const counts = await job.getDependenciesCount({ processed: true, unprocessed: true });
      const done = counts.processed ?? 0;
      const total = done + (counts.unprocessed ?? 0);
      return total === 0 ? 0 : Math.min(99, Math.floor((done / total) * 100));
    }
    return typeof job.progress === 'number' ? job.progress : 0;
  }

  /** Removes work not yet started; running work stops at its next checkpoint (the row says cancelled). */
  async cancel(kind: ResearchKind, id: string, runs: number): Promise<void> {
    const job = await Job.fromId(this.queues[kind], runJobId(id, runs));
    // A job a worker holds cannot be removed: the worker sees the cancellation itself.
    await job?.remove().catch(() => undefined);
  }

  /** Jobs per state in each queue, for GET /metrics. */
  async counts(): Promise<Record<string, Record<string, number>>> {
    const states = ['waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;
    const queues = [...Object.values(this.queues), this.chunks];
    const counts = await Promise.all(queues.map((queue) => queue.getJobCounts(...states)));
    return Object.fromEntries(queues.map((queue, i) => [queue.name, counts[i] as Record<string, number>]));
  }

  async close(): Promise<void> {
    await Promise.all([...Object.values(this.queues).map((queue) => queue.close()), this.chunks.close(), this.flows.close()]);
  }
}
