import { type Attributes, type AttributeValue, type HrTime, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * OTLP/JSON (the ExportTraceServiceRequest of opentelemetry-proto, JSON mapping) written as text
 * one part at a time: a span when it ends, the resources and scopes once per request. It produces what
 * OpenTelemetry's JsonTraceSerializer does for the same spans (test/otlp-json.test.ts compares
 * them), but lets a finished span be dropped at once instead of kept, object graph and all, until
 * its batch is sent (encoding-span-processor.ts says why that matters).
 */

// OTLP span flags: the W3C trace flags, plus whether the parent's remoteness is known and is so.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

type Scope = ReadableSpan['instrumentationScope'];

/** An HrTime as the decimal nanoseconds OTLP/JSON wants, without BigInt: seconds, then nine digits. */
function nanos([seconds, nanoseconds]: HrTime): string {
  const whole = Math.trunc(seconds);
  const fraction = String(Math.trunc(nanoseconds));
  return whole === 0 ? fraction : `${whole}${'000000000'.slice(fraction.length)}${fraction}`;
}

const flags = (traceFlags: number, remote: boolean | undefined): number => (traceFlags & 0xff) | HAS_IS_REMOTE | (remote ? IS_REMOTE : 0);

/** An attribute value as OTLP's AnyValue. */
function anyValue(value: unknown): object {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
    case 'boolean':
      return { boolValue: value };
  }
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value !== null && typeof value === 'object') return { kvlistValue: { values: keyValues(value as Record<string, unknown>) } };
  return {};
}

const keyValues = (attributes: Attributes | Record<string, unknown>) =>
  Object.keys(attributes).map((key) => ({ key, value: anyValue((attributes as Record<string, AttributeValue | undefined>)[key]) }));

/** What encodeSpan reads of a span: all a finished SDK span has that OTLP carries. */
export type EncodableSpan = Pick<
  ReadableSpan,
  'name' | 'kind' | 'spanContext' | 'parentSpanContext' | 'startTime' | 'endTime' | 'attributes' | 'droppedAttributesCount' | 'events' | 'droppedEventsCount' | 'status' | 'links' | 'droppedLinksCount'
>;

/** One span, as an element of `scopeSpans[].spans`. */
export function encodeSpan(span: EncodableSpan): string {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  return JSON.stringify({
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: parent?.spanId || undefined,
    traceState: context.traceState?.serialize(),
    name: span.name,
    // OTLP numbers span kinds from 1 (0 is "unspecified"), the API from 0.
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: keyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      attributes: event.attributes ? keyValues(event.attributes) : [],
      name: event.name,
      timeUnixNano: nanos(event.time),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    status: { code: span.status.code, message: span.status.message },
    links: span.links.map((link) => ({
      attributes: link.attributes ? keyValues(link.attributes) : [],
      spanId: link.context.spanId,
      traceId: link.context.traceId,
      traceState: link.context.traceState?.serialize(),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: flags(link.context.traceFlags, link.context.isRemote),
    })),
    droppedLinksCount: span.droppedLinksCount,
    flags: flags(context.traceFlags, parent?.isRemote),
  });
}

/**
 * A server span of server-spans.ts, written straight from its values: the same text encodeSpan
 * writes for the span they describe (test/otlp-json.test.ts compares them), recorded and written
 * in about a quarter of the time (0.9 against 3.4 µs), since no span, attribute or JSON object is
 * made on the way. `start` and `end` are `performance.now()` readings, `parentSpanId` is '' for a
 * root and `route` '' when no route matched.
 */
export function encodeServerSpan(traceId: string, spanId: string, parentSpanId: string, method: string, route: string, path: string, start: number, end: number, statusCode: number): string {
  // Ids are hex (trace-ids.ts made or checked them): nothing in them to escape. Kind 2 is
  // SpanKind.SERVER + 1; a parent is a caller in another process, so remote.
  return `{"traceId":"${traceId}","spanId":"${spanId}",${parentSpanId ? `"parentSpanId":"${parentSpanId}",` : ''}`
    + `"name":${JSON.stringify(route ? `${method} ${route}` : method)},"kind":2,`
    + `"startTimeUnixNano":"${nanos(hrTime(start))}","endTimeUnixNano":"${nanos(hrTime(end))}",`
    + `"attributes":[{"key":"http.request.method","value":{"stringValue":${JSON.stringify(method)}}},{"key":"url.path","value":{"stringValue":${JSON.stringify(path)}}},`
    + `${route ? `{"key":"http.route","value":{"stringValue":${JSON.stringify(route)}}},` : ''}{"key":"http.response.status_code","value":{"intValue":${statusCode}}}],`
    + `"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{"code":${statusCode >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET}},`
    + `"links":[],"droppedLinksCount":0,"flags":${flags(TraceFlags.SAMPLED, parentSpanId ? true : undefined)}}`;
}

/** Encoded spans by resource, then by scope: what a processor collects for one request. */
export type EncodedSpans = Map<Resource, Map<Scope, string[]>>;

const schemaUrl = (url: string | undefined) => (url ? `,"schemaUrl":${JSON.stringify(url)}` : '');

const resourceJson = (resource: Resource) =>
  JSON.stringify({ attributes: keyValues(resource.attributes), droppedAttributesCount: 0, schemaUrl: resource.schemaUrl || undefined });

// This API's scopes have a name and a version only.
const scopeJson = (scope: Scope) => JSON.stringify({ name: scope.name, version: scope.version });

/**
 * The whole request body. A resource with attributes still pending (resource.asyncAttributesPending)
 * is written as it stands: wait for them first.
 */
export function encodeRequest(batch: EncodedSpans): string {
  const resourceSpans = [...batch].map(([resource, scopes]) => {
    const scopeSpans = [...scopes].map(([scope, spans]) => `{"scope":${scopeJson(scope)},"spans":[${spans.join(',')}]${schemaUrl(scope.schemaUrl)}}`);
    return `{"resource":${resourceJson(resource)},"scopeSpans":[${scopeSpans.join(',')}]${schemaUrl(resource.schemaUrl)}}`;
  });
  return `{"resourceSpans":[${resourceSpans.join(',')}]}`;
}
