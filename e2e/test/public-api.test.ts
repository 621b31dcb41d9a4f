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
let doc: Doc;
const keys: Record<'none' | 'read' | 'full', Record<string, string>> = { none: {}, read: {}, full: {} };

beforeAll(async () => {
  ctx = await createTestContext({ emptyDatabase: true });
  const env = await stackEnv(ctx);
  let url: (service: string) => string;
  ({ stack, url } = await startStack(env));
  gateway = url('gateway');
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
  await res.arrayBuffer();
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

  it('is served as a page at /docs', async () => {
    const res = await fetch(`${gateway}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});

describe('every public route', () => {
  it('answers 401 without a key', async () => {
    for (const op of operations()) expect([op, await call(op, keys.none)]).toEqual([op, 401]);
  });

  it('answers 403 to a read-only key on a mutation, and lets it read', async () => {
    for (const op of operations()) {
      const status = await call(op, keys.read);
      if (op.method === 'GET') expect([op, status === 401 || status === 403]).toEqual([op, false]);
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
