import { type Attributes, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { core } from '@opentelemetry/sdk-node';
import { type EncodableSpan, encodeSpan } from './otlp-json.js';

/**
 * Server spans waiting for their batch, kept as columns of the strings and numbers each request
 * already had, and written as OTLP/JSON only when the batch is sent.
 *
 * Why not a span object per request: a process that makes the SDK's span objects, attributes and
 * JSON for one request in ten runs all its requests slower, sampled or not, by more than those
 * spans' own work (BENCHMARKS.md, tracing, session 14). Nothing here runs on a request's path
 * but `add`, a few array stores.
 */
export class ServerSpanRecords {
  private traceIds: string[] = [];
  private spanIds: string[] = [];
  private parentSpanIds: string[] = [];
  private methods: string[] = [];
  private routes: string[] = [];
  private paths: string[] = [];
  private starts: number[] = [];
  private ends: number[] = [];
  private statusCodes: number[] = [];

  get size(): number {
    return this.traceIds.length;
  }

  add(traceId: string, spanId: string, parentSpanId: string, method: string, route: string, path: string, start: number, end: number, statusCode: number): void {
    this.traceIds.push(traceId);
    this.spanIds.push(spanId);
    this.parentSpanIds.push(parentSpanId);
    this.methods.push(method);
    this.routes.push(route);
    this.paths.push(path);
    this.starts.push(start);
    this.ends.push(end);
    this.statusCodes.push(statusCode);
  }

  /** Every span added since the last call, as OTLP/JSON span texts; the records start empty again. */
  drainEncoded(): string[] {
    const encoded: string[] = [];
    for (let i = 0; i < this.size; i++) encoded.push(encodeSpan(this.span(i)));
    for (const column of [this.traceIds, this.spanIds, this.parentSpanIds, this.methods, this.routes, this.paths, this.starts, this.ends, this.statusCodes]) column.length = 0;
    return encoded;
  }

  /** Record `i` as the span the SDK's hooks used to make for the same request. */
  private span(i: number): EncodableSpan {
    const traceId = this.traceIds[i] as string;
    const spanId = this.spanIds[i] as string;
    const parentSpanId = this.parentSpanIds[i] as string;
    const method = this.methods[i] as string;
    const route = this.routes[i] as string;
    const statusCode = this.statusCodes[i] as number;
    const attributes: Attributes = { 'http.request.method': method, 'url.path': this.paths[i] as string };
    if (route) attributes['http.route'] = route;
    attributes['http.response.status_code'] = statusCode;
    return {
      name: route ? `${method} ${route}` : method,
      kind: SpanKind.SERVER,
      spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
      // The caller's span is in another process: remote.
      parentSpanContext: parentSpanId ? { traceId, spanId: parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true } : undefined,
      startTime: core.hrTime(this.starts[i]),
      endTime: core.hrTime(this.ends[i]),
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      status: statusCode >= 500 ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.UNSET },
      links: [],
      droppedLinksCount: 0,
    };
  }
}
