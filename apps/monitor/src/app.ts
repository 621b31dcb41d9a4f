import { queueConnection } from '@meridian/queue';
import { type AppOptions, createService, type Service } from '@meridian/service';
import { loadRules } from './alerts/rules.js';
import { QueueWatch } from './collect/queues.js';
import { Monitor } from './monitor.js';
import { dashboardRoutes } from './routes/dashboard/index.js';
import { overviewRoutes } from './routes/overview/index.js';
import { queueBoard } from './routes/queues/index.js';
import { serviceRoutes } from './routes/services/index.js';

export interface MonitorOptions extends AppOptions {
  /** Alert rules file; MONITOR_RULES_FILE, else apps/monitor/alert-rules.json. */
  rulesFile?: string | URL;
  /** Scrape on an interval (the default); tests call monitor.tick() themselves. */
  autoStart?: boolean;
}

export interface MonitorService extends Service {
  monitor: Monitor;
}

/** The monitor without a listener: main.ts listens, tests inject. */
export async function buildApp(options: MonitorOptions): Promise<MonitorService> {
  const app = await createService({ ...options, description: 'Health of every service, RED figures, queues, cache, database, alerts with trends, a live dashboard and a queue board.' });
  const producer = queueConnection(options.config, 'producer');
  const queues = new QueueWatch(options.config, producer);
  const monitor = new Monitor({ config: options.config, db: app.db, redis: app.redis, queues, rules: loadRules(options.rulesFile ?? options.config.monitor.rulesFile), log: app.log });
  app.decorate('monitor', monitor);
  if (options.autoStart !== false) app.addHook('onReady', async () => monitor.start());
  app.addHook('onClose', async () => {
    await monitor.stop();
    await queues.close();
    producer.disconnect();
  });

  await app.register(serviceRoutes);
  await app.register(overviewRoutes, { monitor });
  await app.register(dashboardRoutes, { monitor });
  await app.register(queueBoard, { queues });
  return app as MonitorService;
}
