import { sendPage } from '@meridian/service/html-page';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Monitor } from '../../monitor.js';
import { overviewStream } from '../overview/index.js';
import { dashboardPage } from './page.js';

/**
 * The dashboard: a page for a browser, opened through the gateway with a signed link
 * (POST /v1/links { "path": "/v1/monitor/dashboard" }); its event stream lies below it, so the
 * link's cookie carries to it.
 */
export const dashboardRoutes: FastifyPluginAsyncTypebox<{ monitor: Monitor }> = async (app, { monitor }) => {
  app.get('/v1/monitor/dashboard', {
    schema: {
      tags: ['monitor'],
      summary: 'The live dashboard: service status, rates, latency, errors, queues, cache, slow queries, alerts and predictions',
      produces: ['text/html'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/html' }) },
    },
  }, async (_request, reply) => {
    if (!monitor.overview()) await monitor.tick();
    return sendPage(reply, dashboardPage(monitor));
  });

  app.get('/v1/monitor/dashboard/stream', {
    schema: {
      tags: ['monitor'],
      summary: "The dashboard's event stream: GET /v1/monitor/stream under the dashboard's path",
      produces: ['text/event-stream'],
      response: { 200: Type.Unsafe<string>({ type: 'string', description: 'text/event-stream' }) },
    },
  }, (request, reply) => overviewStream(monitor, request, reply));
};
