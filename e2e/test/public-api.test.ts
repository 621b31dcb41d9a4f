import { connect } from 'node:net';
import { UPSTREAM_PREFIXES } from '@meridian/contracts';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestContext, type TestContext } from '@meridian/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '@meridian/tools/stack/processes';
import { createKeyWithCli, startStack, stackEnv } from './stack.js';

interface Doc {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
}

let ctx: TestContext;
let stack: RunningStack;
let gateway: string;
let serviceUrl: (service: string) => string;
let doc: Doc;
const keys: Record<'none' | 'read' | 'full', Record<string, string>> = { none: {}, read: {}, full: {} };

beforeAll(async () => {
  ctx = await createTestContext({ emptyDatabase: true });
  const env = await stackEnv(ctx);
  ({ stack, url: serviceUrl } = await startStack(env));
  gateway = serviceUrl('gateway');
  keys.read = { authorization: `Bearer ${createKeyWithCli(env, 'walker', 'read').trim()}` };
  keys.full = { 'x-api-key': createKeyWithCli(env, 'walker', 'read,write,admin').trim() };
  doc = (await (await fetch(`${gateway}/openapi.json`)).json()) as Doc;
});
afterAll(async () => {
  await stack?.stop();
  await ctx.cleanup();
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the public API, with path parameters filled in. */
function operations(): { method: string; url: string }[] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => METHODS.includes(method))
        .map((method) => ({ method: method.toUpperCase(), url: path.replace(/\{(\w+)\}/g, 'SPX') })),
    );
}

async function call(op: { method: string; url: string }, headers: Record<string, string>): Promise<number> {
  const withBody = op.method !== 'GET' && op.method !== 'DELETE';
  const res = await fetch(`${gateway}${op.url}`, {
    method: op.method,
    headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { body: '{}' } : {}),
  });
  // Only the status counts; an event stream would never end.
  await res.body?.cancel();
  return res.status;
}

describe('the merged API document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("lists every service's routes under the gateway, and declares the API key schemes", async () => {
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/instruments', '/v1/instruments/{symbol}', '/v1/strategies', '/v1/monitor/services']));
    const full = doc as Doc & { components: { securitySchemes: Record<string, unknown> }; security: unknown[] };
    expect(Object.keys(full.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    expect(full.security).toHaveLength(2);
  });

  it('marks a parameter with a default, such as limit, as optional', async () => {
    const parameters = Object.values(doc.paths).flatMap((item) => Object.values(item).flatMap((op) => (op as { parameters?: { name: string; required?: boolean }[] }).parameters ?? []));
    const limits = parameters.filter((p) => p.name === 'limit');
    expect(limits.length).toBeGreaterThanOrEqual(3);
    expect(limits.filter((p) => p.required === true)).toEqual([]);
  });

  it('is served as a page at /docs', async () => {
    const res = await fetch(`${gateway}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});

/** Mutations a read-only key may make: a signed link grants only reads of what its key may read. */
const READ_SCOPED = new Set(['POST /v1/links']);
const needsWrite = (op: { method: string; url: string }) => op.method !== 'GET' && !READ_SCOPED.has(`${op.method} ${op.url}`);

describe('every public route', () => {
  it('answers 401 without a key', async () => {
    for (const op of operations()) expect([op, await call(op, keys.none)]).toEqual([op, 401]);
  });

  it('answers 403 to a read-only key on a mutation, and lets it read', async () => {
    for (const op of operations()) {
      const status = await call(op, keys.read);
      if (!needsWrite(op)) expect([op, status === 401 || status === 403]).toEqual([op, false]);
      else expect([op, status]).toEqual([op, 403]);
    }
  });

  it('is neither 401 nor 403 with a key holding every scope', async () => {
    for (const op of operations()) {
      const status = await call(op, keys.full);
      expect([op, status === 401 || status === 403]).toEqual([op, false]);
    }
  });
});

/** Spellings of one path that a router may read as the same route. */
function spellings(path: string): string[] {
  const [, first = '', rest = ''] = /^\/v1\/(\w)(.*)$/.exec(path) ?? [];
  const escape = (char: string, upper: boolean) => `%${char.charCodeAt(0).toString(16)[upper ? 'toUpperCase' : 'toLowerCase']()}`;
  return [
    path.replace('/v1/', '/%761/'),
    `/v1/${escape(first, true)}${rest}`,
    `/v1/${escape(first, false)}${rest}`,
    `http://meridian.example${path}`,
    path.replace('/v1/', '//v1//'),
    `${path};x=1`,
  ];
}

/** One request written on a socket as given, so that no client normalises its target; the status code. */
async function rawStatus(base: string, method: string, target: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  const body = method === 'GET' || method === 'DELETE' ? '' : '{}';
  const head = [`${method} ${target} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close', 'content-type: application/json', `content-length: ${body.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
  let response = '';
  for await (const chunk of socket) response += (chunk as Buffer).toString();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

const owner = (path: string): string => (Object.entries(UPSTREAM_PREFIXES) as [string, readonly string[]][]).find(([, prefixes]) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))?.[0] ?? '';

describe('every spelling of every public route', () => {
  it('answers 401 at the gateway without a key', async () => {
    for (const op of operations()) for (const target of spellings(op.url)) expect([op.method, target, await rawStatus(gateway, op.method, target, keys.none)]).toEqual([op.method, target, 401]);
  });

  it('answers 403 at the gateway to a read-only key on a mutation', async () => {
    for (const op of operations().filter(needsWrite)) {
      for (const target of spellings(op.url)) expect([op.method, target, await rawStatus(gateway, op.method, target, keys.read)]).toEqual([op.method, target, 403]);
    }
  });

  it("answers 401 on the owning service's own port without the gateway's signature", async () => {
    // The gateway's own routes have no service behind them.
    expect(operations().filter((op) => owner(op.url) === '').map((op) => `${op.method} ${op.url}`)).toEqual(['POST /v1/links']);
    for (const op of operations().filter((o) => owner(o.url) !== '')) {
      const service = serviceUrl(owner(op.url));
      for (const target of [op.url, ...spellings(op.url)]) expect([op.method, target, await rawStatus(service, op.method, target, {})]).toEqual([op.method, target, 401]);
    }
  });
});

