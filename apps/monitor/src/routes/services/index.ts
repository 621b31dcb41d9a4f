import { probeServices } from '@meridian/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const ServiceStatus = Type.Object({
  name: Type.String(),
  url: Type.String(),
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable'), Type.Literal('unreachable')]),
  latencyMs: Type.Number(),
  checks: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  error: Type.Optional(Type.String()),
});

export const serviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { monitor: _self, ...watched } = app.config.upstreams;

  app.get('/v1/monitor/services', {
    schema: {
      tags: ['monitor'],
      summary: 'Readiness of every Meridian service and its dependencies, asked now',
      response: { 200: Type.Object({ checkedAt: Type.String({ format: 'date-time' }), services: Type.Array(ServiceStatus) }) },
    },
  }, async () => ({ checkedAt: new Date().toISOString(), services: await probeServices(watched, { token: app.config.metricsToken }) }));
};
