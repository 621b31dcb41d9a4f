import { Cache, type CacheLogger } from '@meridian/cache';
import type { Config } from '@meridian/config';
import type { Pools } from '@meridian/db';
import { Metrics } from '@meridian/telemetry';
import type { Redis } from 'ioredis';

/** Where every process of an environment keeps the cache: one key space, one invalidation bus. */
export const cachePrefix = (config: Pick<Config, 'redisPrefix'>): string => `${config.redisPrefix}cache:`;

/** The cache a Meridian process uses; call start() to join the invalidation bus. */
export function createCache(config: Pick<Config, 'redisPrefix'>, redis: Redis, logger?: CacheLogger): Cache {
  return new Cache({ prefix: cachePrefix(config), redis, logger });
}

/** A process's Prometheus registry, watching its pools, queries and cache (services and workers alike). */
export function processMetrics(service: string, db: Pools, cache: Cache): Metrics {
  const metrics = new Metrics(service);
  metrics.watchPools(db.read === db.write ? { write: db.write } : { write: db.write, read: db.read });
  metrics.watchQueries(() => db.queries.stats());
  metrics.watchCache(() => cache.stats());
  return metrics;
}
