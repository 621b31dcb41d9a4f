import { type Context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { tagTraceIds, type TraceIds } from './context.js';
import { type ServerSpanSink, serverSpanSink } from './server-span-sink.js';
import { type Caller, parseTraceparent, traceKey } from './trace-ids.js';

const TRACE = Symbol('meridian.trace');
const UNTRACED = /^\/(health|metrics)(\/|$|\?)/;
/**
 * Methods whose handlers queue no job. An unsampled request records nothing; its context only
 * hands the decision on to the jobs it queues, so unsampled reads need none.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a traced request knows of its trace. */
interface RequestTrace {
  traceId: string;
  /** The request's own span when it is sampled, else ''. */
  spanId: string;
  /** The caller's span, '' without a caller. */
  parentSpanId: string;
}

// One property for all of it: Fastify copies each decoration onto every request it makes.
type Traced = FastifyRequest & { [TRACE]: RequestTrace | null };

/** The path of a request target, without its query. */
const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/**
 * A context whose active span is the one these ids name, as samplers and children read it. The
 * API's context (a span object, a Map and three closures) is made only when something reads or
 * extends this one (pg, ioredis, BullMQ); a cached read asks for nothing. At 10 % sampling the
 * code that makes it runs too seldom to be fast: about 20 µs a request in place, against 0.3 µs
 * in a loop (BENCHMARKS.md, tracing, session 21).
 */
class RequestContext implements Context {
  private made: Context | undefined;

  constructor(
    private readonly traceId: string,
    private readonly spanId: string,
    private readonly sampled: boolean,
    private readonly isRemote: boolean,
  ) {}

  getValue(key: symbol): unknown {
    return this.context().getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.context().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.context().deleteValue(key);
  }

  private context(): Context {
    const { traceId, spanId, sampled, isRemote } = this;
    return (this.made ??= trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote }));
  }
}

/** The ids of the request's own span when it is sampled (exported); else undefined. */
export function requestTraceIds(request: FastifyRequest): TraceIds | undefined {
  const traced = (request as Traced)[TRACE];
  return traced?.spanId ? { trace_id: traced.traceId, span_id: traced.spanId } : undefined;
}

/**
 * The `traceparent` to send with a call made for this request: the request's span as the
 * caller when it is sampled, else its trace marked unsampled, so the callee follows the decision.
 * Undefined outside a traced request.
 */
export function outgoingTraceparent(request: FastifyRequest, sink = serverSpanSink()): string | undefined {
  const traced = (request as Traced)[TRACE];
  if (!traced || !sink) return undefined;
  return traced.spanId ? `00-${traced.traceId}-${traced.spanId}-01` : `00-${traced.traceId}-${sink.ids.generateSpanId()}-00`;
}

/**
 * The context the request's handler runs in: its span when sampled; else the caller's span, or an
 * unsampled one of its own, so that what it queues follows the decision too.
 */
function requestContext(traced: RequestTrace, sink: ServerSpanSink): Context {
  if (traced.spanId) return new RequestContext(traced.traceId, traced.spanId, true, false);
  const caller = traced.parentSpanId;
  return new RequestContext(traced.traceId, caller || sink.ids.generateSpanId(), false, caller !== '');
}

/**
 * The request's trace: its caller's or a new one, sampled as the caller was (parent-based
 * samplers) or by the trace id's key, as the SDK's samplers decide (sampler.ts).
 */
function decide(caller: Caller | undefined, { followsCaller, rootBound, ids }: ServerSpanSink): RequestTrace {
  if (!caller) {
    const traceId = ids.generateTraceId();
    return { traceId, spanId: ids.lastTraceKey < rootBound ? ids.generateSpanId() : '', parentSpanId: '' };
  }
  const sampled = followsCaller ? caller.sampled : traceKey(caller.traceId) < rootBound;
  return { traceId: caller.traceId, spanId: sampled ? ids.generateSpanId() : '', parentSpanId: caller.spanId };
}

/** The two steps of tracing each request, for the service's own hooks to call (createService). */
export interface RequestTracing {
  /** Decides the request's trace; call first of all in an onRequest hook. */
  start(request: FastifyRequest, reply: FastifyReply): void;
  /**
   * Records a sampled request's span; call in an onResponse hook with the route template the
   * request matched (`request.routeOptions.url`, which builds an object at each read).
   */
  end(request: FastifyRequest, reply: FastifyReply, route: string | undefined): void;
}

/**
 * One server span per request, decided and recorded without the SDK's span objects: `start`
 * decides from the incoming `traceparent` (sampler.ts), and `end` hands a sampled request's span
 * to the span processor, which writes it when its batch is sent (server-span-records.ts). Each
 * route's handler runs in a scope carrying the request's context (scoped-context.ts), so the pg,
 * ioredis and BullMQ spans it causes become children and follow the decision; outside handlers a
 * context does not follow awaits.
 *
 * Why not `tracer.startSpan`: with it, a process sampling one request in ten ran every request
 * about a tenth slower, sampled or not; recording the same span as a few strings and numbers did
 * not (BENCHMARKS.md, tracing, session 14). Why steps rather than hooks of their own: each Fastify
 * hook costs every request a turn of Fastify's hook runner, and the service has hooks at both
 * points anyway.
 *
 * A sampled request's response names its trace in `X-Trace-Id` and its logger carries the ids;
 * its span lasts what Fastify measures (`reply.elapsedTime`), as the request metrics do.
 * Call before the routes are added: handlers are wrapped as routes are. `scopeHandlers: false`
 * leaves them as they are, for an app whose handlers make no span (the gateway forwards; a scope
 * would last each upstream round trip).
 */
export function traceRequests(app: FastifyInstance, { scopeHandlers = true, sink = serverSpanSink() }: { scopeHandlers?: boolean; sink?: ServerSpanSink | undefined } = {}): RequestTracing {
  if (!sink) throw new Error('traceRequests needs the tracing SDK started first: run the service with `node --import ./telemetry.js` (libs/telemetry/src/register.ts)');
  const { recorder, contexts } = sink;
  app.decorateRequest(TRACE, null);
  if (scopeHandlers) app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function scoped(this: FastifyInstance, request, reply) {
      const traced = (request as Traced)[TRACE];
      if (!traced || (!traced.spanId && SAFE_METHODS.has(request.method))) return handler.call(this, request, reply);
      return contexts.run(requestContext(traced, sink), () => handler.call(this, request, reply));
    } as RouteHandlerMethod;
  });
  return {
    start(request, reply) {
      if (UNTRACED.test(request.url)) return;
      const traced = decide(parseTraceparent(request.headers.traceparent), sink);
      (request as Traced)[TRACE] = traced;
      if (!traced.spanId) return;
      reply.header('x-trace-id', traced.traceId);
      // Fastify gives each request a logger of its own, unless logging is off (then it is app.log).
      if (request.log !== app.log) tagTraceIds(request.log, { trace_id: traced.traceId, span_id: traced.spanId });
    },
    end(request, reply, route) {
      const traced = (request as Traced)[TRACE];
      if (!traced?.spanId) return;
      const end = performance.now();
      recorder.recordServerSpan(traced.traceId, traced.spanId, traced.parentSpanId, request.method, route ?? '', pathOf(request.url), end - reply.elapsedTime, end, reply.statusCode);
    },
  };
}
