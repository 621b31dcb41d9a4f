import { loadConfig } from '@meridian/config';
import { main, runService } from '@meridian/service';
import { buildApp } from './app.js';

await main(async () => {
  const app = await buildApp({ config: loadConfig('backtest') });
  await runService(app);
});
