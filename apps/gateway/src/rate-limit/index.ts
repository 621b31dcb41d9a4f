import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { SharedWindowCounter } from './shared-counter.js';

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];

/** Adapts the shared counter to @fastify/rate-limit, which instantiates its store class itself. */
function storeFor(counter: SharedWindowCounter) {
  return class SharedStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      callback(null, counter.incr(key, timeWindow));
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
  const counter = new SharedWindowCounter(app.redis, `${app.config.redisPrefix}ratelimit:`, app.log);
  app.addHook('onClose', () => counter.close());
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    max: (request) => (isWrite(request.method) ? writesPerMinute : readsPerMinute),
    keyGenerator: (request) => `${request.caller?.keyId ?? request.ip}:${isWrite(request.method) ? 'w' : 'r'}`,
    allowList: (request) => !request.url.startsWith('/v1/'),
    store: storeFor(counter),
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => {
      const error = new Error(`Rate limit of ${context.max} requests per minute exceeded for this key; retry in ${context.after}.`) as Error & { statusCode: number; code: string };
      error.statusCode = context.statusCode;
      error.code = 'RATE_LIMITED';
      return error;
    },
  });
}, { name: 'rate-limits' });
