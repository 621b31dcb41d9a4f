import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { detectResources, envDetector, hostDetector, processDetector, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { tracingEnabled } from './enabled.js';

/** The app whose bundle this process runs: dist/apps/signals/telemetry.js → signals. */
const appOf = (registerUrl: string): string => basename(dirname(fileURLToPath(registerUrl)));

/**
 * The process's service name: OTEL_SERVICE_NAME when set, else from the bundle it runs
 * (dist/apps/signals/worker.js → meridian-signals-worker).
 */
export function serviceName(entry = process.argv[1] ?? '', registerUrl = import.meta.url): string {
  if (process.env.OTEL_SERVICE_NAME) return process.env.OTEL_SERVICE_NAME;
  const app = appOf(registerUrl);
  return basename(entry).startsWith('worker') ? `meridian-${app}-worker` : `meridian-${app}`;
}

/** What the environment, process and host detectors find, with Meridian's own attributes and the service name. */
function processResource(): Resource {
  const own = resourceFromAttributes({
    'service.version': process.env.npm_package_version ?? '0.1.0',
    'deployment.environment.name': process.env.NODE_ENV ?? 'development',
    'service.instance.id': `${process.pid}@${process.env.HOSTNAME ?? 'localhost'}`,
  });
  const detected = detectResources({ detectors: [envDetector, processDetector, hostDetector] });
  return own.merge(detected).merge(resourceFromAttributes({ 'service.name': serviceName() }));
}

/**
 * Starts OpenTelemetry's tracing SDK when tracing is enabled (enabled.ts). Everything is the
 * SDK's, configured the standard way from the environment: the sampler from
 * OTEL_TRACES_SAMPLER(_ARG), span limits from OTEL_SPAN_*, batching from OTEL_BSP_*, the OTLP/HTTP
 * endpoint from OTEL_EXPORTER_OTLP_*. `register()` installs the AsyncLocalStorage context manager
 * and the W3C trace-context and baggage propagators.
 *
 * pg and ioredis are instrumented here, BullMQ through libs/queue (bullmq-otel). Server spans
 * come from the services' own Fastify hooks (server-spans.ts) rather than the http or undici
 * instrumentations or @fastify/otel, which make several spans per request (BENCHMARKS.md,
 * "Tracing").
 */
export function startTracing(): NodeTracerProvider | undefined {
  if (!tracingEnabled()) return undefined;
  const provider = new NodeTracerProvider({
    resource: processResource(),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new PgInstrumentation({ requireParentSpan: true }), new IORedisInstrumentation({ requireParentSpan: true })],
  });
  // Spans still buffered are sent before the process ends.
  const shutdown = () => void provider.shutdown().catch(() => undefined);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, shutdown);
  process.once('beforeExit', shutdown);
  return provider;
}
