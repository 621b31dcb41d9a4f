export { Metrics, type CacheCounts, type PoolCounts, type QueryCounts } from './metrics.js';
export { logTraceIds, type TraceIds } from './context.js';
export { tracingEnabled } from './enabled.js';
export { injectTraceContext, requestTraceIds, traceRequests, type RequestTracing } from './server-spans.js';
