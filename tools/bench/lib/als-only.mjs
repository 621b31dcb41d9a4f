/**
 * Loaded by the tracing benchmark with NODE_OPTIONS=--import into a stack with tracing off: every
 * HTTP request runs inside an AsyncLocalStorage, which is all the OpenTelemetry context manager
 * adds to each request before any span is made. On Node 20 a live AsyncLocalStorage installs a
 * promise hook that runs on every promise, so this measures the part of tracing's cost that no
 * sampling rate removes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function emitInContext(event, ...args) {
  if (event !== 'request') return emit.call(this, event, ...args);
  return storage.run({}, () => emit.call(this, event, ...args));
};
