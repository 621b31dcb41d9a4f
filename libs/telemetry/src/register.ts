/**
 * Loaded with `node --import ./telemetry.js main.js`, before anything else, so that the SDK's
 * instrumentations are in place before the first instrumented module (pg, ioredis) is loaded.
 * The bundles load those with require (tools/build/bundle.ts), which is where the
 * instrumentations patch them: no ESM loader hook is registered.
 */
import { tracingEnabled } from './enabled.js';

if (tracingEnabled()) {
  const { startTracing } = await import('./tracing.js');
  startTracing();
}
