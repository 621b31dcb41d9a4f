import type { Config } from '@meridian/config';
import { createService, type Service, type ServiceOptions } from '@meridian/service';
import { serviceRoutes } from './routes/services/index.js';

export interface MonitorOptions extends Omit<ServiceOptions, 'config'> {
  config: Config;
}

/** The monitor without a listener: main.ts listens, tests inject. */
export async function buildApp(options: MonitorOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Health of every service, queues, cache, database and alerts.' });
  await app.register(serviceRoutes);
  return app;
}
