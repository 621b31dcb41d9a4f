import { Writable } from 'node:stream';
import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { core, tracing } from '@opentelemetry/sdk-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallStackContextManager } from '../src/call-stack-context.js';
import { logTraceIds, requestContext, requestTraceIds, traceRequests } from '../src/index.js';

const KEY = createContextKey('test');
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CallStackContextManager', () => {
  const manager = new CallStackContextManager();
  const marked = ROOT_CONTEXT.setValue(KEY, 'marked');

  it('makes a context active for the synchronous extent of with(), nested and after a throw', () => {
    const inner = marked.setValue(KEY, 'inner');
    expect(manager.with(marked, () => manager.with(inner, () => manager.active().getValue(KEY)))).toBe('inner');
    expect(() => manager.with(marked, () => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('forgets the context across an await, but keeps it in bound callbacks', async () => {
    const seen = await manager.with(marked, async () => {
      const bound = manager.bind(manager.active(), () => manager.active().getValue(KEY));
      await tick();
      return { afterAwait: manager.active().getValue(KEY), bound: bound() };
    });
    expect(seen).toEqual({ afterAwait: undefined, bound: 'marked' });
  });
});

describe('server spans without AsyncLocalStorage', () => {
  const exporter = new tracing.InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let app: FastifyInstance;

  beforeAll(async () => {
    context.setGlobalContextManager(new CallStackContextManager());
    propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] }));
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    app = Fastify({ logger: { level: 'info', mixin: logTraceIds, stream } });
    traceRequests(app);
    app.get('/work', async (request) => {
      // After an await nothing is active any more: what the request needs comes from the request.
      await tick();
      request.log.info('after an await');
      return { active: trace.getActiveSpan() !== undefined, ids: requestTraceIds(request) ?? null, contextSpan: trace.getSpanContext(requestContext(request)) ?? null };
    });
    await app.ready();
  });

  afterEach(() => {
    exporter.reset();
    lines.length = 0;
  });

  afterAll(async () => {
    await app.close();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('keeps the span on the request and its ids on the request log', async () => {
    const response = await app.inject({ url: '/work' });
    const body = response.json<{ active: boolean; ids: { trace_id: string; span_id: string }; contextSpan: { spanId: string } }>();
    expect(body.active).toBe(false);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('GET /work');
    expect(body.ids).toEqual({ trace_id: span?.spanContext().traceId, span_id: span?.spanContext().spanId });
    expect(body.contextSpan.spanId).toBe(span?.spanContext().spanId);
    expect(lines.find((line) => line.msg === 'after an await')).toMatchObject(body.ids);
  });

  it("carries an unsampled caller's context without a span or ids", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const response = await app.inject({ url: '/work', headers: { traceparent } });
    const body = response.json<{ ids: null; contextSpan: { traceId: string; traceFlags: number } }>();
    expect(body.ids).toBeNull();
    expect(body.contextSpan).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', traceFlags: 0 });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(lines.find((line) => line.msg === 'after an await')).not.toHaveProperty('trace_id');
  });
});
