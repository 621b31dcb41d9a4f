import { once } from 'node:events';
import { createServer } from 'node:http';

export interface OtlpSink {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  /** Export requests and spans received so far. */
  received(): { requests: number; spans: number };
  close(): void;
}

/**
 * A collector stand-in for the tracing benchmarks: accepts OTLP/JSON trace exports on loopback,
 * counts them and their spans, and keeps nothing.
 */
export async function startOtlpSink(): Promise<OtlpSink> {
  let requests = 0;
  let spans = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      requests++;
      spans += (body.match(/"spanId"/g) ?? []).length;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received: () => ({ requests, spans }),
    close: () => server.close(),
  };
}
