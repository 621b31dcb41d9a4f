import { queueConnection } from '@meridian/queue';
import { type AppOptions, createService, type Service } from '@meridian/service';
import { BatchJobs } from './batch/jobs.js';
import { MarketData } from './market-data.js';
import { barRoutes, type BarRoutesOptions } from './routes/bars/index.js';
import { indicatorRoutes } from './routes/indicators/index.js';
import { instrumentRoutes } from './routes/instruments/index.js';
import { jobRoutes } from './routes/jobs/index.js';
import { LiveHub } from './live/hub.js';
import { liveRoutes } from './routes/live/index.js';
import { LiveSignals } from './live/signals.js';
import { seasonalityRoutes } from './routes/seasonality/index.js';
import { signalRoutes } from './routes/signals/index.js';
import { RollupJobs } from './rollups.js';
import { SignalResults } from './signals.js';

export interface SignalsOptions extends AppOptions {
  bars?: BarRoutesOptions;
}

/** The signals service without a listener: main.ts listens, tests inject. */
export async function buildApp(options: SignalsOptions): Promise<Service> {
  const app = await createService({ ...options, description: 'Instruments, bars, indicators, signals and seasonality.' });
  const market = new MarketData(app.db, app.cache);
  const results = new SignalResults(app.db, app.cache, market);
  const producer = queueConnection(options.config, 'producer');
  const batches = new BatchJobs(options.config, producer);
  const rollups = new RollupJobs(options.config, producer);
  app.metrics.watchQueues(async () => ({ ...(await batches.counts()), ...(await rollups.counts()) }));
  const live = new LiveHub(app.redis, options.config.redisPrefix, { retention: options.config.live.retention }, app.log);
  app.metrics.watchStreams(() => ({ clients: live.clients, cutOff: live.cutOff }));
  app.addHook('onClose', async () => {
    await live.close();
    await batches.close();
    await rollups.close();
    producer.disconnect();
  });

  await app.register(instrumentRoutes);
  // New bars change every indicator and signal of the symbol, on every instance.
  await app.register(barRoutes, {
    onIngested: async (symbol, interval, changed) => {
      // Before the caches are dropped: a read that refills them from the replica must find the bars.
      await app.replicaCaughtUp();
      await market.invalidate(symbol);
      // Committed already: a subscriber that misses these because Redis failed reads them with GET /v1/bars.
      if (changed) await live.publish(symbol, interval, changed).catch((error: Error) => app.log.warn({ err: error.message, symbol }, 'live bar events not published'));
      // The bars are committed whatever happens here: a refresh that cannot be queued now is
      // done by the next ingest's.
      await rollups.request(interval).catch((error: Error) => app.log.warn({ err: error.message, interval }, 'rollup refresh not queued'));
      await options.bars?.onIngested?.(symbol, interval, changed);
    },
  });
  await app.register(indicatorRoutes, { market });
  await app.register(seasonalityRoutes, { market });
  await app.register(signalRoutes, { market, results, batches });
  await app.register(jobRoutes, { batches });
  await app.register(liveRoutes, { hub: live, market, signals: new LiveSignals(market), rulesOf: (hashes) => results.events.rules(hashes), heartbeatMs: options.config.live.heartbeatMs, bufferBytes: options.config.live.bufferBytes });
  return app;
}
