import { encodeServerSpan } from './otlp-json.js';

/**
 * Server spans waiting for their batch, kept as columns of the strings and numbers each request
 * already had, and written as OTLP/JSON only when the batch is sent (encodeServerSpan).
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
    for (let i = 0; i < this.size; i++) {
      encoded.push(encodeServerSpan(this.traceIds[i] as string, this.spanIds[i] as string, this.parentSpanIds[i] as string, this.methods[i] as string, this.routes[i] as string, this.paths[i] as string, this.starts[i] as number, this.ends[i] as number, this.statusCodes[i] as number));
    }
    for (const column of [this.traceIds, this.spanIds, this.parentSpanIds, this.methods, this.routes, this.paths, this.starts, this.ends, this.statusCodes]) column.length = 0;
    return encoded;
  }
}
