/**
 * Loaded with `node --import ./telemetry.js main.js`, before anything else: the ESM hook must be
 * in place before the first instrumented module (fastify, pg, ioredis, undici) is imported.
 */
import { register } from 'node:module';

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('./tracing.js');
  startTracing();
}
