import { Writable } from 'node:stream';
import { context, createContextKey, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, ParentBasedSampler, type ReadableSpan, SimpleSpanProcessor, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { injectTraceContext, logTraceIds, requestTraceIds, traceRequests } from '../src/index.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const EXTRA = createContextKey('test extra');
const exporter = new InMemorySpanExporter();
// Sampling by ratio for the trace ids this test sends; everything else is sampled.
const HALF = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) });

/** The SDK as tracing.ts registers it, with the spans kept in memory. */
function register(sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) })): NodeTracerProvider {
  trace.disable();
  context.disable();
  propagation.disable();
  const provider = new NodeTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return provider;
}

type SpanIds = { traceId: string; spanId: string; traceFlags: number } | null;
interface Seen {
  ids: { trace_id: string; span_id: string } | null;
  active: SpanIds;
  afterTimer: SpanIds;
  extended: unknown;
  outgoing: Record<string, string>;
}

const idsOf = (spanContext: { traceId: string; spanId: string; traceFlags: number } | undefined): SpanIds =>
  spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId, traceFlags: spanContext.traceFlags } : null;

/** An app whose traced route reports what the request knows of its trace, before and after a timer. */
async function tracedApp(lines: Record<string, unknown>[], scopeHandlers = true): Promise<FastifyInstance> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const app = Fastify({ logger: { level: 'info', mixin: logTraceIds, stream } });
  // As createService calls the steps, from hooks of its own.
  const tracing = traceRequests(app, { scopeHandlers });
  app.addHook('onRequest', (request, reply, done) => {
    tracing.start(request, reply);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    tracing.end(request, reply, request.routeOptions.url);
    done();
  });
  app.route({
    method: ['GET', 'POST'],
    url: '/work/:id',
    handler: async (request, reply) => {
      const active = idsOf(trace.getSpanContext(context.active()));
      // A timer, not only an await: the context must follow callbacks too.
      await tick();
      request.log.info('after a timer');
      const afterTimer = idsOf(trace.getSpanContext(context.active()));
      const outgoing: Record<string, string> = {};
      injectTraceContext(request, outgoing);
      const seen: Seen = { ids: requestTraceIds(request) ?? null, active, afterTimer, extended: context.active().setValue(EXTRA, 'extra').getValue(EXTRA), outgoing };
      return reply.code((request.params as { id: string }).id === 'fail' ? 503 : 200).send(seen);
    },
  });
  app.get('/health/live', async () => ({ ok: true }));
  await app.ready();
  return app;
}

const serverSpans = (): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);

describe('server spans', () => {
  const lines: Record<string, unknown>[] = [];
  let app: FastifyInstance;

  beforeAll(async () => {
    register();
    app = await tracedApp(lines);
  });

  afterEach(() => {
    exporter.reset();
    lines.length = 0;
  });

  afterAll(async () => {
    await app.close();
  });

  it('records a sampled root request once, names its trace in X-Trace-Id and its log lines, and hands its span on', async () => {
    const response = await app.inject({ url: '/work/7?x=1' });
    const seen = response.json<Seen>();
    const spans = serverSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans as [ReadableSpan];
    const { traceId, spanId } = span.spanContext();
    expect(span.name).toBe('GET /work/:id');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.route': '/work/:id', 'url.path': '/work/7', 'http.response.status_code': 200 });
    expect(response.headers['x-trace-id']).toBe(traceId);
    expect(seen.ids).toEqual({ trace_id: traceId, span_id: spanId });
    expect(seen.active).toEqual({ traceId, spanId, traceFlags: 1 });
    expect(seen.afterTimer).toEqual(seen.active);
    expect(seen.extended).toBe('extra');
    expect(seen.outgoing.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(lines.find((line) => line.msg === 'after a timer')).toMatchObject(seen.ids ?? {});
  });

  it("continues a sampled caller's trace as a child of the caller's span, and marks a 5xx as an error", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await app.inject({ url: '/work/fail', headers: { traceparent, tracestate: 'vendor=1' } });
    expect(response.statusCode).toBe(503);
    const [span] = serverSpans() as [ReadableSpan];
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span.attributes['http.response.status_code']).toBe(503);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(response.headers['x-trace-id']).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(response.json<Seen>().outgoing.tracestate).toBe('vendor=1');
  });

  it('follows an unsampled caller: no span, no ids, and what a write queues says so', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const response = await app.inject({ method: 'POST', url: '/work/7', headers: { traceparent } });
    const seen = response.json<Seen>();
    expect(serverSpans()).toEqual([]);
    expect(response.headers['x-trace-id']).toBeUndefined();
    expect(seen.ids).toBeNull();
    // What the handler queues carries the caller's trace and decision, however many callbacks down.
    expect(seen.active).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', traceFlags: 0 });
    expect(seen.afterTimer).toEqual(seen.active);
    expect(seen.outgoing.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    expect(lines.find((line) => line.msg === 'after a timer')).not.toHaveProperty('trace_id');
  });

  it('runs an unsampled read outside any context, yet passes the decision on to what it calls', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const seen = (await app.inject({ url: '/work/7', headers: { traceparent } })).json<Seen>();
    expect(serverSpans()).toEqual([]);
    expect({ active: seen.active, afterTimer: seen.afterTimer }).toEqual({ active: null, afterTimer: null });
    expect(seen.outgoing.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  });

  it('starts a trace of its own when the caller sends a malformed traceparent', async () => {
    await app.inject({ url: '/work/7', headers: { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' } });
    const [span] = serverSpans() as [ReadableSpan];
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('leaves health checks untraced', async () => {
    const response = await app.inject({ url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(serverSpans()).toEqual([]);
    expect(response.headers['x-trace-id']).toBeUndefined();
  });
});

describe('server spans with handlers left unscoped (the gateway)', () => {
  it('enters no context, yet the request knows its ids and what to send on', async () => {
    register();
    exporter.reset();
    const lines: Record<string, unknown>[] = [];
    const app = await tracedApp(lines, false);
    const seen = (await app.inject({ url: '/work/1' })).json<Seen>();
    await app.close();
    const [span] = serverSpans() as [ReadableSpan];
    const { traceId, spanId } = span.spanContext();
    expect({ ids: seen.ids, active: seen.active, afterTimer: seen.afterTimer }).toEqual({ ids: { trace_id: traceId, span_id: spanId }, active: null, afterTimer: null });
    expect(seen.outgoing.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(lines.find((line) => line.msg === 'after a timer')).toMatchObject({ trace_id: traceId, span_id: spanId });
  });
});

describe('server spans at a ratio', () => {
  it("samples the root requests the SDK's sampler samples, and only those", async () => {
    register(HALF);
    exporter.reset();
    const app = await tracedApp([]);
    const traces: { id: string; sampled: boolean; header: string | undefined }[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await app.inject({ url: `/work/${i}` });
      const { traceparent = '' } = response.json<Seen>().outgoing;
      traces.push({ id: traceparent.slice(3, 35), sampled: traceparent.endsWith('-01'), header: response.headers['x-trace-id'] as string | undefined });
    }
    await app.close();
    expect(serverSpans().map((span) => span.spanContext().traceId).sort()).toEqual(traces.filter((t) => t.sampled).map((t) => t.id).sort());
    for (const t of traces) expect(t.header).toBe(t.sampled ? t.id : undefined);
    // 40 random trace ids at one half: both outcomes occur (failing odds 2 in 10^12).
    expect(new Set(traces.map((t) => t.sampled)).size).toBe(2);
  });
});
