import { type RequestTracing, traceRequests, tracingEnabled } from '@meridian/telemetry';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Each request's `X-Request-Id`, and with tracing on its server span (libs/telemetry's
 * server-spans.ts). Registered first of all, so that every later hook, and what it logs, knows the
 * request's trace, and before any route, so that every handler runs in its request's context.
 * `scopeHandlers: false` for an app whose handlers only forward (the gateway).
 */
export const requestTracing = fp(
  async (app, { scopeHandlers = true }: { scopeHandlers?: boolean }) => {
    const tracing: RequestTracing | undefined = tracingEnabled() ? traceRequests(app as unknown as FastifyInstance, { scopeHandlers }) : undefined;
    // Callback hooks: an async hook costs a promise per request.
    app.addHook('onRequest', (request, reply, done) => {
      tracing?.start(request, reply);
      reply.header('x-request-id', request.id);
      // A client's id that was not plain enough to keep is logged beside ours, bounded, for correlation.
      const sent = request.headers['x-request-id'];
      if (sent !== undefined && sent !== request.id) request.log = request.log.child({ clientRequestId: String(sent).slice(0, 128) });
      done();
    });
    if (tracing) app.addHook('onResponse', (request, reply, done) => {
      tracing.end(request, reply, request.routeOptions.url);
      done();
    });
  },
  { name: 'meridian-request-tracing' },
);
