import { createService, type Service, type AppOptions } from '@meridian/service';
import { serviceRoutes } from './routes/services/index.js';

/** The monitor without a listener: main.ts listens, tests inject. */
export async function buildApp(options: AppOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Health of every service, queues, cache, database and alerts.' });
  await app.register(serviceRoutes);
  return app;
}
