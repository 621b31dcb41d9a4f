import { type Span, trace, TraceFlags } from '@opentelemetry/api';

export interface TraceIds {
  trace_id: string;
  span_id: string;
}

const TRACE_IDS = Symbol('meridian.traceIds');
type Tagged = { [TRACE_IDS]?: TraceIds };

/** A span's ids when it is sampled; undefined for no span and for unsampled spans. */
export function sampledTraceIds(span: Span | undefined | null): TraceIds | undefined {
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // Unsampled spans are not exported: a trace id nobody can look up would only mislead.
  return traceFlags & TraceFlags.SAMPLED ? { trace_id: traceId, span_id: spanId } : undefined;
}

/**
 * Makes the lines of `logger` carry `ids` (through logTraceIds), whatever context is active when
 * they are written. Meant for the logger Fastify makes for each request, so nothing is allocated.
 */
export function tagTraceIds(logger: object, ids: TraceIds): void {
  (logger as Tagged)[TRACE_IDS] = ids;
}

/**
 * pino's `mixin`: the trace ids of the request a logger belongs to (tagTraceIds), else those of
 * the active span, so every line written inside a sampled span names its trace.
 */
export function logTraceIds(_merge: object, _level: number, logger: object): Partial<TraceIds> {
  const ids = (logger as Tagged)[TRACE_IDS] ?? sampledTraceIds(trace.getActiveSpan());
  // pino merges into the object returned: never hand it the tagged one.
  return ids ? { trace_id: ids.trace_id, span_id: ids.span_id } : {};
}
