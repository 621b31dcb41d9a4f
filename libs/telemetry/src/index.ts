export { Metrics, type CacheCounts, type PoolCounts, type QueryCounts } from './metrics.js';
export { parsePrometheusText, sampleValue, type Sample } from './prometheus-text.js';
export { logTraceIds, type TraceIds } from './context.js';
export { tracingEnabled } from './enabled.js';
export { outgoingTraceparent, requestTraceIds, traceRequests } from './server-spans.js';
export { serveMetrics } from './serve.js';
