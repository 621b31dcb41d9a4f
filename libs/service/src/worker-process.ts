import type { Config } from '@meridian/config';
import { isRedisUnavailable } from '@meridian/cache';
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { createFastify, registerProcessParts } from './service.js';
import type { Listener } from './run.js';
import type { Service } from './types.js';

export interface WorkerProcessOptions {
  config: Config;
  /** Labels the process in logs, metrics and connections: `signals-worker`. */
  name: string;
}

/**
 * A queue-worker process from the same parts as a service (logger, pools, Redis, cache,
 * metrics), serving only `GET /metrics` and the health routes. Add its BullMQ workers with
 * addQueueWorkers, then runService(app, workerListener(config)).
 */
export async function createWorkerProcess({ config, name }: WorkerProcessOptions): Promise<Service> {
  const app = createFastify(config, { name });
  await registerProcessParts(app, { config, name });
  return app;
}

/** The port a worker process serves its metrics and health on: WORKER_METRICS_PORT. */
export const workerListener = (config: Config): Listener => ({ port: config.queue.workerMetricsPort, portVariable: 'WORKER_METRICS_PORT' });

const seconds = (job: Job | undefined): number => (job?.processedOn ? ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000 : 0);

/**
 * Runs BullMQ workers in a worker process: each job's outcome is timed in
 * `queue_job_duration_seconds` and failures are logged; the app is ready once every worker is
 * connected, and closing it first lets running jobs finish, before the pools and Redis close. A
 * job cut off by a crash is picked up again as stalled.
 */
export function addQueueWorkers(app: Service, workers: readonly Worker[]): void {
  const outcomes = app.metrics.jobOutcomes();
  // Redis away makes every worker fail each reconnect attempt: said once, and once when it is back.
  let redisAway = false;
  const redisBack = () => {
    if (!redisAway) return;
    redisAway = false;
    app.log.info('queues: Redis answers again; workers resume');
  };
  for (const worker of workers) {
    worker.on('active', redisBack);
    worker.on('ready', redisBack);
    worker.on('completed', (job) => outcomes.observe(worker.name, 'completed', seconds(job)));
    worker.on('failed', (job, error) => {
      const retrying = job !== undefined && job.attemptsMade < (job.opts.attempts ?? 1) && !(error instanceof UnrecoverableError);
      outcomes.observe(worker.name, retrying ? 'retrying' : 'failed', seconds(job));
      app.log.warn({ queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed');
    });
    worker.on('error', (error) => {
      if (!isRedisUnavailable(error)) return app.log.error({ queue: worker.name, err: error.message }, 'worker error');
      if (!redisAway) app.log.warn({ err: error.message }, 'queues: Redis unavailable; workers retry until it is back');
      redisAway = true;
    });
  }
  app.addHook('onReady', async () => {
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  });
  app.addHook('preClose', async () => {
    await Promise.all(workers.map((worker) => worker.close()));
  });
}
