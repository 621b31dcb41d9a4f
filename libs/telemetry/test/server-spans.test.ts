import { Writable } from 'node:stream';
import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import * as tracing from '@opentelemetry/sdk-trace';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logTraceIds, outgoingTraceparent, requestTraceIds, traceRequests } from '../src/index.js';
import { samplingFromEnv } from '../src/sampler.js';
import { ScopedContextManager } from '../src/scoped-context.js';
import type { ServerSpanRecorder, ServerSpanSink } from '../src/server-span-sink.js';
import { HexIdGenerator } from '../src/trace-ids.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const EXTRA = createContextKey('test extra');

interface Recorded {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  method: string;
  route: string;
  path: string;
  start: number;
  end: number;
  statusCode: number;
}

/** A recorder that keeps what it is given, in place of the span processor. */
function collector(): ServerSpanRecorder & { spans: Recorded[] } {
  const spans: Recorded[] = [];
  return {
    spans,
    recordServerSpan: (traceId, spanId, parentSpanId, method, route, path, start, end, statusCode) =>
      void spans.push({ traceId, spanId, parentSpanId, method, route, path, start, end, statusCode }),
  };
}

// The process's context manager, as tracing.ts makes it for a web server.
const contexts = new ScopedContextManager();
beforeAll(() => void context.setGlobalContextManager(contexts));
afterAll(() => void context.disable());

/** What tracing.ts registers, with the sampling `env` names and `recorder`. */
function sinkFor(env: NodeJS.ProcessEnv, recorder: ServerSpanRecorder): ServerSpanSink {
  const { followsCaller, rootBound } = samplingFromEnv(env);
  return { followsCaller, rootBound, ids: new HexIdGenerator(), recorder, contexts };
}

type SpanIds = { traceId: string; spanId: string; traceFlags: number; isRemote?: boolean } | null;
interface Seen {
  ids: { trace_id: string; span_id: string } | null;
  active: SpanIds;
  afterAwait: SpanIds;
  /** The active context with a value added, and with the span taken out. */
  extended: { span: SpanIds; value: unknown; withoutSpan: SpanIds };
  outgoing: string | null;
}

/** An app whose traced route reports what the request knows of its trace, before and after an await. */
async function tracedApp(sink: ServerSpanSink, lines: Record<string, unknown>[], scopeHandlers = true): Promise<FastifyInstance> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const app = Fastify({ logger: { level: 'info', mixin: logTraceIds, stream } });
  // As createService calls the steps, from hooks of its own.
  const tracing = traceRequests(app, { scopeHandlers, sink });
  app.addHook('onRequest', (request, reply, done) => {
    tracing.start(request, reply);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    tracing.end(request, reply, request.routeOptions.url);
    done();
  });
  app.route({ method: ['GET', 'POST'], url: '/work/:id', handler: async (request, reply) => {
    const active = trace.getSpanContext(context.active()) ?? null;
    await tick();
    request.log.info('after an await');
    const afterAwait = trace.getSpanContext(context.active()) ?? null;
    const added = context.active().setValue(EXTRA, 'extra');
    const extended = { span: trace.getSpanContext(added) ?? null, value: added.getValue(EXTRA) ?? null, withoutSpan: trace.getSpanContext(trace.deleteSpan(context.active())) ?? null };
    const seen: Seen = { ids: requestTraceIds(request) ?? null, active, afterAwait, extended, outgoing: outgoingTraceparent(request, sink) ?? null };
    return reply.code((request.params as { id: string }).id === 'fail' ? 503 : 200).send(seen);
  } });
  app.get('/health/live', async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('server spans', () => {
  const recorder = collector();
  const lines: Record<string, unknown>[] = [];
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await tracedApp(sinkFor({}, recorder), lines);
  });

  afterEach(() => {
    recorder.spans.length = 0;
    lines.length = 0;
  });

  afterAll(async () => {
    await app.close();
  });

  it('records a sampled root request once, names its trace in X-Trace-Id and its log lines, and hands its span on', async () => {
    const response = await app.inject({ url: '/work/7?x=1' });
    const seen = response.json<Seen>();
    expect(recorder.spans).toHaveLength(1);
    const [span] = recorder.spans as [Recorded];
    expect(span).toMatchObject({ parentSpanId: '', method: 'GET', route: '/work/:id', path: '/work/7', statusCode: 200 });
    expect(span.end).toBeGreaterThanOrEqual(span.start);
    expect(response.headers['x-trace-id']).toBe(span.traceId);
    expect(seen.ids).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    expect(seen.active).toMatchObject({ traceId: span.traceId, spanId: span.spanId, traceFlags: 1, isRemote: false });
    expect(seen.afterAwait).toEqual(seen.active);
    expect(seen.extended).toEqual({ span: seen.active, value: 'extra', withoutSpan: null });
    expect(seen.outgoing).toBe(`00-${span.traceId}-${span.spanId}-01`);
    expect(lines.find((line) => line.msg === 'after an await')).toMatchObject(seen.ids ?? {});
  });

  it("continues a sampled caller's trace as a child of the caller's span, and records the status", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await app.inject({ url: '/work/fail', headers: { traceparent } });
    expect(response.statusCode).toBe(503);
    expect(recorder.spans).toEqual([expect.objectContaining({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331', statusCode: 503 })]);
    expect(response.headers['x-trace-id']).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it("follows an unsampled caller: no span, no ids, and calls it makes say so", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const response = await app.inject({ method: 'POST', url: '/work/7', headers: { traceparent } });
    const seen = response.json<Seen>();
    expect(recorder.spans).toEqual([]);
    expect(response.headers['x-trace-id']).toBeUndefined();
    expect(seen.ids).toBeNull();
    // What the handler queues carries the caller's decision, however many awaits down.
    expect(seen.active).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0, isRemote: true });
    expect(seen.afterAwait).toEqual(seen.active);
    expect(seen.extended).toEqual({ span: seen.active, value: 'extra', withoutSpan: null });
    expect(seen.outgoing).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    expect(lines.find((line) => line.msg === 'after an await')).not.toHaveProperty('trace_id');
  });

  it("runs an unsampled read without a context: it records nothing and queues nothing", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const seen = (await app.inject({ url: '/work/7', headers: { traceparent } })).json<Seen>();
    expect(recorder.spans).toEqual([]);
    expect({ active: seen.active, afterAwait: seen.afterAwait }).toEqual({ active: null, afterAwait: null });
    expect(seen.outgoing).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  });

  it('starts a trace of its own when the caller sends a malformed traceparent', async () => {
    await app.inject({ url: '/work/7', headers: { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' } });
    expect(recorder.spans).toEqual([expect.objectContaining({ parentSpanId: '' })]);
    expect(recorder.spans[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('leaves health checks untraced', async () => {
    const response = await app.inject({ url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(recorder.spans).toEqual([]);
    expect(response.headers['x-trace-id']).toBeUndefined();
  });
});

describe('server spans with handlers left unscoped (the gateway)', () => {
  it('enters no context, yet the request knows its ids and what to send on', async () => {
    const recorder = collector();
    const lines: Record<string, unknown>[] = [];
    const app = await tracedApp(sinkFor({}, recorder), lines, false);
    const sampled = (await app.inject({ url: '/work/1' })).json<Seen>();
    const unsampled = (await app.inject({ url: '/work/2', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' } })).json<Seen>();
    await app.close();
    const [span] = recorder.spans as [Recorded];
    expect(recorder.spans).toHaveLength(1);
    expect(sampled).toEqual({ ids: { trace_id: span.traceId, span_id: span.spanId }, active: null, afterAwait: null, extended: { span: null, value: 'extra', withoutSpan: null }, outgoing: `00-${span.traceId}-${span.spanId}-01` });
    expect(lines.find((line) => line.msg === 'after an await')).toMatchObject({ trace_id: span.traceId, span_id: span.spanId });
    expect(unsampled.ids).toBeNull();
    expect(unsampled.outgoing).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  });
});

describe('server spans at a ratio', () => {
  it('samples the root requests the SDK would sample, by trace id', async () => {
    const recorder = collector();
    const app = await tracedApp(sinkFor({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }, recorder), []);
    const reference = new tracing.TraceIdRatioBasedSampler(0.5);
    const traces: { id: string; sampled: boolean }[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await app.inject({ url: `/work/${i}` });
      const outgoing = response.json<Seen>().outgoing ?? '';
      traces.push({ id: outgoing.slice(3, 35), sampled: outgoing.endsWith('-01') });
    }
    await app.close();
    for (const { id, sampled } of traces) {
      const expected = reference.shouldSample(ROOT_CONTEXT, id).decision === tracing.SamplingDecision.RECORD_AND_SAMPLED;
      expect(sampled, id).toBe(expected);
    }
    expect(recorder.spans.map((span) => span.traceId).sort()).toEqual(traces.filter((t) => t.sampled).map((t) => t.id).sort());
    // 40 random trace ids at one half: both outcomes occur (failing odds 2 in 10^12).
    expect(new Set(traces.map((t) => t.sampled)).size).toBe(2);
  });

  it("decides by ratio even with a caller when the sampler is not parent-based", async () => {
    const recorder = collector();
    const app = await tracedApp(sinkFor({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, recorder), []);
    const response = await app.inject({ url: '/work/1', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    await app.close();
    expect(response.headers['x-trace-id']).toBeUndefined();
    expect(recorder.spans).toEqual([]);
  });

  it("decides a caller's trace by its id's key when the sampler is not parent-based, as the SDK's sampler does", async () => {
    const recorder = collector();
    const app = await tracedApp(sinkFor({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }, recorder), []);
    const reference = new tracing.TraceIdRatioBasedSampler(0.5);
    const ids = new HexIdGenerator();
    const decisions: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      const traceId = ids.generateTraceId();
      // Unsampled callers: only the ratio can sample these.
      const response = await app.inject({ url: '/work/1', headers: { traceparent: `00-${traceId}-b7ad6b7169203331-00` } });
      const expected = reference.shouldSample(ROOT_CONTEXT, traceId).decision === tracing.SamplingDecision.RECORD_AND_SAMPLED;
      expect(response.headers['x-trace-id'] !== undefined, traceId).toBe(expected);
      decisions.push(expected);
    }
    await app.close();
    expect(recorder.spans.every((span) => span.parentSpanId === 'b7ad6b7169203331')).toBe(true);
    expect(recorder.spans).toHaveLength(decisions.filter(Boolean).length);
    // Both outcomes occur (failing odds 2 in 10^12).
    expect(new Set(decisions).size).toBe(2);
  });

  it('refuses to start without the tracing SDK, saying how to start it', () => {
    expect(() => traceRequests(Fastify())).toThrow(/--import \.\/telemetry\.js/);
  });
});
