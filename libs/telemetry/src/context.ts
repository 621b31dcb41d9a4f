import { trace } from '@opentelemetry/api';

/** The active span's ids for log lines and response headers; empty outside a traced request. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // Unsampled spans are not exported: a trace id nobody can look up would only mislead.
  return traceFlags & 1 ? { trace_id: traceId, span_id: spanId } : undefined;
}

