import type { Config } from '@meridian/config';
import { QUEUES, queueConnection, workerDefaults } from '@meridian/queue';
import { addQueueWorkers, createWorkerProcess, type Service } from '@meridian/service';
import { type Job, Worker } from 'bullmq';
import { MarketData } from '../market-data.js';
import { processRetention, scheduleRetention } from '../retention.js';
import { processRollup, type RollupJobData } from '../rollups.js';
import { SignalResults } from '../signals.js';
import type { BatchJobData, SymbolJobData } from './payloads.js';
import { processBatch, processSymbol, type ProcessDeps } from './process.js';

export interface WorkerOptions {
  /** Replaces the per-symbol step: tests wrap it to inject failures. */
  processSymbol?: (deps: ProcessDeps, job: Job<SymbolJobData>) => Promise<unknown>;
}

export interface SignalsWorker {
  /** The worker process: GET /metrics and the health routes; closing it lets running jobs finish. */
  app: Service;
  workers: Worker[];
}

/**
 * The signals worker process: per-symbol batch children with the configured concurrency and
 * rate limit, their parents summed up once the children are done, rollup updates and retention.
 */
export async function buildWorker(config: Config, options: WorkerOptions = {}): Promise<SignalsWorker> {
  const app = await createWorkerProcess({ config, name: 'signals-worker' });
  const market = new MarketData(app.db, app.cache);
  const deps: ProcessDeps = { db: app.db, market, results: new SignalResults(app.db, app.cache, market) };
  const connection = queueConnection(config, 'worker');
  const shared = { ...workerDefaults(config, connection), concurrency: config.queue.concurrency };
  const limiter = config.queue.rateMax > 0 ? { limiter: { max: config.queue.rateMax, duration: config.queue.rateDurationMs } } : {};
  const step = options.processSymbol ?? processSymbol;
  const workers = [
    new Worker<SymbolJobData>(QUEUES.signalsSymbol, (job) => step(deps, job), { ...shared, ...limiter }),
    new Worker<BatchJobData>(QUEUES.signalsBatch, (job) => processBatch(job), shared),
    // One refresh at a time: two would only wait on each other's lock.
    new Worker<RollupJobData>(QUEUES.barsRollup, (job) => processRollup({ db: app.db, cache: app.cache }, job), { ...shared, concurrency: 1 }),
    new Worker(QUEUES.barsRetention, (job) => processRetention({ db: app.db, market, days: config.barsRetentionDays }, job), { ...shared, concurrency: 1 }),
  ];
  addQueueWorkers(app, workers);
  app.addHook('onClose', async () => connection.disconnect());
  app.addHook('onReady', async () => {
    await scheduleRetention(config, connection);
    app.log.info({ queues: workers.map((w) => w.name), concurrency: config.queue.concurrency }, 'signals workers ready');
  });
  return { app, workers };
}
