/**
 * The container health check each app bundle ships as health.js: exit 0 when the process in this
 * container answers GET /health/live within 3 s, 1 otherwise.
 *
 *   node health.js           the service (its <APP>_PORT)
 *   node health.js worker    the app's worker (WORKER_METRICS_PORT)
 *
 * The app is read from the bundle's package.json (meridian-<app>), the ports from the same
 * settings the process itself reads, so the check follows whatever the deployment configures.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, SERVICE_NAMES, type ServiceName } from '@meridian/config';

const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string };
const app = manifest.name.replace(/^meridian-/, '') as ServiceName;
if (!SERVICE_NAMES.includes(app)) {
  process.stderr.write(`health.js: package.json names "${manifest.name}", not one of meridian-${SERVICE_NAMES.join(', meridian-')}\n`);
  process.exit(1);
}
const config = loadConfig(app);
const port = process.argv[2] === 'worker' ? config.queue.workerMetricsPort : config.port;
try {
  const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(3_000) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`health.js: GET http://127.0.0.1:${port}/health/live failed: ${(error as Error).message}\n`);
  process.exit(1);
}
