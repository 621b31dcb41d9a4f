import { queueConnection } from '@meridian/queue';
import { type AppOptions, createService, type Service } from '@meridian/service';
import { BarSource } from './bars.js';
import { ResearchJobs } from './jobs/queue.js';
import { backtestRoutes } from './routes/backtests/index.js';
import { portfolioRoutes } from './routes/portfolios/index.js';
import { strategyRoutes } from './routes/strategies/index.js';
import { studyRoutes } from './routes/studies/index.js';

/** The backtest service without a listener: main.ts listens, tests inject. Its jobs run in worker.ts. */
export async function buildApp(options: AppOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Strategies, backtests, sweeps, walk-forward validation, gates and portfolio optimisation.' });
  const producer = queueConnection(options.config, 'producer');
  const jobs = new ResearchJobs(options.config, producer);
  const bars = new BarSource(app.db);
  app.metrics.watchQueues(() => jobs.counts());
  app.addHook('onClose', async () => {
    await jobs.close();
    producer.disconnect();
  });

  await app.register(strategyRoutes);
  await app.register(backtestRoutes, { jobs, bars });
  await app.register(studyRoutes, { jobs, bars });
  await app.register(portfolioRoutes, { bars });
  return app;
}
