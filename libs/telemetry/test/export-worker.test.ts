import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportWorker } from '../src/export-worker.js';
import { buildExportWorker, type Receiver, startReceiver } from './otlp-receiver.js';

let receiver: Receiver;
let worker: { script: URL; remove: () => void };

/** A request body as the processor writes it, with spans named as given. */
const body = (...names: string[]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'test' }, spans: names.map((name) => ({ name })) }] }] });

beforeAll(async () => {
  [receiver, worker] = await Promise.all([startReceiver(), buildExportWorker()]);
  // The worker reads the usual OTLP variables, as OTLPTraceExporter does.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=acme';
});

afterAll(() => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
  receiver.close();
  worker.remove();
});

describe('ExportWorker', () => {
  it('sends each body to the configured endpoint as OTLP/JSON, with the configured headers', async () => {
    const exports = new ExportWorker(worker.script);
    receiver.received.length = 0;
    try {
      await exports.send(body('GET /a', 'GET /b'), 2);
      await exports.send(body('GET /c'), 1);
      expect(receiver.received.map((r) => r.names)).toEqual([['GET /a', 'GET /b'], ['GET /c']]);
      expect(receiver.received[0]).toMatchObject({ url: '/v1/traces', headers: { 'content-type': 'application/json', 'x-tenant': 'acme' } });
    } finally {
      await exports.shutdown();
    }
  });

  it('rejects a body the collector refuses, with its answer', async () => {
    const exports = new ExportWorker(worker.script);
    receiver.answer(400);
    try {
      await expect(exports.send(body('GET /refused'), 1)).rejects.toThrow(/Bad Request/);
    } finally {
      receiver.answer(200);
      await exports.shutdown();
    }
  });

  it('sends what is in flight before shutdown resolves, and refuses bodies after it', async () => {
    const exports = new ExportWorker(worker.script);
    receiver.received.length = 0;
    const inFlight = exports.send(body('GET /last'), 1);
    await exports.shutdown();
    await expect(inFlight).resolves.toBeUndefined();
    expect(receiver.received.map((r) => r.names)).toEqual([['GET /last']]);
    await expect(exports.send(body('GET /late'), 1)).rejects.toThrow(/shut down/);
  });

  it('rejects the bodies of a worker that cannot start, naming why', async () => {
    const exports = new ExportWorker(new URL('../src/no-such-worker.js', import.meta.url));
    try {
      await expect(exports.send(body('GET /lost'), 1)).rejects.toThrow(/span export worker stopped: .*no-such-worker/);
    } finally {
      await exports.shutdown();
    }
  });
});
