import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@meridian/config';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { loggerOptions, RequestLog } from './logger.js';
import { cache } from './plugins/cache.js';
import { compression } from './plugins/compression.js';
import { config as configPlugin } from './plugins/config.js';
import { health, type ReadinessCheck } from './plugins/health.js';
import { type Caller, internalAuth } from './plugins/internal-auth.js';
import { loadShedding } from './plugins/load-shedding.js';
import { metrics } from './plugins/metrics.js';
import { openApi, type OpenApiOptions } from './plugins/openapi.js';
import { pools } from './plugins/pools.js';
import { redis } from './plugins/redis.js';
import { requestTracing } from './plugins/request-tracing.js';
import { serverTiming } from './plugins/server-timing.js';
import { problem, problems, sendProblem } from './problem.js';
import { jsonBody } from './plugins/json-body.js';
import type { Service } from './types.js';

/** What an app's buildApp takes; apps add their own fields beside it. */
export interface AppOptions {
  config: Config;
}

export interface ServiceOptions extends AppOptions {
  version?: string;
  description?: string;
  /** Readiness checks beside Postgres and Redis. */
  readiness?: Record<string, ReadinessCheck>;
  /** Require the gateway's signed header on /v1 routes (every service but the gateway itself). */
  internalAuth?: boolean;
  /** Serve this app's own document at /openapi.json (the gateway serves the merged one instead). */
  publishOpenApi?: boolean;
  /** Request body limit for routes that do not set their own. */
  bodyLimit?: number;
  /** Rewrites each request's URL before routing (the gateway normalises targets with it). */
  rewriteUrl?: FastifyServerOptions['rewriteUrl'];
  /** Run each route handler in its request's trace context (default); the gateway's only forward. */
  scopeHandlers?: boolean;
}

/** A client's X-Request-Id is kept only when it is this plain; otherwise the request gets its own. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Fastify as every Meridian process makes it: its logging, request ids, validation and closing. */
export function createFastify(config: Config, options: { name?: string; bodyLimit?: number; rewriteUrl?: FastifyServerOptions['rewriteUrl'] } = {}): Service {
  const server: FastifyServerOptions = {
    logger: loggerOptions(config, options.name),
    logController: new RequestLog(),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: options.bodyLimit ?? config.bodyLimitBytes,
    ...(options.rewriteUrl ? { rewriteUrl: options.rewriteUrl } : {}),
    // Errors Fastify raises before routing (a malformed or over-long path) answer problem+json too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendProblem(reply, problem(tooLong ? 414 : 400, tooLong ? 'uri-too-long' : 'bad-url', tooLong ? 'A segment of the path is too long.' : 'The path is not a valid URL path.', request));
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // strictNumbers off: with it on (Fastify's default), Ajv coerces `limit=Infinity` or `1e309`
    // to Infinity and then skips the number's bounds, so the database got it; off, the bounds
    // refuse it with 400.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: true, strictNumbers: false } },
  };
  return Fastify(server).withTypeProvider<TypeBoxTypeProvider>();
}

export interface ProcessParts {
  config: Config;
  /** Labels the process in logs, metrics and connections (`signals`, `signals-worker`). */
  name: string;
  scopeHandlers?: boolean;
  readiness?: Record<string, ReadinessCheck>;
  /** The OpenAPI document, for a web service: registered before any route so that it sees them all. */
  openApi?: OpenApiOptions;
}

/**
 * The parts every Meridian process has, as plugins in the order a request meets them: request
 * ids and tracing, problem+json errors, then config, compression, the OpenAPI document, pools,
 * Redis, cache, metrics and health.
 */
export async function registerProcessParts(app: Service, { config, name, scopeHandlers, readiness, openApi: document }: ProcessParts): Promise<void> {
  await app.register(requestTracing, { scopeHandlers });
  await app.register(problems);
  await app.register(jsonBody);
  await app.register(configPlugin, { config });
  // Both see routes as they are added: before any route.
  await app.register(compression);
  if (document) await app.register(openApi, document);
  await app.register(pools, { applicationName: `meridian-${name}` });
  await app.register(redis, { clientName: `meridian-${name}` });
  await app.register(cache);
  await app.register(metrics, { service: name });
  await app.register(health, { extra: readiness });
}

/**
 * A Meridian web service: the process parts with its OpenAPI document, then the gateway's
 * signature check, Server-Timing and back-pressure. The app registers its routes after.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const { config } = options;
  const app = createFastify(config, { bodyLimit: options.bodyLimit, rewriteUrl: options.rewriteUrl });
  // Set by the gateway's auth (from the API key) or by a service's internal auth (from the signed header).
  app.decorateRequest('caller', null as unknown as Caller);
  const openApiOptions = { version: options.version, description: options.description, publish: options.publishOpenApi };
  await registerProcessParts(app, { config, name: config.service, scopeHandlers: options.scopeHandlers, readiness: options.readiness, openApi: openApiOptions });
  if (options.internalAuth !== false) await app.register(internalAuth);
  await app.register(serverTiming);
  await app.register(loadShedding);
  return app;
}
