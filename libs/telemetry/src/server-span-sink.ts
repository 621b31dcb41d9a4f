import type { Sampling } from './sampler.js';
import type { ScopedContextManager } from './scoped-context.js';
import type { HexIdGenerator } from './trace-ids.js';

/** Where server spans go as their requests end (EncodingSpanProcessor). */
export interface ServerSpanRecorder {
  /**
   * One sampled request's server span. `parentSpanId` is '' for a trace's root, `route` '' when no
   * route matched; `start` and `end` are `performance.now()` readings.
   */
  recordServerSpan(traceId: string, spanId: string, parentSpanId: string, method: string, route: string, path: string, start: number, end: number, statusCode: number): void;
}

/** What server-spans.ts needs from the process's tracing setup (tracing.ts). */
export interface ServerSpanSink extends Pick<Sampling, 'followsCaller' | 'rootBound'> {
  /** The SDK's generator too: a new trace's key (lastTraceKey) decides it by `rootBound`. */
  ids: HexIdGenerator;
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
