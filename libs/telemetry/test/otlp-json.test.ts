import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import * as core from '@opentelemetry/core';
import * as resources from '@opentelemetry/resources';
import * as tracing from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { type EncodableSpan, type EncodedSpans, encodeRequest, encodeServerSpan, encodeSpan } from '../src/otlp-json.js';

/** Finished spans of every shape the encoder handles, from two scopes of one resource. */
function finishedSpans(): tracing.ReadableSpan[] {
  const memory = new tracing.InMemorySpanExporter();
  const provider = new tracing.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': 'meridian-test', 'service.instance.id': '1@host', 'process.pid': 42 }),
    spanProcessors: [new tracing.SimpleSpanProcessor({ exporter: memory })],
  });
  const http = provider.getTracer('meridian-http', '1.2.3');
  const pg = provider.getTracer('pg');
  // A caller's sampled context from another process, with a trace state.
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new core.TraceState('vendor=value'),
  });
  const server = http.startSpan('GET /v1/signals', {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': '/v1/signals', 'http.response.status_code': 200, ratio: 0.25, cached: true, tags: ['a', 'b'], sizes: [1, 2] },
    links: [{ context: { traceId: '1af7651916cd43dd8448eb211c80319c', spanId: 'c7ad6b7169203331', traceFlags: TraceFlags.NONE }, attributes: { why: 'batch' } }],
  }, remote);
  server.addEvent('cache miss', { key: 'SPX' });
  context.with(trace.setSpan(remote, server), () => {
    const query = pg.startSpan('SELECT bars', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, trace.setSpan(ROOT_CONTEXT, server));
    query.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
    query.end();
  });
  server.end();
  http.startSpan('root without parent').end();
  // Text that JSON must escape, and times whose nanoseconds need leading zeros.
  const odd = http.startSpan('GET /v1/"quoted" ✓', { startTime: [1_700_000_000, 5], attributes: { note: 'line\nbreak "q" \u2028' } });
  odd.addEvent('tick', { at: 1.5 }, [1_700_000_000, 999_999_999]);
  odd.setStatus({ code: SpanStatusCode.ERROR, message: 'said "no"' });
  odd.end([1_700_000_001, 0]);
  return memory.getFinishedSpans();
}

/** What the processor sends for `spans`: each encoded alone, grouped by resource and scope. */
function encodeAsProcessor(spans: tracing.ReadableSpan[]): string {
  const batch: EncodedSpans = new Map();
  for (const span of spans) {
    const scopes = batch.get(span.resource) ?? new Map<tracing.ReadableSpan['instrumentationScope'], string[]>();
    scopes.set(span.instrumentationScope, [...(scopes.get(span.instrumentationScope) ?? []), encodeSpan(span)]);
    batch.set(span.resource, scopes);
  }
  return encodeRequest(batch);
}

describe('OTLP/JSON written span by span', () => {
  it('is what OpenTelemetry’s own JSON serialiser sends for the same spans', () => {
    const spans = finishedSpans();
    expect(spans).toHaveLength(4);
    const ours = JSON.parse(encodeAsProcessor(spans)) as unknown;
    const theirs = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))) as unknown;
    expect(ours).toEqual(theirs);
  });

  it('keeps the values a collector reads: ids, parent, kind, times, attributes, status', () => {
    const [query, server] = finishedSpans();
    const encoded = JSON.parse(encodeSpan(server as tracing.ReadableSpan)) as Record<string, unknown>;
    expect(encoded).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      traceState: 'vendor=value',
      name: 'GET /v1/signals',
      kind: 2,
      // Sampled, with a parent known to be remote.
      flags: 0x301,
    });
    expect(encoded.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: 200 } });
    expect(encoded.attributes).toContainEqual({ key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } });
    expect(JSON.parse(encodeSpan(query as tracing.ReadableSpan))).toMatchObject({ kind: 3, status: { code: 2, message: 'timeout' } });
  });
});

describe('a server span written from its values', () => {
  /** The span the SDK's hooks made for such a request, as encodeSpan takes it. */
  function asSpan(traceId: string, spanId: string, parentSpanId: string, method: string, route: string, path: string, start: number, end: number, statusCode: number): EncodableSpan {
    const attributes: Record<string, string | number> = { 'http.request.method': method, 'url.path': path };
    if (route) attributes['http.route'] = route;
    attributes['http.response.status_code'] = statusCode;
    return {
      name: route ? `${method} ${route}` : method,
      kind: SpanKind.SERVER,
      spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
      parentSpanContext: parentSpanId ? { traceId, spanId: parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true } : undefined,
      startTime: core.hrTime(start),
      endTime: core.hrTime(end),
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      status: { code: statusCode >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
      links: [],
      droppedLinksCount: 0,
    };
  }

  const now = performance.now();
  // A reading 5 ns into a whole second of the Unix clock: nanoseconds that need leading zeros.
  const secondStart = Math.ceil(performance.timeOrigin / 1000) * 1000 - performance.timeOrigin + 0.000_005;
  it.each([
    ['a root with a route', '', 'GET', '/v1/signals', '/v1/signals', now, now + 2.5, 200],
    ['a caller\'s child without a route, failed', 'b7ad6b7169203331', 'POST', '', '/nowhere', now, now + 0.001, 503],
    ['text JSON must escape', '', 'GET', '/v1/"quoted"/:id', '/v1/"quoted"/\u2028 ✓\n', now, now + 1000, 404],
    ['nanoseconds with leading zeros', 'b7ad6b7169203331', 'DELETE', '/v1/jobs/:id', '/v1/jobs/1', secondStart, secondStart + 0.001, 204],
  ] as const)('is the text encodeSpan writes: %s', (_case, parent, method, route, path, start, end, status) => {
    const args = ['0af7651916cd43dd8448eb211c80319c', '00f067aa0ba902b7', parent, method, route, path, start, end, status] as const;
    const text = encodeServerSpan(...args);
    expect(text).toBe(encodeSpan(asSpan(...args)));
    const [seconds, nanoseconds] = core.hrTime(start);
    expect(JSON.parse(text)).toMatchObject({ name: route ? `${method} ${route}` : method, kind: 2, startTimeUnixNano: String(BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)) });
  });
});
