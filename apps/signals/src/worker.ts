import { loadConfig } from '@meridian/config';
import { main, runService, workerListener } from '@meridian/service';
import { buildWorker } from './batch/workers.js';

await main(async () => {
  const config = loadConfig('signals');
  const { app } = await buildWorker(config);
  await runService(app, workerListener(config));
});
