import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { core, tracing } from '@opentelemetry/sdk-node';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerSpanExporter } from '../src/worker-span-exporter.js';

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  names: string[];
}

// Built as tools/build/bundle.ts builds it, into the repository's tmp/ so that its packages resolve.
const SCRIPT = new URL(`../../../tmp/telemetry-test-${process.pid}/otlp-export-worker.js`, import.meta.url);

let receiver: Server;
const received: Received[] = [];
// What the receiver answers next; a collector that refuses a batch answers 400.
let status = 200;

/** Spans as the SDK hands them to an exporter, named as given. */
function spans(...names: string[]): tracing.ReadableSpan[] {
  const memory = new tracing.InMemorySpanExporter();
  const tracer = new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(memory)] }).getTracer('test');
  for (const name of names) tracer.startSpan(name).end();
  return memory.getFinishedSpans();
}

const exportOf = (exporter: WorkerSpanExporter, batch: tracing.ReadableSpan[]) =>
  new Promise<core.ExportResult>((resolve) => exporter.export(batch, resolve));

beforeAll(async () => {
  await build({ entryPoints: [fileURLToPath(new URL('../src/otlp-export-worker.ts', import.meta.url))], outfile: fileURLToPath(SCRIPT), bundle: true, packages: 'external', platform: 'node', format: 'esm', logLevel: 'warning' });
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
      const names = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name)));
      received.push({ url: request.url ?? '', headers: request.headers, names });
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  }).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  // The worker reads the usual OTLP variables, as OTLPTraceExporter does.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=acme';
});

afterAll(() => {
  rmSync(new URL('.', SCRIPT), { recursive: true, force: true });
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
  receiver.close();
});

describe('WorkerSpanExporter', () => {
  it('sends each batch as OTLP/JSON to the configured endpoint, with the configured headers', async () => {
    const exporter = new WorkerSpanExporter(SCRIPT);
    received.length = 0;
    try {
      expect(await exportOf(exporter, spans('GET /a', 'GET /b'))).toEqual({ code: core.ExportResultCode.SUCCESS });
      expect(await exportOf(exporter, spans('GET /c'))).toEqual({ code: core.ExportResultCode.SUCCESS });
      expect(received.map((r) => r.names)).toEqual([['GET /a', 'GET /b'], ['GET /c']]);
      expect(received[0]).toMatchObject({ url: '/v1/traces', headers: { 'content-type': 'application/json', 'x-tenant': 'acme' } });
    } finally {
      await exporter.shutdown();
    }
  });

  it('reports a batch the collector refuses as failed, with its answer', async () => {
    const exporter = new WorkerSpanExporter(SCRIPT);
    status = 400;
    try {
      const result = await exportOf(exporter, spans('GET /refused'));
      expect(result.code).toBe(core.ExportResultCode.FAILED);
      expect(result.error?.message).toMatch(/Bad Request/);
    } finally {
      status = 200;
      await exporter.shutdown();
    }
  });

  it('sends the batch in flight before shutdown resolves, and refuses batches after it', async () => {
    const exporter = new WorkerSpanExporter(SCRIPT);
    received.length = 0;
    const inFlight = exportOf(exporter, spans('GET /last'));
    await exporter.shutdown();
    expect(await inFlight).toEqual({ code: core.ExportResultCode.SUCCESS });
    expect(received.map((r) => r.names)).toEqual([['GET /last']]);
    const after = await exportOf(exporter, spans('GET /late'));
    expect(after.code).toBe(core.ExportResultCode.FAILED);
    expect(after.error?.message).toMatch(/shut down/);
  });

  it('fails the batches of a worker that cannot start, naming why', async () => {
    const missing = new URL('../src/no-such-worker.js', import.meta.url);
    const exporter = new WorkerSpanExporter(missing);
    try {
      const result = await exportOf(exporter, spans('GET /lost'));
      expect(result.code).toBe(core.ExportResultCode.FAILED);
      expect(result.error?.message).toMatch(/OTLP export worker stopped: .*no-such-worker/);
    } finally {
      await exporter.shutdown();
    }
  });
});
