import { type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { sampledTraceIds, tagTraceIds, type TraceIds } from './context.js';

const SPAN = Symbol('meridian.serverSpan');
const UNTRACED = /^\/(health|metrics)(\/|$|\?)/;
/**
 * Methods whose handlers queue no job: an unsampled one runs outside any context, since nothing
 * it calls would record or pass on a span.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface ServerSpan {
  span: Span;
  /** The caller's context with this request's span set: what the handler and outgoing calls carry. */
  context: Context;
}

// One property for all of it: Fastify copies each decoration onto every request it makes.
type Traced = FastifyRequest & { [SPAN]: ServerSpan | null };

/** The path of a request target, without its query. */
const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/** The ids of the request's own span when it is sampled (exported); else undefined. */
export function requestTraceIds(request: FastifyRequest): TraceIds | undefined {
  return sampledTraceIds((request as Traced)[SPAN]?.span);
}

/**
 * Writes the request's trace context (`traceparent`, and `tracestate`/`baggage` when present)
 * into `headers` for a call made on the request's behalf, so the callee joins the trace and
 * follows its sampling decision. Leaves `headers` alone outside a traced request.
 */
export function injectTraceContext(request: FastifyRequest, headers: Record<string, string | string[] | undefined>): void {
  const traced = (request as Traced)[SPAN];
  if (traced) propagation.inject(traced.context, headers);
}

/** The two steps of tracing each request, for the service's own hooks to call (createService). */
export interface RequestTracing {
  /** Starts the request's span, as a child of the caller's (`traceparent`); call first in an onRequest hook. */
  start(request: FastifyRequest, reply: FastifyReply): void;
  /**
   * Ends the request's span; call in an onResponse hook with the route template the request
   * matched (`request.routeOptions.url`, which builds an object at each read).
   */
  end(request: FastifyRequest, reply: FastifyReply, route: string | undefined): void;
}

/**
 * One SERVER span per request, through the OpenTelemetry API: `start` extracts the caller's
 * context from the headers and starts the span (the SDK's sampler decides), `end` names it after
 * the matched route and ends it. Each route handler runs with the request's context active
 * (`context.with`), so the pg, ioredis and BullMQ spans it causes become its children and follow
 * its decision.
 *
 * Why the service's hooks rather than a plugin's: each Fastify hook costs every request a turn of
 * Fastify's hook runner, and the service has hooks at both points anyway. Call before the routes
 * are added: handlers are wrapped as routes are. `scopeHandlers: false` leaves them as they are,
 * for an app whose handlers make no span of their own (the gateway forwards, injecting the
 * context into the upstream request).
 *
 * A sampled request's response names its trace in `X-Trace-Id`, and its log lines carry the ids.
 */
export function traceRequests(app: FastifyInstance, { scopeHandlers = true }: { scopeHandlers?: boolean } = {}): RequestTracing {
  const tracer = trace.getTracer('meridian-http');
  app.decorateRequest(SPAN, null);
  if (scopeHandlers) app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function scoped(this: FastifyInstance, request, reply) {
      const traced = (request as Traced)[SPAN];
      if (!traced || (!traced.span.isRecording() && SAFE_METHODS.has(request.method))) return handler.call(this, request, reply);
      return context.with(traced.context, () => handler.call(this, request, reply));
    } as RouteHandlerMethod;
  });
  return {
    start(request, reply) {
      if (UNTRACED.test(request.url)) return;
      const caller = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': pathOf(request.url) } }, caller);
      (request as Traced)[SPAN] = { span, context: trace.setSpan(caller, span) };
      const ids = sampledTraceIds(span);
      if (!ids) return;
      reply.header('x-trace-id', ids.trace_id);
      // Fastify gives each request a logger of its own, unless logging is off (then it is app.log).
      if (request.log !== app.log) tagTraceIds(request.log, ids);
    },
    end(request, reply, route) {
      const span = (request as Traced)[SPAN]?.span;
      if (!span?.isRecording()) return;
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
