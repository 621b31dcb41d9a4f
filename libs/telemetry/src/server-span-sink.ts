import type { IdGenerator, Sampler } from '@opentelemetry/sdk-trace';
import type { ScopedContextManager } from './scoped-context.js';

/** Where server spans go as their requests end (EncodingSpanProcessor). */
export interface ServerSpanRecorder {
  /**
   * One sampled request's server span. `parentSpanId` is '' for a trace's root, `route` '' when no
   * route matched; `start` and `end` are `performance.now()` readings.
   */
  recordServerSpan(traceId: string, spanId: string, parentSpanId: string, method: string, route: string, path: string, start: number, end: number, statusCode: number): void;
}

/** What server-spans.ts needs from the process's tracing setup (tracing.ts). */
export interface ServerSpanSink {
  sampler: Sampler;
  /** Whether `sampler` decides a request that has a caller as the caller did (followsCaller in sampler.ts). */
  followsCaller: boolean;
  ids: IdGenerator;
  recorder: ServerSpanRecorder;
  /** The process's context manager, which runs each route handler in a scope of its request's context. */
  contexts: ScopedContextManager;
}

// On globalThis: the SDK is started by telemetry.js, a bundle of its own, and the app's bundle
// holds its own copy of this module.
const KEY = Symbol.for('meridian.telemetry.serverSpanSink');
type Holder = { [KEY]?: ServerSpanSink };

/** Makes `sink` the one traceRequests() uses in this process (undefined: none). */
export function registerServerSpanSink(sink: ServerSpanSink | undefined): void {
  (globalThis as Holder)[KEY] = sink;
}

export const serverSpanSink = (): ServerSpanSink | undefined => (globalThis as Holder)[KEY];
