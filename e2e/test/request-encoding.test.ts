import { gzipSync } from 'node:zlib';
import { createTestContext, signedHeaders, type TestContext } from '@meridian/service/testing';
import type { RunningStack } from '@meridian/tools/stack/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyWithCli, startStack, stackEnv } from './stack.js';

let ctx: TestContext;
let stack: RunningStack;
let url: (service: string) => string;
let auth: Record<string, string>;

beforeAll(async () => {
  ctx = await createTestContext({ emptyDatabase: true });
  const env = await stackEnv(ctx);
  ({ stack, url } = await startStack(env, ['gateway', 'backtest']));
  auth = { authorization: `Bearer ${createKeyWithCli(env, 'zipper', 'read,write').trim()}` };
});

afterAll(async () => {
  await stack?.stop();
  await ctx?.cleanup();
});

describe('a gzip-encoded request body', () => {
  const strategy = (name: string) => gzipSync(JSON.stringify({ name, spec: { rule: 'sma_cross', fast: 5, slow: 20 } }));

  it('is taken through the gateway, as it is by the service directly', async () => {
    const through = await fetch(`${url('gateway')}/v1/strategies`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: strategy('through the gateway') });
    expect(through.status).toBe(201);
    expect(await through.json()).toMatchObject({ name: 'through the gateway' });

    const body = strategy('directly');
    const direct = await fetch(`${url('backtest')}/v1/strategies`, {
      method: 'POST',
      headers: { ...signedHeaders(ctx.config('backtest'), 'POST', '/v1/strategies', { tenant: 'zipper', keyId: 'k' }, body), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    expect(direct.status).toBe(201);
  });

  it('is refused with 400 problem+json when it does not decompress', async () => {
    const res = await fetch(`${url('gateway')}/v1/strategies`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip at all' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
