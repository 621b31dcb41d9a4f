import { gzipSync } from 'node:zlib';
import { signedHeaders } from '@meridian/service/testing';
import { describe, expect, it } from 'vitest';
import { stackForFile } from './stack.js';

const stack = stackForFile('zipper', 'read,write', ['gateway', 'backtest']);
const url = (service: string) => stack.url(service);

describe('a gzip-encoded request body', () => {
  const strategy = (name: string) => gzipSync(JSON.stringify({ name, spec: { type: 'ma-cross', fast: 5, slow: 20 } }));

  it('is taken through the gateway, as it is by the service directly', async () => {
    const through = await fetch(`${url('gateway')}/v1/strategies`, { method: 'POST', headers: { ...stack.auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: strategy('through the gateway') });
    expect(through.status).toBe(201);
    expect(await through.json()).toMatchObject({ name: 'through the gateway' });

    const body = strategy('directly');
    const direct = await fetch(`${url('backtest')}/v1/strategies`, {
      method: 'POST',
      headers: { ...signedHeaders(stack.ctx.config('backtest'), 'POST', '/v1/strategies', { tenant: 'zipper', keyId: 'k' }, body), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    expect(direct.status).toBe(201);
  });

  it('is refused with 400 problem+json when it does not decompress', async () => {
    const res = await fetch(`${url('gateway')}/v1/strategies`, { method: 'POST', headers: { ...stack.auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip at all' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
