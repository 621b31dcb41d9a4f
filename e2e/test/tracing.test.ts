import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import type { RunningStack } from '@meridian/tools/stack/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyWithCli, startStack, stackEnv } from './stack.js';

/** A span as the test needs it, decoded from the OTLP/HTTP JSON the exporters really send. */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  scope: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { scope: { name: string }; spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }[] }[];
  }[];
}

/** OTLP/JSON ids are hex; older exporters sent base64. */
const hex = (id: string | undefined) => (!id ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));
const value = (v: OtlpValue) => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attributes = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

let ctx: TestContext;
let stack: RunningStack;
let url: (service: string) => string;
let receiver: Server;
const spans: Span[] = [];
const logs: { process: string; line: Record<string, unknown> }[] = [];
const exports: string[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      exports.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
      if (request.url === '/v1/traces') {
        const data = JSON.parse(body) as OtlpExport;
        for (const { resource, scopeSpans } of data.resourceSpans) {
          const service = String(attributes(resource.attributes)['service.name']);
          for (const { scope, spans: list } of scopeSpans) {
            for (const span of list) {
              spans.push({ traceId: hex(span.traceId), spanId: hex(span.spanId), parentSpanId: hex(span.parentSpanId), name: span.name, kind: span.kind, service, scope: scope.name, attributes: attributes(span.attributes) });
            }
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const { port } = receiver.address() as { port: number };

  ctx = await createTestContext({ emptyDatabase: true });
  const env = await stackEnv(ctx, {
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  ({ stack, url } = await startStack(env, ['gateway', 'signals'], (process, raw) => {
    try {
      logs.push({ process, line: JSON.parse(raw) as Record<string, unknown> });
    } catch {
      // not a JSON log line
    }
  }));
  const key = createKeyWithCli(env, 'traced', 'read,write,admin').trim();
  auth = { authorization: `Bearer ${key}` };
  await fetch(`${url('gateway')}/v1/instruments`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'TRC', name: 'Traced' }) });
  const csv = ['date,open,high,low,close,volume', ...Array.from({ length: 120 }, (_, i) => {
    const day = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const close = 100 + 10 * Math.sin(i / 6);
    return `${day},${close},${close + 1},${close - 1},${close},1000`;
  })].join('\n');
  const uploaded = await fetch(`${url('gateway')}/v1/bars?symbol=TRC`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
  expect(uploaded.status).toBe(200);
  submitted = await fetch(`${url('gateway')}/v1/signals/batch`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ symbols: ['TRC'], rules: [{ type: 'ma-cross', fast: 3, slow: 10 }] }),
  });
  const { id } = (await submitted.json()) as { id: string };
  for (let i = 0; i < 200; i++) {
    const job = (await (await fetch(`${url('gateway')}/v1/jobs/${id}`, { headers: auth })).json()) as { state: string };
    if (job.state === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
let submitted: Response;
let auth: Record<string, string>;

afterAll(async () => {
  await stack?.stop();
  receiver?.close();
  await ctx?.cleanup();
});

/** `callerSpan`: a parent outside the stack (the client's own span), never exported. */
async function traceOf(traceId: string, services: string[], callerSpan = ''): Promise<Span[]> {
  for (let i = 0; i < 100; i++) {
    const trace = spans.filter((span) => span.traceId === traceId);
    // Children often end, and are exported, before their parents: wait for every parent too.
    const ids = new Set(trace.map((span) => span.spanId));
    const complete = trace.every((span) => !span.parentSpanId || span.parentSpanId === callerSpan || ids.has(span.parentSpanId));
    if (complete && services.every((service) => trace.some((span) => span.service === service))) return trace;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`trace ${traceId} never had spans from ${services.join(', ')} with every parent present; exports seen: ${exports.slice(0, 5).join(' | ')}; services seen: ${[...new Set(spans.map((s) => s.service))].join(', ')}`);
}

describe('one trace per request', () => {
  it('spans gateway, service, queue producer, worker, Postgres and Redis, with the trace id in the response', async () => {
    const traceId = submitted.headers.get('x-trace-id') ?? '';
    expect(submitted.status).toBe(202);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = await traceOf(traceId, ['meridian-gateway', 'meridian-signals', 'meridian-signals-worker']);
    const byId = new Map(trace.map((span) => [span.spanId, span]));

    const roots = trace.filter((span) => !span.parentSpanId);
    expect(roots).toHaveLength(1);
    expect(roots[0]?.service).toBe('meridian-gateway');
    // Every other span hangs off one in the same trace.
    expect(trace.filter((span) => span.parentSpanId && !byId.has(span.parentSpanId))).toEqual([]);

    const producer = trace.find((span) => span.service === 'meridian-signals' && span.scope === 'meridian-queue');
    expect(producer).toBeDefined();
    const processing = trace.filter((span) => span.service === 'meridian-signals-worker' && span.scope === 'meridian-queue');
    expect(processing.length).toBeGreaterThan(0);
    const ancestors = (span: Span): string[] => (span.parentSpanId && byId.has(span.parentSpanId) ? [span.parentSpanId, ...ancestors(byId.get(span.parentSpanId) as Span)] : []);
    for (const span of processing) expect(ancestors(span)).toContain(roots[0]?.spanId);

    expect(trace.some((span) => span.scope.includes('pg'))).toBe(true);
    expect(trace.some((span) => span.scope.includes('ioredis'))).toBe(true);

    // The service's own Postgres and Redis calls, made after its handler's awaits, hang off its request's span.
    const server = trace.find((span) => span.service === 'meridian-signals' && span.scope === 'meridian-http') as Span;
    expect(server.parentSpanId).toBe(roots[0]?.spanId);
    const own = trace.filter((span) => span.service === 'meridian-signals' && span !== server);
    expect(own.some((span) => span.scope.includes('pg'))).toBe(true);
    expect(own.some((span) => span.scope.includes('ioredis'))).toBe(true);
    for (const span of own) expect(ancestors(span), span.name).toContain(server.spanId);
  });

  it("writes the trace id on the request's log lines", async () => {
    const traceId = submitted.headers.get('x-trace-id') ?? '';
    await traceOf(traceId, ['meridian-gateway', 'meridian-signals']);
    const tagged = logs.filter((entry) => entry.line.trace_id === traceId);
    expect(new Set(tagged.map((entry) => entry.process))).toEqual(new Set(['gateway', 'signals']));
  });
});

describe("a caller's sampling decision", () => {
  const traceparent = (traceId: string, spanId: string, sampled: boolean) => `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;

  it('continues a sampled caller’s trace under its span', async () => {
    const [traceId, callerSpan] = ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'];
    const response = await fetch(`${url('gateway')}/v1/indicators/sma?symbol=TRC&period=5`, { headers: { ...auth, traceparent: traceparent(traceId, callerSpan, true) } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-trace-id')).toBe(traceId);
    const trace = await traceOf(traceId, ['meridian-gateway', 'meridian-signals'], callerSpan);
    expect(trace.find((span) => span.service === 'meridian-gateway' && span.kind === 2)?.parentSpanId).toBe(callerSpan);
  });

  it('records nothing of an unsampled caller’s request, down to the job it queues', async () => {
    const unsampled = '0af7651916cd43dd8448eb211c80319c';
    const workerTracesBefore = new Set(spans.filter((span) => span.service === 'meridian-signals-worker').map((span) => span.traceId));
    const queued = await fetch(`${url('gateway')}/v1/signals/batch`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', traceparent: traceparent(unsampled, 'b7ad6b7169203331', false) },
      body: JSON.stringify({ symbols: ['TRC'], rules: [{ type: 'ma-cross', fast: 4, slow: 12 }] }),
    });
    expect(queued.status).toBe(202);
    expect(queued.headers.get('x-trace-id')).toBeNull();
    const { id } = (await queued.json()) as { id: string };
    let state = '';
    for (let i = 0; i < 200 && state !== 'completed'; i++) {
      ({ state } = (await (await fetch(`${url('gateway')}/v1/jobs/${id}`, { headers: auth })).json()) as { state: string });
      if (state !== 'completed') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(state).toBe('completed');

    // A sampled request made afterwards has its spans exported: by then the unsampled one's would be too.
    const marker = 'c1a2b3c4d5e6f708192a3b4c5d6e7f80';
    await fetch(`${url('gateway')}/v1/indicators/sma?symbol=TRC&period=6`, { headers: { ...auth, traceparent: traceparent(marker, '1111111111111111', true) } });
    await traceOf(marker, ['meridian-gateway', 'meridian-signals'], '1111111111111111');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(spans.filter((span) => span.traceId === unsampled)).toEqual([]);
    // Had the job lost the caller's decision, its worker would have started a trace of its own.
    const gatewayTraces = new Set(spans.filter((span) => span.service === 'meridian-gateway').map((span) => span.traceId));
    const orphans = spans.filter((span) => span.service === 'meridian-signals-worker' && !workerTracesBefore.has(span.traceId) && !gatewayTraces.has(span.traceId));
    expect(orphans).toEqual([]);
  });
});
