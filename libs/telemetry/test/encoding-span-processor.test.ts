import { diag, DiagLogLevel } from '@opentelemetry/api';
import * as core from '@opentelemetry/core';
import * as resources from '@opentelemetry/resources';
import * as tracing from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BatchLimits, EncodingSpanProcessor } from '../src/encoding-span-processor.js';
import { ExportWorker } from '../src/export-worker.js';
import { buildExportWorker, type Receiver, startReceiver } from './otlp-receiver.js';

let receiver: Receiver;
let worker: { script: URL; remove: () => void };
const processors: EncodingSpanProcessor[] = [];
const warnings: string[] = [];
const errors: string[] = [];

const LONG = 60_000;

/** A tracer provider whose spans (and server spans) go through a processor with `limits`, to the test's receiver. */
function setUp(limits: BatchLimits, sampler: tracing.Sampler = new tracing.AlwaysOnSampler()) {
  const resource = resources.resourceFromAttributes({ 'service.name': 'meridian-test' });
  const processor = new EncodingSpanProcessor(new ExportWorker(worker.script), limits, { resource, scope: { name: 'meridian-http' } });
  processors.push(processor);
  const provider = new tracing.TracerProvider({ resource, sampler, spanProcessors: [processor] });
  const end = (scope: string, ...names: string[]) => names.forEach((name) => provider.getTracer(scope).startSpan(name).end());
  return { processor, end };
}

beforeAll(async () => {
  [receiver, worker] = await Promise.all([startReceiver(), buildExportWorker()]);
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
  diag.setLogger({ error: () => undefined, warn: (message: string) => warnings.push(message), info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
  core.setGlobalErrorHandler((error) => errors.push(error instanceof Error ? error.message : String(error)));
});

afterEach(async () => {
  await Promise.all(processors.splice(0).map((processor) => processor.shutdown()));
  receiver.received.length = 0;
  warnings.length = 0;
  errors.length = 0;
  receiver.answer(200);
});

afterAll(() => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  diag.disable();
  core.setGlobalErrorHandler(core.loggingErrorHandler());
  receiver.close();
  worker.remove();
});

describe('EncodingSpanProcessor', () => {
  it('sends a batch as soon as it is full, its spans grouped by scope under one resource', async () => {
    const { end } = setUp({ scheduleDelay: LONG, maxBatchSize: 3, maxQueueSize: 100 });
    end('meridian-http', 'GET /a', 'GET /b');
    expect(receiver.received).toHaveLength(0);
    end('pg', 'SELECT bars');
    await receiver.waitFor(1);
    const [request] = receiver.received;
    expect(request?.url).toBe('/v1/traces');
    expect(request?.body.resourceSpans).toHaveLength(1);
    expect(request?.body.resourceSpans[0]?.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'meridian-test' } });
    expect(request?.body.resourceSpans[0]?.scopeSpans.map((s) => [s.scope.name, s.spans.map((span) => span.name)])).toEqual([
      ['meridian-http', ['GET /a', 'GET /b']],
      ['pg', ['SELECT bars']],
    ]);
  });

  it('writes recorded server spans as the SDK would, with the SDK spans of their resource, counted in the same batch', async () => {
    const { processor, end } = setUp({ scheduleDelay: LONG, maxBatchSize: 3, maxQueueSize: 100 });
    const start = performance.now();
    processor.recordServerSpan('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', '', 'GET', '/v1/bars', '/v1/bars', start, start + 2.5, 200);
    processor.recordServerSpan('0af7651916cd43dd8448eb211c80319c', '00f067aa0ba902b7', 'b7ad6b7169203331', 'POST', '', '/nowhere', start, start + 1, 503);
    end('pg', 'SELECT bars');
    await receiver.waitFor(1);
    const [request] = receiver.received;
    expect(request?.body.resourceSpans).toHaveLength(1);
    const scopes = request?.body.resourceSpans[0]?.scopeSpans ?? [];
    expect(scopes.map((scope) => scope.scope.name).sort()).toEqual(['meridian-http', 'pg']);
    const http = (scopes.find((scope) => scope.scope.name === 'meridian-http')?.spans ?? []) as unknown as Record<string, unknown>[];
    // Within a microsecond of what was recorded (the two sums of floats may round apart).
    const offBy = (text: unknown, ms: number) => Math.abs(Number(BigInt(text as string) - BigInt(Math.round((performance.timeOrigin + ms) * 1000)) * 1000n));
    expect(http[0]).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'GET /v1/bars',
      kind: 2,
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'url.path', value: { stringValue: '/v1/bars' } },
        { key: 'http.route', value: { stringValue: '/v1/bars' } },
        { key: 'http.response.status_code', value: { intValue: 200 } },
      ],
      status: { code: 0 },
      flags: 0x101,
    });
    expect(http[0]).not.toHaveProperty('parentSpanId');
    expect(offBy(http[0]?.startTimeUnixNano, start)).toBeLessThanOrEqual(1000);
    expect(offBy(http[0]?.endTimeUnixNano, start + 2.5)).toBeLessThanOrEqual(1000);
    // The caller is in another process: a remote parent (OTLP flags 0x300 with the sampled bit).
    expect(http[1]).toMatchObject({ name: 'POST', parentSpanId: 'b7ad6b7169203331', status: { code: 2 }, flags: 0x301 });
  });

  it('sends what has waited OTEL_BSP_SCHEDULE_DELAY without filling a batch', async () => {
    const { end } = setUp({ scheduleDelay: 50, maxBatchSize: 100, maxQueueSize: 100 });
    end('meridian-http', 'GET /lonely');
    await receiver.waitFor(1);
    expect(receiver.received.map((r) => r.names)).toEqual([['GET /lonely']]);
  });

  it('leaves out spans that are recorded but not sampled', async () => {
    const recordOnly: tracing.Sampler = { shouldSample: () => ({ decision: tracing.SamplingDecision.RECORD }), toString: () => 'record only' };
    const { processor, end } = setUp({ scheduleDelay: LONG, maxBatchSize: 100, maxQueueSize: 100 }, recordOnly);
    end('meridian-http', 'GET /unsampled');
    await processor.forceFlush();
    expect(receiver.received).toHaveLength(0);
  });

  it('drops spans beyond OTEL_BSP_MAX_QUEUE_SIZE and says how many', async () => {
    const { processor, end } = setUp({ scheduleDelay: LONG, maxBatchSize: 100, maxQueueSize: 2 });
    end('meridian-http', 'GET /1', 'GET /2', 'GET /3', 'GET /4');
    await processor.forceFlush();
    expect(receiver.received.map((r) => r.names)).toEqual([['GET /1', 'GET /2']]);
    expect(warnings).toEqual([expect.stringMatching(/dropped 2 spans: more than OTEL_BSP_MAX_QUEUE_SIZE \(2\)/)]);
  });

  it('sends what is buffered when it shuts down', async () => {
    const { processor, end } = setUp({ scheduleDelay: LONG, maxBatchSize: 100, maxQueueSize: 100 });
    end('meridian-http', 'GET /last');
    await processor.shutdown();
    expect(receiver.received.map((r) => r.names)).toEqual([['GET /last']]);
  });

  it('reports a batch the collector refuses through the global error handler', async () => {
    receiver.answer(400);
    const { processor, end } = setUp({ scheduleDelay: LONG, maxBatchSize: 100, maxQueueSize: 100 });
    end('meridian-http', 'GET /refused');
    await processor.forceFlush();
    expect(errors).toEqual([expect.stringMatching(/Bad Request/)]);
  });
});
