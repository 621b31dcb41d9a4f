import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { startRedisServer } from '../src/testing/index.js';
import { cacheKit, eventually, faulty, sleep } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

describe('when Redis misbehaves', () => {
  it('opens the breaker after repeated failures, stops calling Redis, and closes once Redis answers', async () => {
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const cache = await kit.cache({ store, bus: false, breakerFailures: 3, breakerOpenMs: 100 });
    const space = cache.namespace('signals');
    state.failing = true;
    for (let i = 0; i < 5; i++) expect(await space.getOrSet(`down-${i}`, () => i)).toBe(i);
    expect(cache.stats().l2.breaker).toBe('open');
    const callsWhileOpen = state.calls;
    for (let i = 5; i < 50; i++) await space.getOrSet(`down-${i}`, () => i);
    expect(state.calls).toBe(callsWhileOpen);

    state.failing = false;
    await sleep(120);
    await space.getOrSet('probe', () => 'p');
    expect(cache.stats().l2.breaker).toBe('closed');
  });

  it('gives up on a slow Redis after the L2 timeout instead of waiting for it', async () => {
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const cache = await kit.cache({ store, bus: false, l2TimeoutMs: 20, breakerFailures: 100 });
    let answer: () => void = () => undefined;
    state.held = new Promise((resolve) => (answer = resolve));
    expect(await cache.namespace('signals').getOrSet('slow-redis', () => 'from factory')).toBe('from factory');
    // Redis has not answered anything yet: the read was cut at the timeout, not waited for; with
    // L2 failing no lock is tried, and the write is left to run in background.
    expect(state.answered).toBe(0);
    expect(cache.stats().l2.errors).toBe(1);
    answer();
    await eventually('the background write to land', async () => state.answered > 0);
  });

  it('keeps invalidations made while Redis is away and sends them when it is back', async () => {
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const writer = await kit.cache({ store, breakerFailures: 1, breakerOpenMs: 50 });
    const reader = await kit.cache();
    await reader.namespace('bars').getOrSet('pending', () => 'old', { tags: ['symbol:PEND'] });
    state.failing = true;
    await writer.deleteByTag(['symbol:PEND']);
    expect(writer.stats().l2.pendingInvalidations).toBe(1);
    state.failing = false;
    await sleep(60);
    await writer.namespace('bars').getOrSet('anything', () => 1);
    await eventually('the queued invalidation to reach the reader', async () => !(await reader.namespace('bars').has('pending')));
    expect(writer.stats().l2.pendingInvalidations).toBe(0);
  });

  it('survives a real Redis stop and restart without throwing to callers', async () => {
    const server = await startRedisServer();
    const client = await kit.redis(server.url);
    const cache = await kit.cache({ redis: client, breakerFailures: 3, breakerOpenMs: 200 });
    const space = cache.namespace('signals');
    expect(await space.getOrSet('before', () => 'kept')).toBe('kept');

    await server.stop();
    for (let i = 0; i < 10; i++) expect(await space.getOrSet(`while-down-${i}`, () => i)).toBe(i);
    expect(cache.stats().l2.breaker).not.toBe('closed');
    // Once open, the breaker keeps callers off Redis: further misses add no Redis failures (one
    // probe at most, should the open period end meanwhile).
    const failures = cache.stats().l2.errors;
    for (let i = 10; i < 30; i++) expect(await space.getOrSet(`while-down-${i}`, () => i)).toBe(i);
    expect(cache.stats().l2.errors - failures).toBeLessThanOrEqual(1);
    // Values already in memory are still served.
    expect(await space.getOrSet('before', () => 'recomputed')).toBe('kept');

    await server.start();
    try {
      await eventually('the breaker to close', async () => {
        await space.getOrSet(`after-${Date.now()}`, () => 1);
        return cache.stats().l2.breaker === 'closed';
      }, 10_000);
      const check = await kit.redis(server.url);
      await space.set('written-after', 'yes');
      expect(await check.exists(`${kit.prefix}c:signals:written-after`)).toBe(1);
    } finally {
      cache.close();
      client.disconnect();
      await server.stop();
    }
  });
});
