import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../src/index.js';
import { jsonDepth } from '../src/plugins/json-body.js';
import { createTestContext, signedHeaders, type TestContext } from '../src/testing/index.js';

let ctx: TestContext;
let app: Service;


beforeAll(async () => {
  ctx = await createTestContext();
  app = await createService({ config: ctx.config('backtest') });
  app.get('/v1/jobs/:id', async (request) => request.params);
  app.post('/v1/specs', { schema: { body: Type.Array(Type.Unknown()) } }, async () => ({ ok: true }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await ctx.cleanup();
});

const post = (payload: string) => app.inject({ method: 'POST', url: '/v1/specs', payload, headers: { 'content-type': 'application/json', ...signedHeaders(app.config, 'POST', '/v1/specs', undefined, payload) } });

describe('odd inputs', () => {
  it('refuses a JSON body nested 5,000 levels deep with 400 problem+json, not 500', async () => {
    const res = await post(`${'['.repeat(5000)}"x"${']'.repeat(5000)}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: '/problems/body-too-deep', status: 400 });
  });

  it('takes a body nested within the bound, and counts brackets inside strings as text', async () => {
    expect((await post(`${'['.repeat(60)}"${'['.repeat(500)}"${']'.repeat(60)}`)).statusCode).toBe(200);
    expect(jsonDepth('{"a":[{"b":"]]]}}}"}]}')).toBe(3);
    expect(jsonDepth('["\\\\", ["\\"["]]')).toBe(2);
  });

  it('still refuses prototype poisoning', async () => {
    expect((await post('{"__proto__":{"x":1}}')).statusCode).toBe(400);
  });

  it('answers an over-long path segment with 414 problem+json carrying the request id', async () => {
    const url = `/v1/jobs/${'a'.repeat(300)}`;
    const res = await app.inject({ url, headers: { ...signedHeaders(app.config, 'GET', url), 'x-request-id': 'long-1' } });
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['x-request-id']).toBe('long-1');
    expect(res.json()).toMatchObject({ type: '/problems/uri-too-long', requestId: 'long-1' });
  });

  it('replaces an unsafe X-Request-Id with its own, and logs the client one beside it, bounded', async () => {
    const bindings: Record<string, unknown>[] = [];
    const probe = await createService({ config: ctx.config('backtest') });
    probe.addHook('onResponse', (request, _reply, done) => {
      // Fastify's logger is pino, whose children know what they were bound with.
      bindings.push((request.log as unknown as { bindings(): Record<string, unknown> }).bindings());
      done();
    });
    await probe.ready();
    const unsafe = `evil\u202e${'x'.repeat(200)}`;
    const res = await probe.inject({ url: '/health/live', headers: { 'x-request-id': unsafe } });
    const kept = await probe.inject({ url: '/health/live', headers: { 'x-request-id': 'trace-42.a:b' } });
    await probe.close();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(bindings[0]?.clientRequestId).toBe(unsafe.slice(0, 128));
    expect(kept.headers['x-request-id']).toBe('trace-42.a:b');
    expect(bindings[1]).not.toHaveProperty('clientRequestId');
    expect((await app.inject({ url: '/health/live', headers: { 'x-request-id': 'a'.repeat(65) } })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('non-finite numbers in the query', () => {
  it.each(['Infinity', '-Infinity', '1e309', 'NaN'])('answers limit=%s with 400 problem+json, never reaching the database', async (value) => {
    const bounded = await createService({ config: ctx.config('backtest'), internalAuth: false });
    bounded.get('/v1/list', { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }) } }, async (request) => ({ limit: request.query.limit }));
    const res = await bounded.inject(`/v1/list?limit=${value}`);
    await bounded.close();
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: '/problems/validation', errors: [expect.objectContaining({ field: 'querystring.limit' })] });
  });
});
