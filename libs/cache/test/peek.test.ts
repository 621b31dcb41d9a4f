import { afterAll, describe, expect, it } from 'vitest';
import { cacheKit, eventually } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

describe('Namespace.peek', () => {
  it('answers from memory only: a fresh value (null included), never one only Redis holds, nothing once deleted anywhere', async () => {
    const a = (await kit.cache()).namespace('apikeys', { ttlMs: 60_000 });
    const b = (await kit.cache()).namespace('apikeys', { ttlMs: 60_000 });
    expect(a.peek('k')).toBeUndefined();

    await a.getOrSet('k', () => ({ tenant: 'acme' }));
    await a.getOrSet('unknown', () => null);
    expect(a.peek('k')).toEqual({ tenant: 'acme' });
    expect(a.peek('unknown')).toBeNull();
    // In Redis, but not in b's memory until b reads it.
    expect(b.peek('k')).toBeUndefined();
    expect(await b.get('k')).toEqual({ tenant: 'acme' });
    expect(b.peek('k')).toEqual({ tenant: 'acme' });

    await a.delete('k');
    expect(a.peek('k')).toBeUndefined();
    await eventually('b to drop the deleted key', async () => b.peek('k') === undefined);
  });

  it('does not answer with an expired value', async () => {
    const space = (await kit.cache()).namespace('apikeys', { ttlMs: 30, graceMs: 60_000 });
    await space.getOrSet('short', () => 'v');
    expect(space.peek('short')).toBe('v');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(space.peek('short')).toBeUndefined();
  });
});
