import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One OTLP/HTTP request as the receiver decoded it. */
export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: OtlpRequest;
  /** The names of its spans, in order. */
  names: string[];
}

export interface OtlpRequest {
  resourceSpans: { resource: { attributes: { key: string; value: Record<string, unknown> }[] }; scopeSpans: { scope: { name: string; version?: string }; spans: { name: string }[] }[] }[];
}

export interface Receiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  received: Received[];
  /** What it answers from now on; a collector that refuses a batch answers 400. */
  answer(status: number): void;
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number): Promise<void>;
  close(): void;
}

/** A collector's OTLP/HTTP endpoint on loopback that keeps what it is sent, decoded. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let status = 200;
  let waiter: (() => void) | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as OtlpRequest;
      const names = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name)));
      received.push({ url: request.url ?? '', headers: request.headers, body, names });
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      waiter?.();
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received,
    answer: (next) => (status = next),
    waitFor: (count) =>
      new Promise<void>((resolve) => {
        waiter = () => {
          if (received.length >= count) resolve();
        };
        waiter();
      }),
    close: () => server.close(),
  };
}

/**
 * otlp-export-worker.js built as tools/build/bundle.ts builds it, into the repository's tmp/ so
 * that its packages resolve; `remove` deletes it.
 */
export async function buildExportWorker(): Promise<{ script: URL; remove: () => void }> {
  const script = new URL(`../../../tmp/telemetry-test-${process.pid}-${Date.now()}/otlp-export-worker.js`, import.meta.url);
  await build({ entryPoints: [fileURLToPath(new URL('../src/otlp-export-worker.ts', import.meta.url))], outfile: fileURLToPath(script), bundle: true, packages: 'external', platform: 'node', format: 'esm', logLevel: 'warning' });
  return { script, remove: () => rmSync(new URL('.', script), { recursive: true, force: true }) };
}
