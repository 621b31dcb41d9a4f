import { once } from 'node:events';
import { connectRedis, type RedisClient, type RedisTarget } from '@meridian/cache';
import type { FastifyBaseLogger } from 'fastify';

export interface RedisOptions {
  /** Name shown in CLIENT LIST, logs and errors. */
  name: string;
  /** BullMQ workers need null: a blocking command must wait for as long as it takes. */
  maxRetriesPerRequest?: number | null;
  commandTimeoutMs?: number;
  logger?: Pick<FastifyBaseLogger, 'warn' | 'info'>;
}

/**
 * An ioredis client (a single Redis or a cluster, as configured) that fails fast while Redis is away instead of queueing commands forever,
 * and logs once per change of state rather than once per reconnect attempt.
 */
export function createRedis(target: RedisTarget | string, options: RedisOptions): RedisClient {
  const blocking = options.maxRetriesPerRequest === null;
  const client = connectRedis(target, {
    connectionName: options.name,
    maxRetriesPerRequest: blocking ? null : (options.maxRetriesPerRequest ?? 1),
    enableOfflineQueue: blocking,
    commandTimeout: blocking ? undefined : (options.commandTimeoutMs ?? 1_000),
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    lazyConnect: false,
  });
  let up = true;
  client.on('error', (error: Error) => {
    if (!up) return;
    up = false;
    options.logger?.warn({ err: error.message, client: options.name }, 'redis unavailable; reconnecting');
  });
  client.on('ready', () => {
    if (up) return;
    up = true;
    options.logger?.info({ client: options.name }, 'redis connection restored');
  });
  return client;
}

/** PING that first waits for a connection in progress, so a just-started service is not reported down. */
export async function pingRedis(client: RedisClient): Promise<string> {
  if (client.status === 'connecting' || client.status === 'connect' || client.status === 'wait') await once(client, 'ready');
  return client.ping();
}
