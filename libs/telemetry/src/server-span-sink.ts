import type { tracing } from '@opentelemetry/sdk-node';

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
  sampler: tracing.Sampler;
  /** Whether `sampler` decides a request that has a caller as the caller did (followsCaller in sampler.ts). */
  followsCaller: boolean;
  ids: tracing.IdGenerator;
  recorder: ServerSpanRecorder;
  /**
   * Whether this process keeps no AsyncLocalStorage (call-stack-context.ts): a context entered for
   * a request would end with its first hook, so none is entered; the request itself carries what
   * is needed (requestTraceIds, outgoingTraceparent).
   */
  explicitContext: boolean;
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
