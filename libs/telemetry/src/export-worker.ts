import { Worker } from 'node:worker_threads';

/** What the process asks of its export worker (otlp-export-worker.ts). */
export type ToWorker = { kind: 'export'; id: number; body: string; spans: number } | { kind: 'shutdown'; id: number };

/** What the worker answers: once when loaded, then once per request, with `error` when it failed. */
export type FromWorker = { kind: 'ready' } | { kind: 'done'; id: number; error?: string };

// Each kind of message without its id (Omit applied to each member of the union, not to the union).
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<ToWorker>;

/**
 * The worker thread that sends a process's span batches over OTLP/HTTP.
 *
 * Why a thread: a process that serves HTTP and sends its first export from the same thread has
 * V8 throw away the optimised code of Node's stream, net and http functions (a client request and
 * its body stream are object shapes those functions had not seen), then run them slower for the
 * rest of its life (BENCHMARKS.md, tracing overhead). The worker is started with the SDK, before
 * the app's code is hot, so all that crosses into the serving thread is a small message back.
 *
 * The worker is unref'd while idle and ref'd while a batch is in flight, so a process can end
 * on its own but not before its last spans are sent. If it dies, the batches in flight fail with
 * the reason and the next batch starts a new one.
 */
export class ExportWorker {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, (error: string | undefined) => void>();
  private nextId = 0;
  private stopped = false;

  /** `script`: the built otlp-export-worker.js. */
  constructor(private readonly script: URL) {
    this.worker = this.start();
  }

  /** Sends one request body of OTLP/JSON holding `spans` spans; rejects with the reason it was not accepted. */
  send(body: string, spans: number): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the span export worker has been shut down'));
    return this.request({ kind: 'export', body, spans });
  }

  /** Waits for the batches in flight, then stops the thread. */
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
      for (const settle of this.waiting.values()) settle(`span export worker stopped: ${reason}`);
      this.waiting.clear();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    return worker;
  }

  private request(message: Request): Promise<void> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, (error) => (error === undefined ? resolve() : reject(new Error(error))));
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ ...message, id });
    });
  }
}
