import { randomBytes, randomUUID } from 'node:crypto';
import { type Config, type Env, loadConfig, SERVICE_NAMES, type ServiceName } from '@meridian/config';
import { createTestDatabase, type TestDatabase } from '@meridian/db/testing';
import { connectRedis, RedisStore, type RedisTarget } from '@meridian/cache';
import { type Caller, INTERNAL_HEADER, signInternal } from '../signature.js';

export { freePort } from '@meridian/cache/testing';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestContext {
  database: TestDatabase;
  redisPrefix: string;
  /** Config for a service under test: its own database, its own Redis key prefix, port 0. */
  config(service: ServiceName, env?: Env): Config;
  /** The environment variables behind config(), for spawning real processes. */
  env(env?: Env): Record<string, string>;
  cleanup(): Promise<void>;
}

/** Deletes every key under a prefix with SCAN, never KEYS. */
export async function deleteByPrefix(target: RedisTarget | string, prefix: string): Promise<number> {
  const redis = connectRedis(target, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await new RedisStore(redis, '').deletePrefix(prefix);
  } finally {
    redis.disconnect();
  }
}

export async function createTestContext(options: { emptyDatabase?: boolean } = {}): Promise<TestContext> {
  const database = await createTestDatabase({ empty: options.emptyDatabase ?? false });
  const redisPrefix = `meridian:test:${randomUUID()}:`;
  // One secret for every process of this context, as npm start gives its stack one.
  const internalSecret = randomBytes(32).toString('hex');
  const metricsToken = randomBytes(32).toString('hex');
  const env = (extra: Env = {}): Record<string, string> => {
    const base: Record<string, string | undefined> = {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      INTERNAL_AUTH_SECRET: internalSecret,
      METRICS_TOKEN: metricsToken,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      ...Object.fromEntries(SERVICE_NAMES.map((name) => [`${name.toUpperCase()}_PORT`, '0'])),
      WORKER_METRICS_PORT: '0',
      // Tests run a service and its worker in one process, where a job blocks the API's event
      // loop as it never does across processes: no 503 for that.
      MAX_EVENT_LOOP_DELAY_MS: '0',
      // Stopping a test's processes need not wait for peers that are stopping too.
      SHUTDOWN_DELAY_MS: '0',
      ...extra,
    };
    return Object.fromEntries(Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };
  return {
    database,
    redisPrefix,
    env,
    config: (service, extra) => loadConfig(service, env(extra)),
    async cleanup() {
      await deleteByPrefix(TEST_REDIS_URL, redisPrefix);
      await database.drop();
    },
  };
}

/** Headers that let a test call a service directly, as the gateway would, for this exact body (if any). */
export function signedHeaders(config: Config, method: string, url: string, caller: Caller = { tenant: 'test', keyId: 'test' }, body?: string | Buffer): Record<string, string> {
  return { [INTERNAL_HEADER]: signInternal(config.internalSecret, method, url, caller, { body }) };
}

/**
 * `inject` options for a call made as the gateway would make it: an object payload is sent as
 * JSON, serialised once so that the bytes signed are the bytes sent; a string is sent as it is.
 */
export function signedRequest(
  config: Config,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  options: { payload?: string | object; headers?: Record<string, string>; caller?: Caller } = {},
): { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload: string | undefined; headers: Record<string, string> } {
  const { payload, caller } = options;
  const body = payload === undefined || typeof payload === 'string' ? payload : JSON.stringify(payload);
  const json: Record<string, string> = typeof payload === 'object' ? { 'content-type': 'application/json' } : {};
  return { method, url, payload: body, headers: { ...signedHeaders(config, method, url, caller, body), ...json, ...options.headers } };
}

/** The scrapers' credential, for a test that reads /metrics or the health details. */
export function scrapeHeaders(config: Pick<Config, 'metricsToken'>): Record<string, string> {
  return { authorization: `Bearer ${config.metricsToken}` };
}
