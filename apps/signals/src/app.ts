import type { Config } from '@meridian/config';
import { createService, type Service, type ServiceOptions } from '@meridian/service';
import { instrumentRoutes } from './routes/instruments/index.js';

export interface SignalsOptions extends Omit<ServiceOptions, 'config'> {
  config: Config;
}

/** The signals service without a listener: main.ts listens, tests inject. */
export async function buildApp(options: SignalsOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Instruments, bars, indicators, signals and seasonality.' });
  await app.register(instrumentRoutes);
  return app;
}
