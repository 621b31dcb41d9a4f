import { loadConfig } from '@meridian/config';
import { main, runService, workerListener } from '@meridian/service';
import { buildWorker } from './jobs/workers.js';

await main(async () => {
  const config = loadConfig('backtest');
  const { app } = await buildWorker(config);
  await runService(app, workerListener(config));
});
