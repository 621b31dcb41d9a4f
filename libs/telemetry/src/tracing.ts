import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, type ContextManager, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, getNumberFromEnv, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { detectResources, envDetector, hostDetector, processDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { type SpanLimits, TracerProvider } from '@opentelemetry/sdk-trace';
import { tracingEnabled } from './enabled.js';
import { batchLimitsFromEnv, EncodingSpanProcessor } from './encoding-span-processor.js';
import { ExportWorker } from './export-worker.js';
import { samplingFromEnv } from './sampler.js';
import { ScopedContextManager } from './scoped-context.js';
import { registerServerSpanSink } from './server-span-sink.js';
import { HexIdGenerator } from './trace-ids.js';

/** The app whose bundle this process runs: dist/apps/signals/telemetry.js → signals. */
const appOf = (registerUrl: string): string => basename(dirname(fileURLToPath(registerUrl)));

/** Whether the process runs an app's queue workers (dist/apps/signals/worker.js) rather than its web server. */
const runsWorkers = (entry = process.argv[1] ?? ''): boolean => basename(entry).startsWith('worker');

/**
 * The process's service name: OTEL_SERVICE_NAME when set, else from the bundle it runs
 * (dist/apps/signals/worker.js → meridian-signals-worker).
 */
export function serviceName(entry = process.argv[1] ?? '', registerUrl = import.meta.url): string {
  if (process.env.OTEL_SERVICE_NAME) return process.env.OTEL_SERVICE_NAME;
  const app = appOf(registerUrl);
  return runsWorkers(entry) ? `meridian-${app}-worker` : `meridian-${app}`;
}

/**
 * The SDK's resource, made here rather than by the SDK so that the server spans (recorded outside
 * the SDK) carry the very same one: these attributes, then what the environment, process and host
 * detectors find, then the service name.
 */
function processResource(): Resource {
  const own = resourceFromAttributes({
    'service.version': process.env.npm_package_version ?? '0.1.0',
    'deployment.environment.name': process.env.NODE_ENV ?? 'development',
    'service.instance.id': `${process.pid}@${process.env.HOSTNAME ?? 'localhost'}`,
  });
  const detected = detectResources({ detectors: [envDetector, processDetector, hostDetector] });
  return own.merge(detected).merge(resourceFromAttributes({ 'service.name': serviceName() }));
}

/** The span limits the OTEL_SPAN_*_LIMIT and OTEL_ATTRIBUTE_*_LIMIT variables set; the SDK's defaults for the rest. */
export const spanLimitsFromEnv = (): SpanLimits => ({
  attributeCountLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_COUNT_LIMIT'),
  attributeValueLengthLimit: getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? getNumberFromEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
  eventCountLimit: getNumberFromEnv('OTEL_SPAN_EVENT_COUNT_LIMIT'),
  linkCountLimit: getNumberFromEnv('OTEL_SPAN_LINK_COUNT_LIMIT'),
});

/**
 * Starts OpenTelemetry's tracing SDK when tracing is enabled (enabled.ts): spans written as
 * OTLP/JSON as they end and sent in batches from a worker thread (encoding-span-processor.ts), the
 * sampler OTEL_TRACES_SAMPLER(_ARG) names, W3C trace context and baggage as the propagators, and
 * the pg and ioredis instrumentations. Server spans come from Fastify hooks (server-spans.ts),
 * which find how to sample and the processor through registerServerSpanSink, and the gateway sends
 * `traceparent` itself: the generic http and undici instrumentations and @fastify/otel (a span per
 * hook) cost more per request than a whole cached read. Web servers carry contexts across awaits
 * only in their route handlers, with promise hooks (scoped-context.ts); queue workers, whose jobs
 * run long, keep AsyncLocalStorage. Otherwise nothing runs.
 *
 * Why the tracer provider rather than @opentelemetry/sdk-node's NodeSDK, which does the same
 * steps: NodeSDK loads every exporter it could be configured with (gRPC, protobuf, Zipkin,
 * Prometheus, metrics and logs SDKs) whether used or not, which made each traced process start
 * about 0.4 s later and hold about 7 MB more heap (BENCHMARKS.md, tracing, session 19).
 */
export function startTracing(): TracerProvider | undefined {
  if (!tracingEnabled()) return undefined;
  const resource = processResource();
  const { sampler, followsCaller, rootBound } = samplingFromEnv();
  const ids = new HexIdGenerator();
  // The worker's script is built beside telemetry.js (tools/build/bundle.ts).
  const scoped = runsWorkers() ? undefined : new ScopedContextManager();
  const processor = new EncodingSpanProcessor(new ExportWorker(new URL('./otlp-export-worker.js', import.meta.url)), batchLimitsFromEnv(), { resource, scope: { name: 'meridian-http' } });
  const provider = new TracerProvider({ resource, sampler, idGenerator: ids, spanLimits: spanLimitsFromEnv(), spanProcessors: [processor] });
  const contexts: ContextManager = scoped ?? new AsyncLocalStorageContextManager();
  context.setGlobalContextManager(contexts.enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  if (scoped) registerServerSpanSink({ followsCaller, rootBound, ids, recorder: processor, contexts: scoped });
  // Spans still buffered are sent before the process ends.
  const shutdown = () => void provider.shutdown().catch(() => undefined);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, shutdown);
  process.once('beforeExit', shutdown);
  return provider;
}
