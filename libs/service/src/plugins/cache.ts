import { Cache, type CacheLogger, type RedisClient } from '@meridian/cache';
import type { Config } from '@meridian/config';
import fp from 'fastify-plugin';
import type {} from './config.js';
import type {} from './redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** L1 in-process + L2 Redis; see libs/cache. */
    cache: Cache;
  }
}

/**
 * The cache a Meridian process uses, in the key space and on the invalidation bus that every
 * process of the environment shares; call start() to join the bus.
 */
export function createCache(config: Pick<Config, 'redisPrefix'>, redis: RedisClient, logger?: CacheLogger): Cache {
  return new Cache({ prefix: `${config.redisPrefix}cache:`, redis, logger });
}

/**
 * `app.cache`: L1 in memory, L2 in Redis. Joining the bus is not awaited: with Redis down the
 * process still starts, serving from memory.
 */
export const cache = fp(
  async (app) => {
    const instance = createCache(app.config, app.redis, app.log);
    instance.start().catch((error: Error) => app.log.warn({ err: error.message }, 'cache: invalidation bus not subscribed'));
    app.decorate('cache', instance);
    app.addHook('onClose', async () => instance.close());
  },
  { name: 'meridian-cache', dependencies: ['meridian-redis'] },
);
