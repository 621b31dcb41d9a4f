import { loadConfig } from '@meridian/config';
import { main } from '@meridian/service';
import closeWithGrace from 'close-with-grace';
import { startWorkers } from './batch/workers.js';

await main(async () => {
  const config = loadConfig('signals');
  const workers = await startWorkers(config);
  closeWithGrace({ delay: config.shutdownTimeoutMs, logger: false }, async () => {
    await workers.close();
  });
});
