import { randomUUID } from 'node:crypto';
import { constants as zlib } from 'node:zlib';
import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@meridian/config';
import { traceRequests, tracingEnabled } from '@meridian/telemetry';
import { createCache, processMetrics } from './process-parts.js';
import { createPools, type Pools } from '@meridian/db';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { type Caller, requireInternalAuth } from './internal-auth.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { loggerOptions, RequestLog } from './logger.js';
import { BROTLI_QUALITY, COMPRESS_FROM_BYTES } from './encoding.js';
import { installProblemHandlers, problem, sendProblem } from './problem.js';
import { createRedis, pingRedis } from './redis.js';
import type { Service } from './types.js';

export interface ServiceOptions {
  config: Config;
  version?: string;
  description?: string;
  /** Supply connections to share them (tests, workers); otherwise they are made from config and closed with the app. */
  db?: Pools;
  redis?: Redis;
  /** Extra readiness checks beside postgres and redis. */
  readiness?: Record<string, ReadinessCheck>;
  /** Require the gateway's signed header on /v1 routes (every service but the gateway itself). */
  internalAuth?: boolean;
  /** Serve this app's own document at /openapi.json (the gateway serves the merged one instead). */
  publishOpenApi?: boolean;
  /** Request body limit for routes that do not set their own. */
  bodyLimit?: number;
  /**
   * Run each route handler in its request's trace context, so the pg, Redis and queue calls it
   * makes join the trace (default). The gateway's handlers only forward and make no span.
   */
  scopeHandlers?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The one Fastify bootstrap: logging with request ids, problem+json errors, health, compression,
 * back-pressure, Server-Timing, OpenAPI, and connections closed on shutdown.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const { config } = options;
  const app = Fastify({
    logger: loggerOptions(config),
    logController: new RequestLog(),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: options.bodyLimit ?? config.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Before any route, so that every handler is wrapped in its request's context. The cast drops
  // the TypeBox type provider, which only types schemas; tracing uses none.
  const tracing = tracingEnabled() ? traceRequests(app as unknown as FastifyInstance, { scopeHandlers: options.scopeHandlers ?? true }) : undefined;
  // First of all hooks, so that what later hooks log names the trace. A callback hook where
  // nothing is awaited: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    tracing?.start(request, reply);
    reply.header('x-request-id', request.id);
    done();
  });

  const ownsDb = !options.db;
  const ownsRedis = !options.redis;
  const db = options.db ?? createPools(config.database, `meridian-${config.service}`, app.log);
  const redis = options.redis ?? createRedis(config.redisUrl, { name: `meridian-${config.service}`, logger: app.log });
  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('redis', redis);
  const cache = createCache(config, redis, app.log);
  // Not awaited: with Redis down the service still starts, serving from memory.
  cache.start().catch((error: Error) => app.log.warn({ err: error.message }, 'cache: invalidation bus not subscribed'));
  app.decorate('cache', cache);
  const metrics = processMetrics(config.service, db, cache);
  app.decorate('metrics', metrics);
  app.addHook('onClose', async () => {
    cache.close();
    if (ownsDb) await db.close();
    if (ownsRedis) redis.disconnect();
  });

  // Set by the gateway's auth (from the API key) or by a service's internal auth (from the signed header).
  app.decorateRequest('caller', null as unknown as Caller);
  installProblemHandlers(app);
  if (options.internalAuth !== false) requireInternalAuth(app);

  // Responses finished while closing end their keep-alive connection, or close would wait on it.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    tracing?.end(request, reply, route);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    // Put in front of what an upstream sent (the gateway forwards the service's part), not over it.
    const own = `${config.service};dur=${reply.elapsedTime.toFixed(2)}`;
    const upstream = reply.getHeader('server-timing');
    reply.header('server-timing', upstream ? `${own}, ${String(upstream)}` : own);
    done(null, payload);
  });

  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    retryAfter: 5,
    pressureHandler: (request, reply, type) => {
      reply.header('retry-after', '5');
      sendProblem(reply, problem(503, 'overloaded', `The ${config.service} service is overloaded (${type}); retry shortly.`, request));
    },
  });
  await app.register(compress, {
    threshold: COMPRESS_FROM_BYTES,
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `Meridian ${config.service}`, version: options.version ?? '0.1.0', description: options.description ?? '' },
    },
  });
  if (options.publishOpenApi !== false) app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));

  await app.register(healthRoutes, {
    checks: { postgres: () => db.write.query('SELECT 1'), redis: () => pingRedis(redis), ...options.readiness },
  });
  return app;
}
