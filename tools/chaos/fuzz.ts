/**
 * A property-based fuzzer of the public API (fast-check), generating requests for every
 * operation of the gateway's merged OpenAPI document: valid values, boundaries, wrong types,
 * missing and oversized values, unicode, injection strings, NaN and Infinity, reversed ranges,
 * malformed JSON and CSV, every content type, gzip bodies and gzip bombs. Each answer must be
 * below 500; an error must be problem+json naming the request id it was sent with; a 2xx JSON
 * answer must match the document's schema for it. Used by e2e/test/fuzz.test.ts (fixed seed,
 * bounded count) and `npm run fuzz` (longer).
 */
import { gzipSync } from 'node:zlib';
import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  $ref?: string;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
export interface ApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

export interface FuzzRequest {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The symbol an instrument creation carried, to check that a refused one was not stored. */
  symbol?: string;
}

export interface FuzzReport {
  sent: number;
  byStatus: Record<number, number>;
  violations: string[];
  /** Symbols of refused instrument creations that were never accepted in another request. */
  refusedSymbols: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const NASTY = [
  '', ' ', 'NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '-1', '0', '1.5', '99999999999999999999', '2147483648',
  "' OR 1=1--", '"; DROP TABLE bars; --', '../../etc/passwd', '%00', '\u0000', '%zz', '%', '😀'.repeat(8), 'ǅ̈́̀ẞ', 'x'.repeat(5_000),
  '<script>alert(1)</script>', '{{7*7}}', '${jndi:ldap://x/a}', 'true', 'null', '[]', '{}', '2024-02-30', '1970-01-01T00:00:00Z', '9999-12-31',
];
const CONTENT_TYPES = ['application/json', 'text/csv', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=latin1'];
const MALFORMED = ['{', '{"a":', 'null', '[]', '"x"', '{"a":1}}', '\u0000\u0001', '[' .repeat(200), 'date,open\n2024-01-01,', 'date,open,high,low,close\n' + 'x,'.repeat(3000)];

function valid(schema: Schema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.string({ maxLength: 12 });
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(valid));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valid(schema.items), { maxLength: 4 });
    case 'object':
      return fc.record(Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, inner]) => [key, valid(inner)])), { requiredKeys: [] });
    default:
      if (schema.format === 'date' || schema.format === 'date-time') return fc.date({ min: new Date('1990-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, schema.format === 'date' ? 10 : 24));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 16, 40) });
  }
}

/** A value for a parameter or a body field: mostly valid, often hostile. */
function value(schema: Schema | undefined): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: valid(schema) }, { weight: 2, arbitrary: fc.constantFrom(...NASTY) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

function encode(raw: unknown, encodeIt: boolean): string {
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  return encodeIt ? encodeURIComponent(text) : text.replace(/[#?&\s]/g, (c) => encodeURIComponent(c));
}

/** Every request the fuzzer may send for one operation. */
function requestsFor(method: string, path: string, operation: Operation): fc.Arbitrary<FuzzRequest> {
  const params = operation.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const query = params.filter((p) => p.in === 'query');
  const bodySchema = operation.requestBody?.content['application/json']?.schema ?? Object.values(operation.requestBody?.content ?? {})[0]?.schema;
  const hasBody = method !== 'get' && method !== 'delete';
  const body: fc.Arbitrary<{ bytes?: Buffer; type?: string; gzip?: boolean; symbol?: string }> = hasBody
    ? fc.oneof(
        value(bodySchema).map((v) => ({ bytes: Buffer.from(JSON.stringify(v) ?? 'null'), type: 'application/json', symbol: typeof (v as { symbol?: unknown })?.symbol === 'string' ? (v as { symbol: string }).symbol : undefined })),
        fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...CONTENT_TYPES)).map(([v, type]) => ({ bytes: Buffer.from(JSON.stringify(v) ?? ''), type })),
        fc.tuple(fc.constantFrom(...MALFORMED), fc.constantFrom(...CONTENT_TYPES)).map(([text, type]) => ({ bytes: Buffer.from(text), type })),
        valid(bodySchema).map((v) => ({ bytes: gzipSync(JSON.stringify(v) ?? 'null'), type: 'application/json', gzip: true })),
        // A bomb: 64 MiB of zeros in a few KiB of gzip.
        fc.constant({ bytes: gzipSync(Buffer.alloc(64 * 1024 * 1024)), type: 'application/json', gzip: true }),
        fc.constant({ bytes: Buffer.from('not gzip at all'), type: 'application/json', gzip: true }),
        fc.constant({}),
      )
    : fc.constant({});
  const reversed = query.some((p) => p.name === 'from') && query.some((p) => p.name === 'to');
  return fc
    .record({
      pathValues: fc.tuple(...pathParams.map((p) => value(p.schema)), fc.constant(null)),
      queryValues: fc.tuple(...query.map((p) => fc.option(value(p.schema), { nil: undefined, freq: 2 })), fc.constant(null)),
      reverse: fc.boolean(),
      encodeIt: fc.boolean(),
      body,
    })
    .map(({ pathValues, queryValues, reverse, encodeIt, body: b }) => {
      let url = path;
      pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, encodeURIComponent(String(pathValues[i] ?? '')) || 'x')));
      const pairs = query.map((p, i) => [p.name, queryValues[i]] as const).filter(([, v]) => v !== undefined);
      if (reversed && reverse) pairs.push(['from', '2024-12-31'], ['to', '2020-01-01']);
      const search = pairs.map(([name, v]) => `${name}=${encode(v, encodeIt)}`).join('&');
      const headers: Record<string, string> = {};
      if (b.type) headers['content-type'] = b.type;
      if (b.gzip) headers['content-encoding'] = 'gzip';
      const symbol = path === '/v1/instruments' && method === 'post' ? b.symbol : undefined;
      return { method: method.toUpperCase(), path, url: search ? `${url}?${search}` : url, headers, body: b.bytes, symbol };
    });
}

/** The public operations of the document, as arbitraries of requests. */
export function operationsOf(doc: ApiDocument, exclude: (method: string, path: string) => boolean = () => false): fc.Arbitrary<FuzzRequest> {
  const all = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, item]) => METHODS.filter((m) => item[m] && !exclude(m, path)).map((m) => requestsFor(m, path, item[m] as Operation)));
  return fc.oneof(...all);
}

/** Checks one answer: below 500, errors as problem+json with the request id, 2xx JSON as documented. */
export function checker(doc: ApiDocument) {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  ajv.addSchema(doc as object, 'api');
  const validators = new Map<string, ValidateFunction | undefined>();
  const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  const validatorFor = (method: string, path: string, status: number): ValidateFunction | undefined => {
    const key = `${method} ${path} ${status}`;
    if (!validators.has(key)) {
      const schema = doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)]?.content?.['application/json']?.schema;
      validators.set(key, schema ? ajv.compile({ $ref: `api#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}` }) : undefined);
    }
    return validators.get(key);
  };
  return async (request: FuzzRequest, response: Response): Promise<string | undefined> => {
    const where = `${request.method} ${request.url.slice(0, 200)}`;
    // A live stream that opened does not end: its status and type are the answer.
    if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      await response.body?.cancel();
      return response.status < 300 ? undefined : `${where} → ${response.status} as an event stream`;
    }
    const text = await response.text();
    if (response.status >= 500) return `${where} → ${response.status} ${text.slice(0, 300)}`;
    const type = response.headers.get('content-type') ?? '';
    if (response.status >= 400) {
      if (!type.includes('application/problem+json')) return `${where} → ${response.status} as ${type}, not problem+json`;
      const problem = JSON.parse(text) as { requestId?: string };
      if (!problem.requestId || problem.requestId !== response.headers.get('x-request-id')) return `${where} → ${response.status} without its request id`;
      return undefined;
    }
    if (type.includes('application/json') && text) {
      const validate = validatorFor(request.method, request.path, response.status);
      if (validate && !validate(JSON.parse(text))) return `${where} → ${response.status} does not match its schema: ${ajv.errorsText(validate.errors)}`;
    }
    return undefined;
  };
}

/**
 * Sends `runs` generated requests to the gateway (seeded, so a failure replays) and reports
 * every answer that breaks a rule.
 */
export async function fuzzApi(options: { gateway: string; headers: Record<string, string>; doc: ApiDocument; runs: number; seed: number; exclude?: (method: string, path: string) => boolean; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const check = checker(options.doc);
  const report: FuzzReport = { sent: 0, byStatus: {}, violations: [], refusedSymbols: [] };
  const accepted = new Set<string>();
  const refused = new Set<string>();
  await fc.assert(
    fc.asyncProperty(operationsOf(options.doc, options.exclude), async (request) => {
      report.sent++;
      let response: Response;
      try {
        response = await fetch(`${options.gateway}${request.url}`, {
          method: request.method,
          headers: { ...options.headers, ...request.headers },
          body: request.body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        report.violations.push(`${request.method} ${request.url.slice(0, 200)} (${request.headers['content-type'] ?? 'no type'}${request.headers['content-encoding'] ? ', gzip' : ''}, ${request.body?.length ?? 0} bytes) → no answer: ${(error as Error).message}`);
        return;
      }
      report.byStatus[response.status] = (report.byStatus[response.status] ?? 0) + 1;
      if (request.symbol !== undefined) (response.status < 300 ? accepted : refused).add(request.symbol);
      const violation = await check(request, response);
      if (violation) report.violations.push(violation);
      if (report.sent % 100 === 0) options.onProgress?.(report.sent);
    }),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
  report.refusedSymbols = [...refused].filter((symbol) => !accepted.has(symbol));
  return report;
}
