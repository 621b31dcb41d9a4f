import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig, SERVICE_NAMES } from '@meridian/config';
import { migrate } from '@meridian/db/migrate';
import { loadDemoData } from '../data/demo.js';
import { ensureDemoKey } from './demo-key.js';
import { ensureStackSecret } from './secrets.js';
import { builtProcesses, startProcesses, waitLive } from './processes.js';
import { ensureDatabase, ensureServices, StackError } from './services.js';

const root = resolve(import.meta.dirname, '../..');
const log = (message: string) => console.error(`[stack] ${message}`);

function step<T>(title: string, work: () => Promise<T>): Promise<T> {
  log(`${title}...`);
  return work();
}

/** Postgres and Redis up, the app database created and migrated, the bundles built. */
export async function setup(): Promise<void> {
  const config = loadConfig('gateway');
  await step('checking Postgres and Redis', () => ensureServices({ databaseUrl: config.database.url, redisUrl: config.redisUrl, log }));
  await ensureDatabase(config.database.url, log);
  const applied = await step('migrating', () => migrate({ databaseUrl: config.database.url }));
  log(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database schema is up to date');
  await step('checking demo data (SPX daily 2000-2020, synthetic SYNA-SYND)', () => loadDemoData(config.database, log));
  await step('building the services', async () => {
    const built = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
    });
    if (built.status !== 0) throw new StackError('The build failed (see above). Fix the error and run `npm start` again.');
  });
}

/** A signed link to the monitor's dashboard for the browser (valid for a day), or how to get one. */
async function dashboardLink(gateway: string, key: string): Promise<string> {
  try {
    const res = await fetch(`${gateway}/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/v1/monitor/dashboard', ttlSeconds: 86_400 }),
    });
    if (res.ok) return ((await res.json()) as { url: string }).url;
  } catch {
    // Said below with the way to get one later.
  }
  return 'POST /v1/links {"path":"/v1/monitor/dashboard"} with the demo key makes a link to the dashboard';
}

/** Everything `setup` does, then every service and worker in the foreground until Ctrl-C. */
export async function start(): Promise<number> {
  await setup();
  const config = loadConfig('gateway');
  const processes = builtProcesses(root, SERVICE_NAMES);
  log(`starting ${processes.map((p) => p.name).join(', ')}`);
  const secrets = {
    INTERNAL_AUTH_SECRET: ensureStackSecret(root, 'INTERNAL_AUTH_SECRET', 'internal-secret'),
    METRICS_TOKEN: ensureStackSecret(root, 'METRICS_TOKEN', 'metrics-token'),
  };
  // A process that dies is started again; one that dies five times within two minutes stops the stack.
  const stack = startProcesses(processes, { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development', ...secrets }, { restart: { maxRestarts: 5, windowMs: 120_000 } });

  let stopping = false;
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping every service...`);
    await stack.stop();
    log('stopped');
    markStopped();
  };
  process.once('SIGINT', () => void stop('Ctrl-C'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const missing = await waitLive(Object.values(config.upstreams), 30_000);
  if (missing.length > 0) {
    await stop(`no answer from ${missing.join(', ')} after 30 s`);
    return 1;
  }
  const gateway = config.upstreams.gateway;
  const key = ensureDemoKey(root);
  const dashboard = await dashboardLink(gateway, key);
  console.error(
    [
      '',
      `Meridian is running. Gateway: ${gateway}`,
      `  Demo API key (tenant "demo", every scope; saved in tmp/demo-key): ${key}`,
      `  Try:     curl -s -H "Authorization: Bearer ${key}" ${gateway}/v1/instruments`,
      `  Health:  curl -s ${gateway}/health      (details: -H "Authorization: Bearer $(cat tmp/metrics-token)")`,
      `  API:     ${gateway}/docs`,
      `  Monitor: ${dashboard}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const failure = await Promise.race([stack.failed, stopped.then(() => undefined)]);
  if (failure === undefined) return 0;
  await stop(failure);
  return 1;
}
