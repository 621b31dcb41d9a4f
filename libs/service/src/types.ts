import type { Cache } from '@meridian/cache';
import type { Config } from '@meridian/config';
import type { Metrics } from '@meridian/telemetry';
import type { Pools } from '@meridian/db';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Pools;
    redis: Redis;
    /** L1 in-process + L2 Redis; see libs/cache. */
    cache: Cache;
    /** Prometheus registry behind GET /metrics. */
    metrics: Metrics;
  }
}

/** A Meridian service: Fastify with the TypeBox type provider, so handlers' types come from their schemas. */
export type Service = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;
