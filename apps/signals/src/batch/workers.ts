import type { Config } from '@meridian/config';
import { createPools, type Pools } from '@meridian/db';
import { bullPrefix, QUEUES, queueConnection, queueTelemetry } from '@meridian/queue';
import { createCache, createLogger, createRedis, processMetrics } from '@meridian/service';
import { serveMetrics } from '@meridian/telemetry';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { MarketData } from '../market-data.js';
import { processRollup, type RollupJobData } from '../rollups.js';
import { SignalResults } from '../signals.js';
import type { BatchJobData, SymbolJobData } from './payloads.js';
import { processBatch, processSymbol, type ProcessDeps } from './process.js';

export interface WorkerOptions {
  /** Shared connections (tests); otherwise made from config and closed with the workers. */
  db?: Pools;
  /** Replaces the per-symbol step: tests wrap it to inject failures. */
  processSymbol?: (deps: ProcessDeps, job: Job<SymbolJobData>) => Promise<unknown>;
}

export interface SignalsWorkers {
  workers: Worker[];
  /** Where GET /metrics of this process answers. */
  metricsPort: number;
  close(): Promise<void>;
}

/**
 * The batch-signal workers of one process: per-symbol children run with the configured
 * concurrency and rate limit; the parent sums them up once they are done.
 */
export async function startWorkers(config: Config, options: WorkerOptions = {}): Promise<SignalsWorkers> {
  const log = createLogger(config);
  const db = options.db ?? createPools(config.database, 'meridian-signals-worker', log);
  const redis: Redis = createRedis(config.redisUrl, { name: 'meridian-signals-worker-cache', logger: log });
  const cache = createCache(config, redis, log);
  await cache.start();
  const market = new MarketData(db, cache);
  const deps: ProcessDeps = { db, market, results: new SignalResults(db, cache, market) };
  const connection = queueConnection(config, 'worker');
  const shared = { connection, prefix: bullPrefix(config), concurrency: config.queue.concurrency, telemetry: queueTelemetry };
  const limiter = config.queue.rateMax > 0 ? { limiter: { max: config.queue.rateMax, duration: config.queue.rateDurationMs } } : {};
  const step = options.processSymbol ?? processSymbol;

  const workers = [
    new Worker<SymbolJobData>(QUEUES.signalsSymbol, (job) => step(deps, job), { ...shared, ...limiter }),
    new Worker<BatchJobData>(QUEUES.signalsBatch, (job) => processBatch(job), shared),
    // One refresh at a time: two would only wait on each other's lock.
    new Worker<RollupJobData>(QUEUES.barsRollup, (job) => processRollup({ db, cache }, job), { ...shared, concurrency: 1 }),
  ];
  const metrics = processMetrics('signals-worker', db, cache);
  const outcomes = metrics.jobOutcomes();
  const seconds = (job: Job | undefined) => (job?.processedOn ? ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000 : 0);
  for (const worker of workers) {
    worker.on('completed', (job) => outcomes.observe(worker.name, 'completed', seconds(job)));
    worker.on('failed', (job, error) => {
      const retrying = job !== undefined && job.attemptsMade < (job.opts.attempts ?? 1) && !(error instanceof UnrecoverableError);
      outcomes.observe(worker.name, retrying ? 'retrying' : 'failed', seconds(job));
      log.warn({ queue: worker.name, job: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed');
    });
    worker.on('error', (error) => log.error({ queue: worker.name, err: error.message }, 'worker error'));
  }
  const server = await serveMetrics(metrics, config.host, config.queue.workerMetricsPort);
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  log.info({ queues: workers.map((w) => w.name), concurrency: config.queue.concurrency, metrics: `http://${config.host}:${server.port}/metrics` }, 'signals workers ready');

  return {
    workers,
    metricsPort: server.port,
    async close() {
      await server.close();
      // Running jobs finish first; a job cut off by a crash is picked up again as stalled.
      await Promise.all(workers.map((worker) => worker.close()));
      cache.close();
      redis.disconnect();
      connection.disconnect();
      if (!options.db) await db.close();
    },
  };
}
