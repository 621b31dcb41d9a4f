import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK, resources } from '@opentelemetry/sdk-node';
import { batchLimitsFromEnv, EncodingSpanProcessor } from './encoding-span-processor.js';
import { ExportWorker } from './export-worker.js';
import { followsCaller, samplerFromEnv } from './sampler.js';
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
function processResource(): resources.Resource {
  const own = resources.resourceFromAttributes({
    'service.version': process.env.npm_package_version ?? '0.1.0',
    'deployment.environment.name': process.env.NODE_ENV ?? 'development',
    'service.instance.id': `${process.pid}@${process.env.HOSTNAME ?? 'localhost'}`,
  });
  const detected = resources.detectResources({ detectors: [resources.envDetector, resources.processDetector, resources.hostDetector] });
  return own.merge(detected).merge(resources.resourceFromAttributes({ 'service.name': serviceName() }));
}

/**
 * Starts the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans written as OTLP/JSON
 * as they end and sent in batches from a worker thread (encoding-span-processor.ts), the sampler
 * OTEL_TRACES_SAMPLER(_ARG) names, and the pg and ioredis instrumentations. Server spans come from
 * Fastify hooks (server-spans.ts), which find the sampler and the processor through
 * registerServerSpanSink, and the gateway sends `traceparent` itself: the generic http and undici
 * instrumentations and @fastify/otel (a span per hook) cost more per request than a whole cached
 * read. Web servers carry contexts across awaits only in their route handlers, with promise
 * hooks (scoped-context.ts); queue workers, whose jobs run long, keep the SDK's AsyncLocalStorage
 * manager. Without an endpoint nothing runs.
 */
export function startTracing(): NodeSDK | undefined {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  // Metrics are scraped from GET /metrics and logs go to stdout: only traces go over OTLP.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const resource = processResource();
  const sampler = samplerFromEnv();
  const ids = new HexIdGenerator();
  // The worker's script is built beside telemetry.js (tools/build/bundle.ts).
  const contexts = runsWorkers() ? undefined : new ScopedContextManager();
  const processor = new EncodingSpanProcessor(new ExportWorker(new URL('./otlp-export-worker.js', import.meta.url)), batchLimitsFromEnv(), { resource, scope: { name: 'meridian-http' } });
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    sampler,
    idGenerator: ids,
    spanProcessors: [processor],
    ...(contexts ? { contextManager: contexts } : {}),
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  if (contexts) registerServerSpanSink({ sampler, followsCaller: followsCaller(sampler), ids, recorder: processor, contexts });
  // Spans still buffered are sent before the process ends.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void sdk.shutdown().catch(() => undefined));
  process.once('beforeExit', () => void sdk.shutdown().catch(() => undefined));
  return sdk;
}
