import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { core, type tracing } from '@opentelemetry/sdk-node';

/** What the exporter asks of its worker (otlp-export-worker.ts). */
export type ToWorker =
  | { kind: 'export'; id: number; body: Uint8Array; spans: number }
  | { kind: 'flush'; id: number }
  | { kind: 'shutdown'; id: number };

/** What the worker answers: once when loaded, then once per request, with `error` when it failed. */
export type FromWorker = { kind: 'ready' } | { kind: 'done'; id: number; error?: string };

// Each kind of message without its id (Omit applied to each member of the union, not to the union).
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<ToWorker>;

/**
 * A span exporter that serialises each batch to OTLP/JSON here and leaves the HTTP request to a
 * worker thread.
 *
 * Why: a process that serves HTTP and sends its first export from the same thread has V8 throw
 * away the optimised code of Node's stream, net and http functions (a client request and its
 * body stream are object shapes those functions had not seen), then run them slower for the rest
 * of its life; on this stack that cost more than the spans themselves (BENCHMARKS.md, tracing
 * overhead). The worker is started with the SDK, before the app's code is hot, so the only things
 * that ever cross into this thread are a Uint8Array out and a small message back.
 *
 * The worker is unref'd while idle and ref'd while a batch is in flight, so a process can end
 * on its own but not before its last spans are sent. If it dies, the batches in flight fail with
 * the reason and the next export starts a new one.
 */
export class WorkerSpanExporter implements tracing.SpanExporter {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, (error: string | undefined) => void>();
  private nextId = 0;
  private stopped = false;

  /** `script`: the built otlp-export-worker.js. */
  constructor(private readonly script: URL) {
    this.worker = this.start();
  }

  export(spans: tracing.ReadableSpan[], done: (result: core.ExportResult) => void): void {
    if (this.stopped) return done({ code: core.ExportResultCode.FAILED, error: new Error('the span exporter has been shut down') });
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (!body) return done({ code: core.ExportResultCode.FAILED, error: new Error('spans could not be serialised to OTLP/JSON') });
    void this.request({ kind: 'export', body, spans: spans.length }).then(
      () => done({ code: core.ExportResultCode.SUCCESS }),
      (error: Error) => done({ code: core.ExportResultCode.FAILED, error }),
    );
  }

  forceFlush(): Promise<void> {
    return this.worker ? this.request({ kind: 'flush' }) : Promise.resolve();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.request({ kind: 'shutdown' });
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }

  private start(): Worker {
    // Not the parent's --import of telemetry.js: the worker must not start an SDK of its own.
    const worker = new Worker(this.script, { execArgv: [] });
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      if (message.kind !== 'done') return;
      const settle = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (this.waiting.size === 0) worker.unref();
      settle?.(message.error);
    });
    let gone = false;
    const lost = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      if (gone) return;
      gone = true;
      if (!this.stopped) diag.error(`OTLP export worker stopped: ${reason}; spans in flight are lost, the next batch starts a new worker`);
      for (const settle of this.waiting.values()) settle(`OTLP export worker stopped: ${reason}`);
      this.waiting.clear();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return worker;
  }

  private request(message: Request): Promise<void> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, (error) => (error === undefined ? resolve() : reject(new Error(error))));
      if (this.waiting.size === 1) worker.ref();
      // The serialised body changes hands instead of being copied when it owns its whole buffer.
      const transfer = message.kind === 'export' && message.body.byteOffset === 0 && message.body.byteLength === message.body.buffer.byteLength ? [message.body.buffer as ArrayBuffer] : [];
      worker.postMessage({ ...message, id }, transfer);
    });
  }
}
