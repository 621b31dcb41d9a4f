import type { RedisClient } from '@meridian/cache';
import fp from 'fastify-plugin';
import { createRedis } from '../redis.js';
import type {} from './config.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
  }
}

/**
 * `app.redis`: the process's ioredis client (createRedis: fails fast while Redis is away),
 * disconnected with the app. Not @fastify/redis, which holds the app's start until Redis answers:
 * a service must start, and serve from memory, while Redis is down.
 */
export const redis = fp(
  async (app, { clientName }: { clientName: string }) => {
    const client = createRedis(app.config, { name: clientName, logger: app.log });
    app.decorate<RedisClient>('redis', client);
    app.addHook('onClose', async () => {
      client.disconnect();
    });
  },
  { name: 'meridian-redis', dependencies: ['meridian-config'] },
);
