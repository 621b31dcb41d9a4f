/**
 * The worker thread behind ExportWorker (export-worker.ts): it receives request bodies already
 * written as OTLP/JSON and sends them with OpenTelemetry's own OTLP/HTTP delegate, so endpoint,
 * headers, timeout, compression and retries follow the usual OTEL_EXPORTER_OTLP_* variables
 * exactly as OTLPTraceExporter would.
 */
import { parentPort } from 'node:worker_threads';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { FromWorker, ToWorker } from './export-worker.js';

interface Batch {
  body: string;
  spans: number;
}

if (!parentPort) throw new Error('otlp-export-worker.js runs as the worker thread of ExportWorker, not on its own');
const port = parentPort;

const exporter = new OTLPExporterBase<Batch>(
  createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/json' }),
    { serializeRequest: (batch: Batch) => Buffer.from(batch.body), deserializeResponse: JsonTraceSerializer.deserializeResponse },
    'otlp_http_span_exporter',
    { name: 'span', countItems: (batch: Batch) => batch.spans },
    undefined,
  ),
);

const reply = (message: FromWorker) => port.postMessage(message);
const failed = (id: number, error: unknown) => reply({ kind: 'done', id, error: error instanceof Error ? error.message : String(error) });

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'export':
      exporter.export({ body: message.body, spans: message.spans }, (result) =>
        reply(result.code === 0 ? { kind: 'done', id: message.id } : { kind: 'done', id: message.id, error: result.error?.message ?? 'export failed' }),
      );
      break;
    case 'flush':
      exporter.forceFlush().then(() => reply({ kind: 'done', id: message.id }), (error: unknown) => failed(message.id, error));
      break;
    case 'shutdown':
      exporter.shutdown().then(() => reply({ kind: 'done', id: message.id }), (error: unknown) => failed(message.id, error));
      break;
  }
});
reply({ kind: 'ready' });
