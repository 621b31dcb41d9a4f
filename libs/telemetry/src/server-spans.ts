import { type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sampledTraceIds, tagTraceIds, type TraceIds } from './context.js';

const SPAN = Symbol('meridian.span');
const CONTEXT = Symbol('meridian.context');
const UNTRACED = /^\/(health|metrics)(\/|$|\?)/;
type Traced = FastifyRequest & { [SPAN]?: Span | null; [CONTEXT]?: Context | null };

/** Whether this process started the SDK (libs/telemetry/src/register.ts). */
export const tracingEnabled = (): boolean => process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined && process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== '';

/** Whether the configured sampler follows the caller's decision (the SDK's default does). */
const followsParent = (sampler = process.env.OTEL_TRACES_SAMPLER): boolean => !sampler || sampler.startsWith('parentbased_');

/**
 * The context a request runs in (its server span, or the caller's unsampled one), for what hands
 * it on explicitly: the gateway's proxy injects it into the forwarded request. Outside a traced
 * request, the active context.
 */
export const requestContext = (request: FastifyRequest): Context => (request as Traced)[CONTEXT] ?? context.active();

/** The ids of the request's own span when it is sampled (exported); else undefined. */
export const requestTraceIds = (request: FastifyRequest): TraceIds | undefined => sampledTraceIds((request as Traced)[SPAN]);

/**
 * One server span per request, made in Fastify's own hooks instead of by the generic http
 * instrumentation (which costs more per request): the parent comes from the incoming
 * `traceparent`, the name from the route template, and the rest of the request runs inside the
 * span's context so pg, ioredis and BullMQ spans become its children. The context is also kept on
 * the request (requestContext), and a sampled request's logger carries the trace ids, so both
 * hold where no AsyncLocalStorage carries the context (call-stack-context.ts). A sampled
 * request's response names its trace in `X-Trace-Id`.
 *
 * When the caller already decided not to sample (the gateway at 10 % sends nine requests in ten
 * so) and the sampler follows that decision, no span of this request can be exported: the request
 * runs in the caller's context as it came, which still tells queued jobs and further calls not
 * to sample, and the span, its ids and attributes are never made.
 */
export function traceRequests(app: FastifyInstance): void {
  const tracer = trace.getTracer('meridian-http');
  const skipUnsampled = followsParent();
  // Declared up front so every request object has the same shape, sampled or not.
  app.decorateRequest(SPAN, null);
  app.decorateRequest(CONTEXT, null);
  app.addHook('onRequest', (request: Traced, reply: FastifyReply, done: () => void) => {
    if (UNTRACED.test(request.url)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    if (skipUnsampled) {
      const caller = trace.getSpanContext(parent);
      if (caller && (caller.traceFlags & TraceFlags.SAMPLED) === 0) {
        request[CONTEXT] = parent;
        return context.with(parent, done);
      }
    }
    const route = request.routeOptions.url;
    const span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0], ...(route ? { 'http.route': route } : {}) },
    }, parent);
    const spanContext = trace.setSpan(parent, span);
    request[SPAN] = span;
    request[CONTEXT] = spanContext;
    const ids = sampledTraceIds(span);
    if (ids) {
      reply.header('x-trace-id', ids.trace_id);
      // Fastify gives each request a logger of its own, unless logging is off (then it is app.log).
      if (request.log !== app.log) tagTraceIds(request.log, ids);
    }
    context.with(spanContext, done);
  });
  app.addHook('onResponse', (request: Traced, reply: FastifyReply, done: () => void) => {
    const span = request[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
