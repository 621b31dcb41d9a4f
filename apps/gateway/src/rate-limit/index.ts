import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * Counts in Redis so every gateway instance shares one budget per key; while Redis is away it
 * counts in this process instead (fail open, but still bounded), and says so once per outage.
 */
function failoverStore(redis: Redis, namespace: string, log: FastifyBaseLogger) {
  const shared = new RedisStore(false, false, redis, namespace);
  const local = new LocalStore(false, false, 50_000);
  let degraded = false;
  // @fastify/rate-limit instantiates the store class itself, so the state lives in this closure.
  return class FailoverStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      if (redis.status !== 'ready') return local.incr(key, callback, timeWindow, max);
      shared.incr(key, (error, result) => {
        if (!error) {
          if (degraded) log.info('rate limits are shared through Redis again');
          degraded = false;
          return callback(null, result);
        }
        if (!degraded) log.warn({ err: error.message }, 'Redis unavailable: rate limits fall back to this instance');
        degraded = true;
        local.incr(key, callback, timeWindow, max);
      }, timeWindow, max);
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/** Per-key limits on /v1: one budget for reads, a smaller one for writes and job submissions. */
export const rateLimits: FastifyPluginAsyncTypebox = fp(async (app) => {
  const { readsPerMinute, writesPerMinute } = app.config.gateway;
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    max: (request) => (isWrite(request.method) ? writesPerMinute : readsPerMinute),
    keyGenerator: (request) => `${request.caller?.keyId ?? request.ip}:${isWrite(request.method) ? 'w' : 'r'}`,
    allowList: (request) => !request.url.startsWith('/v1/'),
    store: failoverStore(app.redis, `${app.config.redisPrefix}ratelimit:`, app.log),
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => {
      const error = new Error(`Rate limit of ${context.max} requests per minute exceeded for this key; retry in ${context.after}.`) as Error & { statusCode: number; code: string };
      error.statusCode = context.statusCode;
      error.code = 'RATE_LIMITED';
      return error;
    },
  });
}, { name: 'rate-limits' });
