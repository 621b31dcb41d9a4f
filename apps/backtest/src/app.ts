import { createService, type Service, type AppOptions } from '@meridian/service';
import { strategyRoutes } from './routes/strategies/index.js';

/** The backtest service without a listener: main.ts listens, tests inject. */
export async function buildApp(options: AppOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Strategies, backtests, sweeps and portfolio optimisation.' });
  await app.register(strategyRoutes);
  return app;
}
