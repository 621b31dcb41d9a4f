import { type Attributes, type Context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { tagTraceIds, type TraceIds } from './context.js';
import { type ServerSpanSink, serverSpanSink } from './server-span-sink.js';
import { type Caller, parseTraceparent } from './trace-ids.js';

const TRACE_ID = Symbol('meridian.traceId');
const SPAN_ID = Symbol('meridian.spanId');
const PARENT_SPAN_ID = Symbol('meridian.parentSpanId');
const START = Symbol('meridian.start');
const UNTRACED = /^\/(health|metrics)(\/|$|\?)/;
/**
 * Methods whose handlers queue no job. An unsampled request records nothing; its context only
 * hands the decision on to the jobs it queues, so unsampled reads need none.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Samplers are handed the span's attributes; the standard ones read none.
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** The path of a request target, without its query. */
const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/** A context whose active span is the one these ids name, as samplers and children read it. */
const spanContext = (traceId: string, spanId: string, sampled: boolean, isRemote: boolean): Context =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote });

/** The context of a call from another process (ROOT_CONTEXT for none). */
const callerContext = (caller: Caller | undefined): Context => (caller ? spanContext(caller.traceId, caller.spanId, caller.sampled, true) : ROOT_CONTEXT);

/** What traceRequests keeps on each request; SPAN_ID is '' unless the request is sampled, PARENT_SPAN_ID '' without a caller. */
type Traced = FastifyRequest & { [TRACE_ID]: string; [SPAN_ID]: string; [PARENT_SPAN_ID]: string; [START]: number };

/** The ids of the request's own span when it is sampled (exported); else undefined. */
export function requestTraceIds(request: FastifyRequest): TraceIds | undefined {
  const traced = request as Traced;
  return traced[SPAN_ID] ? { trace_id: traced[TRACE_ID], span_id: traced[SPAN_ID] } : undefined;
}

/**
 * The `traceparent` to send with a call made for this request: the request's span as the
 * caller when it is sampled, else its trace marked unsampled, so the callee follows the decision.
 * Undefined outside a traced request.
 */
export function outgoingTraceparent(request: FastifyRequest, sink = serverSpanSink()): string | undefined {
  const traced = request as Traced;
  if (!traced[TRACE_ID] || !sink) return undefined;
  return traced[SPAN_ID] ? `00-${traced[TRACE_ID]}-${traced[SPAN_ID]}-01` : `00-${traced[TRACE_ID]}-${sink.ids.generateSpanId()}-00`;
}

/**
 * The context the request's handler runs in: its span when sampled; else the caller's span, or an
 * unsampled one of its own, so that what it queues follows the decision too.
 */
function requestContext(request: Traced, sink: ServerSpanSink): Context {
  if (request[SPAN_ID]) return spanContext(request[TRACE_ID], request[SPAN_ID], true, false);
  const caller = request[PARENT_SPAN_ID];
  return spanContext(request[TRACE_ID], caller || sink.ids.generateSpanId(), false, caller !== '');
}

/**
 * One server span per request, decided and recorded in Fastify's own hooks without the SDK's span
 * objects: the sampler (the SDK's, from OTEL_TRACES_SAMPLER) decides from the incoming
 * `traceparent`, and a sampled request's span is written by the span processor when its batch is
 * sent (server-span-records.ts). Each route's handler runs in a scope carrying the request's
 * context (scoped-context.ts), so the pg, ioredis and BullMQ spans it causes become children and
 * follow the decision; outside handlers a context does not follow awaits.
 *
 * Why not `tracer.startSpan`: with it, a process sampling one request in ten ran every request
 * about a tenth slower, sampled or not; recording the same span as a few strings and numbers did
 * not (BENCHMARKS.md, tracing, session 14).
 *
 * A sampled request's response names its trace in `X-Trace-Id` and its logger carries the ids.
 * Call before the routes are added: handlers are wrapped as routes are. `scopeHandlers: false`
 * leaves them as they are, for an app whose handlers make no span (the gateway forwards; a scope
 * would last each upstream round trip).
 */
export function traceRequests(app: FastifyInstance, { scopeHandlers = true, sink = serverSpanSink() }: { scopeHandlers?: boolean; sink?: ServerSpanSink | undefined } = {}): void {
  if (!sink) throw new Error('traceRequests needs the tracing SDK started first: run the service with `node --import ./telemetry.js` (libs/telemetry/src/register.ts)');
  const { sampler, followsCaller, ids, recorder, contexts } = sink;
  // Declared up front so every request object has the same shape, sampled or not.
  app.decorateRequest(TRACE_ID, '');
  app.decorateRequest(SPAN_ID, '');
  app.decorateRequest(PARENT_SPAN_ID, '');
  app.decorateRequest(START, 0);
  app.addHook('onRequest', (raw: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (UNTRACED.test(raw.url)) return done();
    const request = raw as Traced;
    const caller = parseTraceparent(request.headers.traceparent);
    const traceId = caller ? caller.traceId : ids.generateTraceId();
    request[TRACE_ID] = traceId;
    request[PARENT_SPAN_ID] = caller ? caller.spanId : '';
    // Samplers get the method as the span's name: reading the route template costs Fastify an object per request.
    const sampled = caller && followsCaller ? caller.sampled : sampler.shouldSample(callerContext(caller), traceId, request.method, SpanKind.SERVER, NO_ATTRIBUTES, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
    if (!sampled) return done();
    const spanId = ids.generateSpanId();
    request[SPAN_ID] = spanId;
    request[START] = performance.now();
    reply.header('x-trace-id', traceId);
    // Fastify gives each request a logger of its own, unless logging is off (then it is app.log).
    if (request.log !== app.log) tagTraceIds(request.log, { trace_id: traceId, span_id: spanId });
    done();
  });
  if (scopeHandlers) app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function scoped(this: FastifyInstance, raw, reply) {
      const request = raw as Traced;
      if (!request[TRACE_ID] || (!request[SPAN_ID] && SAFE_METHODS.has(request.method))) return handler.call(this, raw, reply);
      return contexts.run(requestContext(request, sink), () => handler.call(this, raw, reply));
    } as RouteHandlerMethod;
  });
  app.addHook('onResponse', (raw: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const request = raw as Traced;
    if (request[SPAN_ID]) {
      recorder.recordServerSpan(request[TRACE_ID], request[SPAN_ID], request[PARENT_SPAN_ID], request.method, request.routeOptions.url ?? '', pathOf(request.url), request[START], performance.now(), reply.statusCode);
    }
    done();
  });
}
