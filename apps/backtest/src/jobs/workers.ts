import { hostname } from 'node:os';
import type { Config } from '@meridian/config';
import { QUEUES, queueConnection, workerDefaults } from '@meridian/queue';
import { addQueueWorkers, createWorkerProcess, type Service } from '@meridian/service';
import { Worker } from 'bullmq';
import { type JobContext, jobContext, type Pause, settle } from './context.js';
import type { ChunkJobData, RunJobData, SweepJobData } from './payloads.js';
import { runBacktestJob } from './run-backtest.js';
import { finishSweep, runChunk } from './sweep.js';
import { runValidation } from './validate.js';

export interface WorkerOptions {
  /** See JobContext.pause. */
  pause?: Pause;
}

export interface BacktestWorker {
  app: Service;
  workers: Worker[];
}

/** The backtest worker process: backtests, sweep chunks and their parents, validations. */
export async function buildWorker(config: Config, options: WorkerOptions = {}): Promise<BacktestWorker> {
  const app = await createWorkerProcess({ config, name: 'backtest-worker' });
  const ctx: JobContext = jobContext(app.db, `${hostname()}:${process.pid}`, options.pause);
  const connection = queueConnection(config, 'worker');
  const shared = { ...workerDefaults(config, connection), concurrency: config.queue.concurrency };
  const workers = [
    new Worker<RunJobData>(QUEUES.backtestRun, (job) => settle(job, ctx.backtests, () => runBacktestJob(ctx, job)), shared),
    new Worker<ChunkJobData>(QUEUES.backtestSweepChunk, (job) => settle(job, ctx.studies, () => runChunk(ctx, job)), shared),
    new Worker<SweepJobData>(QUEUES.backtestSweep, (job) => settle(job, ctx.studies, () => finishSweep(ctx, job)), shared),
    new Worker<RunJobData>(QUEUES.backtestValidate, (job) => settle(job, ctx.studies, () => runValidation(ctx, job)), shared),
  ];
  addQueueWorkers(app, workers);
  app.addHook('onClose', async () => connection.disconnect());
  app.addHook('onReady', async () => {
    app.log.info({ queues: workers.map((w) => w.name), concurrency: config.queue.concurrency }, 'backtest workers ready');
  });
  return { app, workers };
}
