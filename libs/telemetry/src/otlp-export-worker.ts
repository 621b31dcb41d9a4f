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

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'export':
      // 0 is ExportResultCode.SUCCESS.
      exporter.export({ body: message.body, spans: message.spans }, (result) =>
        reply(result.code === 0 ? { kind: 'done', id: message.id } : { kind: 'done', id: message.id, error: result.error?.message ?? 'export failed' }),
      );
      break;
    case 'shutdown':
      exporter.shutdown().then(
        () => reply({ kind: 'done', id: message.id }),
        (error: unknown) => reply({ kind: 'done', id: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
      break;
  }
});
// The serving thread handles a first message from here at start-up, before it is busy.
reply({ kind: 'ready' });
