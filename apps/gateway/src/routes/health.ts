import { probeServices } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** GET /health: the readiness of every service behind the gateway, 503 when any is not ready. */
export const aggregateHealth: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway: _self, ...services } = app.config.upstreams;
  app.get('/health', { schema: { tags: ['health'], summary: 'Readiness of every service behind the gateway' } }, async (_request, reply) => {
    const results = await probeServices(services);
    const ready = results.every((result) => result.status === 'ready');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'degraded', services: results });
  });
};
