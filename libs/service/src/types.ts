import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
// The decorators every process has (config, db, redis, cache, metrics), declared by their plugins.
import type {} from './plugins/cache.js';
import type {} from './plugins/config.js';
import type {} from './plugins/metrics.js';
import type {} from './plugins/pools.js';
import type {} from './plugins/redis.js';

/** A Meridian service: Fastify with the TypeBox type provider, so handlers' types come from their schemas. */
export type Service = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
