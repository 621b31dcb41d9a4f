import type { FastifyReply, FastifyRequest } from 'fastify';

export interface ProgressStream<T> {
  /** The current view, or undefined when the thing is gone (the stream then ends). */
  read: () => Promise<T | undefined>;
  /** Changes of this string are sent as `progress` events; others are not. */
  fingerprint: (view: T) => string;
  /** The event that ends the stream (`completed`, `failed`, …) when the view is final, else undefined. */
  final: (view: T) => string | undefined;
  /** Keeps a value that may only rise (progress) from stepping back on a late read. */
  merge?: (next: T, previous: T) => T;
  pollMs?: number;
}

const HEARTBEAT_MS = 15_000;

/**
 * Answers with Server-Sent Events: a `progress` event at each change of the view, then the final
 * event, then the end of the stream. Polls `read`; comments keep idle connections open through
 * proxies. Events carry increasing ids.
 */
export async function streamProgress<T>(request: FastifyRequest, reply: FastifyReply, first: T, stream: ProgressStream<T>): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-request-id': request.id,
    // Proxies (nginx) otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  let closed = false;
  request.raw.on('close', () => {
    closed = true;
  });
  let sequence = 0;
  let last = '';
  let lastWrite = Date.now();
  const send = (event: string, data: T) => {
    out.write(`id: ${++sequence}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    lastWrite = Date.now();
  };
  let view = first;
  try {
    while (!closed) {
      const final = stream.final(view);
      if (final) {
        send(final, view);
        break;
      }
      const fingerprint = stream.fingerprint(view);
      if (fingerprint !== last) {
        send('progress', view);
        last = fingerprint;
      } else if (Date.now() - lastWrite > HEARTBEAT_MS) {
        out.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, stream.pollMs ?? 200));
      const next = await stream.read();
      if (next === undefined) break;
      view = stream.merge ? stream.merge(next, view) : next;
    }
  } catch (error) {
    request.log.warn({ err: (error as Error).message }, 'event stream stopped');
  } finally {
    out.end();
  }
}
