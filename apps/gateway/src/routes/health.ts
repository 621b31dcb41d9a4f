import { hasScrapeToken, probeServices } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/**
 * GET /health: whether every service behind the gateway is ready, 503 when one is not. Open to
 * anyone as a bare status; which service is down, its internal URL and its dependencies' details
 * only with the scrapers' token (METRICS_TOKEN).
 */
export const aggregateHealth: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway: _self, ...services } = app.config.upstreams;
  const token = app.config.metricsToken;
  app.get('/health', { schema: { tags: ['health'], summary: 'Readiness of every service behind the gateway' } }, async (request, reply) => {
    const detailed = hasScrapeToken(request, token);
    const results = await probeServices(services, detailed ? { token } : {});
    const ready = results.every((result) => result.status === 'ready');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'degraded', ...(detailed ? { services: results } : {}) });
  });
};
