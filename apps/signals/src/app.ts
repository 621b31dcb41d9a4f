import type { Config } from '@meridian/config';
import { createService, type Service, type ServiceOptions } from '@meridian/service';
import { barRoutes, type BarRoutesOptions } from './routes/bars/index.js';
import { instrumentRoutes } from './routes/instruments/index.js';

export interface SignalsOptions extends Omit<ServiceOptions, 'config'> {
  config: Config;
  bars?: BarRoutesOptions;
}

/** The signals service without a listener: main.ts listens, tests inject. */
export async function buildApp(options: SignalsOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Instruments, bars, indicators, signals and seasonality.' });
  await app.register(instrumentRoutes);
  await app.register(barRoutes, options.bars ?? {});
  return app;
}
