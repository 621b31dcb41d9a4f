import { randomBytes } from 'node:crypto';
import { ConfigError, type Env, int, num, oneOf, optionalStr, str, url } from './parse.js';

export const SERVICE_NAMES = ['gateway', 'signals', 'backtest', 'monitor'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = { gateway: 3000, signals: 3001, backtest: 3002, monitor: 3003 };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const NODE_ENVS = ['development', 'test', 'production'] as const;
/** Secrets that have been published (in docs or code): anyone could sign with them. */
const PUBLISHED_SECRETS = new Set(['meridian-local-development-secret-not-for-production']);

export interface DatabaseConfig {
  url: string;
  readUrl: string;
  poolMax: number;
  readPoolMax: number;
  statementTimeoutMs: number;
  idleTimeoutMs: number;
  slowQueryMs: number;
  /**
   * With a replica (DATABASE_READ_URL), how long a write's response waits for the replica to
   * replay it, so the client's next read sees it; past this the response goes out anyway.
   */
  replicaWaitMs: number;
}

export interface Config {
  nodeEnv: (typeof NODE_ENVS)[number];
  service: ServiceName;
  host: string;
  port: number;
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: 'json' | 'pretty';
  database: DatabaseConfig;
  redisUrl: string;
  /**
   * Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES, or REDIS_URL's host with `?cluster=true`);
   * empty for a single Redis. REDIS_URL's credentials and TLS apply to every node.
   */
  redisClusterNodes: readonly { host: string; port: number }[];
  /** Prepended to every Redis key so environments and test runs sharing one Redis never collide. */
  redisPrefix: string;
  otlpEndpoint: string | undefined;
  internalSecret: string;
  /** The bearer token that GET /metrics and the health details need: the scrapers' credential. */
  metricsToken: string;
  /** Base URLs of the services, as the gateway and the monitor reach them. */
  upstreams: Readonly<Record<ServiceName, string>>;
  shutdownTimeoutMs: number;
  /** How long a service keeps serving after SIGTERM before it stops accepting (the rest of the stack may be stopping too). */
  shutdownDelayMs: number;
  /** Event-loop delay above which requests get 503 until it recovers; 0 turns the check off. */
  maxEventLoopDelayMs: number;
  bodyLimitBytes: number;
  gateway: GatewayConfig;
  queue: QueueConfig;
  monitor: MonitorConfig;
  live: LiveConfig;
  /** Days bars of an interval are kept, by interval (`1m`); an interval not listed is kept forever. */
  barsRetentionDays: Readonly<Record<string, number>>;
}

export interface LiveConfig {
  /** Bar events kept per symbol for clients resuming with Last-Event-ID. */
  retention: number;
  heartbeatMs: number;
  /** Bytes a live client may leave unread before it is sent an error and disconnected. */
  bufferBytes: number;
}

export interface MonitorConfig {
  /** How often every target's /metrics and /health/ready are read. */
  scrapeIntervalMs: number;
  /** What the monitor scrapes, by name: every service but itself and both workers unless MONITOR_TARGETS says otherwise. */
  targets: Readonly<Record<string, string>>;
  /** Where alert transitions are POSTed in Alertmanager's webhook format; none when unset. */
  webhookUrl: string | undefined;
  /** A rules file replacing the alert rules versioned with the monitor. */
  rulesFile: string | undefined;
}

export interface QueueConfig {
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /** At most `rateMax` jobs per `rateDurationMs` per queue, across workers; 0 means no limit. */
  rateMax: number;
  rateDurationMs: number;
  /** Tries per job for transient errors (database or Redis away), with exponential backoff. */
  attempts: number;
  backoffMs: number;
  /** Finished jobs are removed after this long, so Redis does not grow. */
  keepCompletedS: number;
  keepFailedS: number;
  /** How long a worker's claim on a job lasts without renewal; a job whose worker died is taken over after about this long. */
  lockMs: number;
  /** Where a worker process serves GET /metrics; 0 picks a free port. */
  workerMetricsPort: number;
}

export interface GatewayConfig {
  /** How long an API key look-up is trusted before the database is asked again. */
  apiKeyCacheTtlMs: number;
  readsPerMinute: number;
  writesPerMinute: number;
  /** Origins allowed by CORS; empty means CORS is off. */
  corsOrigins: string[];
  upstreamTimeoutMs: number;
  /** Largest upload to /v1/bars (streamed); every other route gets bodyLimitBytes. */
  ingestBodyLimitBytes: number;
}

/**
 * A shared secret: required in production. Outside it, an unset one is random for this process
 * alone: `npm start` and the tests set one shared by the whole stack, so a process started by
 * hand without it trusts nobody, rather than trusting a value anyone could know.
 */
function readSecret(env: Env, name: string, nodeEnv: (typeof NODE_ENVS)[number]): string {
  const secret = nodeEnv === 'production' ? str(env, name) : (optionalStr(env, name) ?? randomBytes(32).toString('hex'));
  if (secret.length < 32) throw new ConfigError(name, `must be at least 32 characters, got ${secret.length}; make one with \`openssl rand -hex 32\``);
  if (PUBLISHED_SECRETS.has(secret)) throw new ConfigError(name, 'is a published value that anyone could sign with; make one with `openssl rand -hex 32`');
  return secret;
}

/**
 * Reads and validates the environment for one service. Throws ConfigError naming the first
 * variable at fault; defaults serve a local machine (Postgres and Redis on 127.0.0.1).
 */
export function loadConfig(service: ServiceName, env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', NODE_ENVS, 'development');
  const host = str(env, 'HOST', '127.0.0.1');
  const ports = Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, int(env, `${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name], 0, 65535)]),
  ) as Record<ServiceName, number>;
  const upstreams = Object.fromEntries(
    SERVICE_NAMES.map((name) => [
      name,
      url(env, `${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}`, ['http', 'https']).replace(/\/$/, ''),
    ]),
  ) as Record<ServiceName, string>;

  // Port 0 (tests) takes a free port, which no upstream can name in advance.
  if (service === 'gateway' && ports.gateway !== 0) rejectSelfUpstream(upstreams, ports.gateway);

  const redisUrl = url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss']);
  const databaseUrl = url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/meridian', ['postgres', 'postgresql']);
  const internalSecret = readSecret(env, 'INTERNAL_AUTH_SECRET', nodeEnv);
  const metricsToken = readSecret(env, 'METRICS_TOKEN', nodeEnv);

  return {
    nodeEnv,
    service,
    host,
    port: ports[service],
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, nodeEnv === 'development' && process.stdout.isTTY ? 'pretty' : 'json'),
    database: {
      url: databaseUrl,
      readUrl: url(env, 'DATABASE_READ_URL', databaseUrl, ['postgres', 'postgresql']),
      poolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
      readPoolMax: int(env, 'DATABASE_READ_POOL_MAX', 10, 1, 1000),
      statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
      idleTimeoutMs: int(env, 'DATABASE_IDLE_TIMEOUT_MS', 30_000, 0, 3_600_000),
      slowQueryMs: num(env, 'DATABASE_SLOW_QUERY_MS', 200, 0, 3_600_000),
      replicaWaitMs: int(env, 'DATABASE_REPLICA_WAIT_MS', 5_000, 0, 60_000),
    },
    redisUrl,
    redisClusterNodes: clusterNodes(env, redisUrl),
    redisPrefix: str(env, 'REDIS_PREFIX', `meridian:${nodeEnv}:`),
    otlpEndpoint: optionalStr(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') === undefined
      ? undefined
      : url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', undefined, ['http', 'https']),
    internalSecret,
    metricsToken,
    upstreams,
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    shutdownDelayMs: int(env, 'SHUTDOWN_DELAY_MS', 1_000, 0, 60_000),
    maxEventLoopDelayMs: int(env, 'MAX_EVENT_LOOP_DELAY_MS', 1_000, 0, 600_000),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 1_073_741_824),
    gateway: {
      apiKeyCacheTtlMs: int(env, 'API_KEY_CACHE_TTL_MS', 60_000, 0, 3_600_000),
      readsPerMinute: int(env, 'RATE_LIMIT_READS_PER_MINUTE', 6_000, 1, 10_000_000),
      writesPerMinute: int(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 300, 1, 10_000_000),
      corsOrigins: (optionalStr(env, 'CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean),
      upstreamTimeoutMs: int(env, 'UPSTREAM_TIMEOUT_MS', 30_000, 100, 3_600_000),
      ingestBodyLimitBytes: int(env, 'INGEST_BODY_LIMIT_BYTES', 2_147_483_648, 1024, Number.MAX_SAFE_INTEGER),
    },
    queue: {
      concurrency: int(env, 'WORKER_CONCURRENCY', 4, 1, 1000),
      rateMax: int(env, 'WORKER_RATE_MAX', 0, 0, 1_000_000),
      rateDurationMs: int(env, 'WORKER_RATE_DURATION_MS', 1000, 1, 3_600_000),
      attempts: int(env, 'JOB_ATTEMPTS', 3, 1, 100),
      backoffMs: int(env, 'JOB_BACKOFF_MS', 1000, 1, 3_600_000),
      keepCompletedS: int(env, 'JOB_KEEP_COMPLETED_S', 86_400, 1, 31_536_000),
      keepFailedS: int(env, 'JOB_KEEP_FAILED_S', 7 * 86_400, 1, 31_536_000),
      lockMs: int(env, 'JOB_LOCK_MS', 10_000, 1_000, 3_600_000),
      workerMetricsPort: int(env, 'WORKER_METRICS_PORT', ports[service] === 0 ? 0 : ports[service] + 100, 0, 65535),
    },
    live: {
      retention: int(env, 'LIVE_RETENTION', 10_000, 1, 10_000_000),
      heartbeatMs: int(env, 'LIVE_HEARTBEAT_MS', 15_000, 100, 3_600_000),
      bufferBytes: int(env, 'LIVE_BUFFER_BYTES', 1_048_576, 1024, 1_073_741_824),
    },
    barsRetentionDays: retentionDays(env, 'BARS_RETENTION'),
    monitor: {
      scrapeIntervalMs: int(env, 'MONITOR_SCRAPE_INTERVAL_MS', 5_000, 100, 3_600_000),
      targets: monitorTargets(env, upstreams),
      webhookUrl: optionalStr(env, 'MONITOR_WEBHOOK_URL') === undefined ? undefined : url(env, 'MONITOR_WEBHOOK_URL', undefined, ['http', 'https']),
      rulesFile: optionalStr(env, 'MONITOR_RULES_FILE'),
    },
  };
}

/** `1m=730d,1h=3650d`: how long bars of each listed interval are kept. */
function retentionDays(env: Env, name: string): Record<string, number> {
  const value = optionalStr(env, name);
  if (value === undefined) return {};
  const days: Record<string, number> = {};
  for (const part of value.split(',')) {
    const match = /^\s*(\d+(?:m|h|d|w|mo))\s*=\s*(\d+)d\s*$/.exec(part);
    if (!match || Number(match[2]) < 1) throw new ConfigError(name, `must be interval=days pairs such as "1m=730d,5m=365d", got "${part.trim()}"`);
    days[match[1] as string] = Number(match[2]);
  }
  return days;
}

/**
 * MONITOR_TARGETS is `name=url,name=url`; unset, the monitor watches the gateway, signals and
 * backtest services and their workers on the service's port + 100.
 */
function monitorTargets(env: Env, upstreams: Record<ServiceName, string>): Record<string, string> {
  const listed = optionalStr(env, 'MONITOR_TARGETS');
  if (listed === undefined) {
    const worker = (base: string) => {
      const parsed = new URL(base);
      parsed.port = String(Number(parsed.port || 80) + 100);
      return parsed.toString().replace(/\/$/, '');
    };
    return { gateway: upstreams.gateway, signals: upstreams.signals, backtest: upstreams.backtest, 'signals-worker': worker(upstreams.signals), 'backtest-worker': worker(upstreams.backtest) };
  }
  const targets: Record<string, string> = {};
  for (const entry of listed.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at);
    if (at < 1 || !/^[\w-]+$/.test(name)) throw new ConfigError('MONITOR_TARGETS', `"${entry}" is not name=url (e.g. signals=http://127.0.0.1:3001)`);
    targets[name] = url({ MONITOR_TARGETS: entry.slice(at + 1) }, 'MONITOR_TARGETS', undefined, ['http', 'https']).replace(/\/$/, '');
  }
  return targets;
}

/** A gateway forwarding to its own port would ask itself for every request, without end. */
function rejectSelfUpstream(upstreams: Record<ServiceName, string>, gatewayPort: number): void {
  const self = new Set([upstreams.gateway, `http://127.0.0.1:${gatewayPort}`, `http://localhost:${gatewayPort}`]);
  for (const name of SERVICE_NAMES) {
    const variable = `${name.toUpperCase()}_URL`;
    if (name !== 'gateway' && self.has(upstreams[name])) {
      throw new ConfigError(variable, `points at the gateway itself (${upstreams[name]}); give the ${name} service its own port (${name.toUpperCase()}_PORT) or set ${variable}`);
    }
  }
}

/** REDIS_CLUSTER_NODES is `host:port,host:port`; without it, `?cluster=true` on REDIS_URL makes its host the one seed. */
function clusterNodes(env: Env, redisUrl: string): { host: string; port: number }[] {
  const listed = optionalStr(env, 'REDIS_CLUSTER_NODES');
  if (listed === undefined) {
    const parsed = new URL(redisUrl);
    return ['true', '1'].includes(parsed.searchParams.get('cluster') ?? '') ? [{ host: parsed.hostname, port: Number(parsed.port || 6379) }] : [];
  }
  return listed.split(',').map((item) => {
    const match = /^\s*([^\s:]+|\[[^\]]+\]):(\d{1,5})\s*$/.exec(item);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new ConfigError('REDIS_CLUSTER_NODES', `must list cluster nodes as host:port,host:port, got "${item.trim()}"`);
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
  });
}
