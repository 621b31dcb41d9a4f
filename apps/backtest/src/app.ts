import type { Config } from '@meridian/config';
import { createService, type Service, type ServiceOptions } from '@meridian/service';
import { strategyRoutes } from './routes/strategies/index.js';

export interface BacktestOptions extends Omit<ServiceOptions, 'config'> {
  config: Config;
}

/** The backtest service without a listener: main.ts listens, tests inject. */
export async function buildApp(options: BacktestOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Strategies, backtests, sweeps and portfolio optimisation.' });
  await app.register(strategyRoutes);
  return app;
}
