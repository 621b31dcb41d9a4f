import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export class StackError extends Error {}

type Log = (message: string) => void;

function reachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host: string, port: number, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 4; i++) {
    if (await reachable(host, port, 250)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function startPostgres(log: Log): boolean {
  if (!onPath('pg_ctlcluster') || !existsSync('/etc/postgresql')) return false;
  const versions = readdirSync('/etc/postgresql');
  if (versions.length === 0) return false;
  for (const version of versions) {
    log(`Postgres is installed but not running: starting cluster ${version}/main`);
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
  return true;
}

function startRedis(port: number, log: Log): boolean {
  if (!onPath('redis-server')) return false;
  log(`Redis is installed but not running: starting redis-server on 127.0.0.1:${port}`);
  execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'inherit',
  });
  return true;
}

const HOW_TO_GET = {
  postgres:
    'Install it with `apt-get install -y postgresql` (then `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`), ' +
    'or run `docker compose -f infra/docker-compose.yml up -d postgres`, or point DATABASE_URL at a server you have.',
  redis:
    'Install it with `apt-get install -y redis-server` (then `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`), ' +
    'or run `docker compose -f infra/docker-compose.yml up -d redis`, or point REDIS_URL at a server you have.',
};

async function ensureOne(kind: 'postgres' | 'redis', url: string, log: Log): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || (kind === 'postgres' ? 5432 : 6379));
  if (await reachable(host, port)) return;
  const where = `${host}:${port}`;
  if (!LOCAL_HOSTS.has(host)) {
    throw new StackError(`${kind} is not reachable at ${where} (from ${kind === 'postgres' ? 'DATABASE_URL' : 'REDIS_URL'}). Start it there, or unset the variable to use a local one.`);
  }
  const started = kind === 'postgres' ? startPostgres(log) : startRedis(port, log);
  if (!started) throw new StackError(`${kind} is not installed on this machine and nothing answers at ${where}. ${HOW_TO_GET[kind]}`);
  if (!(await waitFor(host, port, 20))) {
    throw new StackError(`${kind} was started but does not answer at ${where} after 20 s. Check its log (/var/log/postgresql or redis-server's output). ${HOW_TO_GET[kind]}`);
  }
  log(`${kind} is up at ${where}`);
}

/** Creates the database named in the URL when the server lacks it. */
export async function ensureDatabase(databaseUrl: string, log: Log): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new StackError(`Postgres answers but refuses the connection as ${admin.username || 'the current user'}: ${(error as Error).message}. Check DATABASE_URL.`);
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

/** Makes sure Postgres and Redis answer: starts local installs that are stopped, or says exactly what is missing. */
export async function ensureServices(options: { databaseUrl: string; redisUrl: string; log: Log }): Promise<void> {
  await ensureOne('postgres', options.databaseUrl, options.log);
  await ensureOne('redis', options.redisUrl, options.log);
}
