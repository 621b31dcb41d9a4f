/**
 * Loaded with `node --import ./telemetry.js main.js`, before anything else: the ESM hook must be
 * in place before the first instrumented module (pg, ioredis) is imported.
 */
import { register } from 'node:module';

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  // Only the modules the SDK instruments (tracing.ts) go through the hook; by default it would
  // put every module the bundle imports (fastify, undici, …) behind a wrapper module for nothing.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['pg', 'pg-pool', 'ioredis'] } });
  const { startTracing } = await import('./tracing.js');
  startTracing();
}
