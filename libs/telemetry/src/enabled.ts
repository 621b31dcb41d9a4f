/**
 * Whether tracing is on in this process: OTEL_EXPORTER_OTLP_ENDPOINT is set and OTEL_SDK_DISABLED
 * is not `true`. Read by telemetry.js before it loads anything, and by the services to decide
 * whether to trace their requests; a module of its own, so that with tracing off telemetry.js
 * loads nothing more.
 */
export const tracingEnabled = (env: NodeJS.ProcessEnv = process.env): boolean =>
  Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';
