import { afterAll, describe, expect, it } from 'vitest';
import { Cache, CacheTimeoutError, hitRate, type Namespace } from '../src/index.js';
import { cacheKit, eventually, holdLock as holdLockOf } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

const expired = (space: Namespace, key: string) => eventually(`${key}'s TTL to run out`, () => space.peek(key) === undefined);

const holdLock = (namespace: string, key: string) => holdLockOf(kit, namespace, key);

describe('what a namespace counts', () => {
  it('counts misses, factory calls, memory hits and Redis hits, and their hit rate', async () => {
    const first = await kit.cache();
    const second = await kit.cache();
    expect(await first.namespace('counted').getOrSet('k', () => 'v')).toBe('v');
    expect(first.stats().namespaces.counted).toMatchObject({ misses: 1, factoryCalls: 1, l1Hits: 0, l2Hits: 0 });
    expect(await first.namespace('counted').getOrSet('k', () => 'other')).toBe('v');
    expect(first.stats().namespaces.counted).toMatchObject({ misses: 1, factoryCalls: 1, l1Hits: 1 });
    expect(await second.namespace('counted').getOrSet('k', () => 'other')).toBe('v');
    const stats = second.stats().namespaces.counted;
    expect(stats).toMatchObject({ misses: 0, factoryCalls: 0, l1Hits: 0, l2Hits: 1 });
    expect(hitRate(first.stats().namespaces.counted as NonNullable<typeof stats>)).toBe(0.5);
    expect(hitRate({ ...(stats as NonNullable<typeof stats>), staleHits: 1, misses: 2 })).toBe(0.5);
    expect(hitRate({ l1Hits: 0, l2Hits: 0, staleHits: 0, misses: 0, factoryCalls: 0, factoryErrors: 0, timeouts: 0, lockWaits: 0 })).toBe(0);
  });

  it('hands out a copy of the counters, which later calls do not change', async () => {
    const cache = await kit.cache();
    await cache.namespace('copied').getOrSet('k', () => 1);
    const before = cache.stats().namespaces.copied;
    await cache.namespace('copied').getOrSet('k', () => 1);
    expect(before?.l1Hits).toBe(0);
    expect(cache.stats().namespaces.copied?.l1Hits).toBe(1);
  });
});

describe('get, has, set and delete', () => {
  it('gets only fresh values, from memory or Redis; has() knows a value kept for grace', async () => {
    const writer = await kit.cache();
    const reader = await kit.cache();
    const space = writer.namespace('kept', { ttlMs: 50, graceMs: 60_000 });
    await space.set('k', 'v');
    expect(await space.get('k')).toBe('v');
    expect(await reader.namespace('kept', { ttlMs: 50, graceMs: 60_000 }).get('k')).toBe('v');
    expect(await reader.namespace('kept').has('k')).toBe(true);
    await expired(space, 'k');
    expect(await space.get('k')).toBeUndefined();
    expect(await (await kit.cache()).namespace('kept').get('k')).toBeUndefined();
    expect(await space.has('k')).toBe(true);
    expect(await (await kit.cache()).namespace('kept').has('k')).toBe(true);
    expect(await space.has('never-set')).toBe(false);
  });

  it('keeps a value in Redis for its TTL plus grace, then lets Redis drop it', async () => {
    const cache = await kit.cache();
    await cache.namespace('ttl', { ttlMs: 10_000, graceMs: 50_000 }).set('k', 1);
    const pttl = await (await kit.redis()).pttl(`${kit.prefix}c:ttl:k`);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it("takes a call's own TTL, grace and tags over the namespace's", async () => {
    const cache = await kit.cache();
    const space = cache.namespace('overridden', { ttlMs: 60_000, graceMs: 0 });
    await space.getOrSet('short', () => 1, { ttlMs: 30, graceMs: 20_000, tags: ['report:1'] });
    const pttl = await (await kit.redis()).pttl(`${kit.prefix}c:overridden:short`);
    expect(pttl).toBeGreaterThan(15_000);
    expect(pttl).toBeLessThanOrEqual(20_030);
    await expired(space, 'short');
    expect(await space.getOrSet('short', () => 2)).toBe(2);
    await space.getOrSet('tagged', () => 'x', { tags: ['report:1'] });
    await cache.deleteByTag(['report:1']);
    expect(await space.has('tagged')).toBe(false);
  });

  it('tags each entry of a setMany with its own tags and the call’s', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('many');
    await space.setMany([{ key: 'a', value: 1, tags: ['symbol:A'] }, { key: 'b', value: 2, tags: ['symbol:B'] }, { key: 'c', value: 3 }], { tags: ['batch'] });
    expect(await space.getMany(['a', 'b', 'c'])).toEqual([1, 2, 3]);
    await cache.deleteByTag(['symbol:A']);
    expect(await space.getMany(['a', 'b', 'c'])).toEqual([undefined, 2, 3]);
    await cache.deleteByTag(['batch']);
    expect(await space.getMany(['b', 'c'])).toEqual([undefined, undefined]);
  });

  it('deletes several keys from memory and Redis, on every instance', async () => {
    const first = await kit.cache();
    const second = await kit.cache();
    await first.namespace('gone').setMany([{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'c', value: 3 }]);
    expect(await second.namespace('gone').getMany(['a', 'b', 'c'])).toEqual([1, 2, 3]);
    await first.namespace('gone').deleteMany(['a', 'b']);
    expect(await first.namespace('gone').getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, 3]);
    await eventually('the other instance to drop them', async () => (await second.namespace('gone').get('a')) === undefined);
    expect(await second.namespace('gone').getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, 3]);
    expect(await (await kit.redis()).exists(`${kit.prefix}c:gone:a`, `${kit.prefix}c:gone:b`, `${kit.prefix}c:gone:c`)).toBe(1);
    await first.namespace('gone').delete('c');
    expect(await first.namespace('gone').has('c')).toBe(false);
  });

  it('stores undefined as null in a JSON namespace', async () => {
    const cache = await kit.cache();
    await cache.namespace('json-undefined', { codec: 'json' }).set('k', undefined);
    expect((await (await kit.redis()).getBuffer(`${kit.prefix}c:json-undefined:k`))?.toString('utf8')).toContain('null');
    expect(await (await kit.cache()).namespace('json-undefined', { codec: 'json' }).get('k')).toBeNull();
  });

  it('works from memory alone without Redis', async () => {
    const cache = new Cache({ prefix: kit.prefix });
    await cache.start();
    const space = cache.namespace('alone');
    expect(await space.getOrSet('k', () => 'v')).toBe('v');
    expect(await space.getOrSet('k', () => 'other')).toBe('v');
    expect(await space.has('k')).toBe(true);
    await space.delete('k');
    expect(await space.has('k')).toBe(false);
    expect(cache.stats().l2).toEqual({ errors: 0, breaker: 'closed', pendingInvalidations: 0 });
    cache.close();
  });
});

describe('a value another instance is making (the lock is held)', () => {
  it('waits for its value, counting the wait, instead of calling the factory', async () => {
    const cache = await kit.cache();
    const release = await holdLock('waits', 'k');
    let calls = 0;
    const pending = cache.namespace('waits').getOrSet('k', () => ++calls);
    await eventually('the caller to wait on the lock', () => cache.stats().namespaces.waits?.lockWaits === 1);
    await (await kit.cache()).namespace('waits').set('k', 41);
    expect(await pending).toBe(41);
    expect(calls).toBe(0);
    await release();
  });

  it('serves the stale value past the soft timeout', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('soft', { ttlMs: 30, graceMs: 60_000 });
    await space.set('k', 'old');
    await expired(space, 'k');
    const release = await holdLock('soft', 'k');
    expect(await space.getOrSet('k', () => 'new', { timeoutMs: 50 })).toBe('old');
    expect(cache.stats().namespaces.soft).toMatchObject({ staleHits: 1, factoryCalls: 0, lockWaits: 1 });
    await release();
  });

  it('throws CacheTimeoutError at the hard timeout when nothing stale is kept', async () => {
    const cache = await kit.cache();
    const release = await holdLock('hard', 'k');
    const error = await cache.namespace('hard').getOrSet('k', () => 'v', { hardTimeoutMs: 60 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheTimeoutError);
    expect(error).toMatchObject({ name: 'CacheTimeoutError', message: 'The value for "c:hard:k" was not ready within 60 ms and no stale copy was kept.' });
    expect(cache.stats().namespaces.hard).toMatchObject({ timeouts: 1, factoryCalls: 0 });
    await release();
  });

  it('takes the lock and makes the value itself when the holder lets go without one', async () => {
    const cache = await kit.cache();
    const release = await holdLock('abandoned', 'k');
    let calls = 0;
    const pending = cache.namespace('abandoned').getOrSet('k', () => ++calls);
    await eventually('the caller to wait on the lock', () => cache.stats().namespaces.abandoned?.lockWaits === 1);
    await release();
    expect(await pending).toBe(1);
    expect(calls).toBe(1);
    await eventually('its own lock to be released', async () => (await (await kit.redis()).exists(`${kit.prefix}lock:c:abandoned:k`)) === 0);
  });

  it('takes the value the holder wrote as it let go, without calling the factory', async () => {
    const cache = await kit.cache();
    const release = await holdLock('handed', 'k');
    let calls = 0;
    const pending = cache.namespace('handed').getOrSet('k', () => ++calls);
    await eventually('the caller to wait on the lock', () => cache.stats().namespaces.handed?.lockWaits === 1);
    await (await kit.cache()).namespace('handed').set('k', 7);
    await release();
    expect(await pending).toBe(7);
    expect(calls).toBe(0);
    await eventually('no lock to be left', async () => (await (await kit.redis()).exists(`${kit.prefix}lock:c:handed:k`)) === 0);
  });

  it('makes the value itself once the lock wait is over', async () => {
    const cache = await kit.cache({ lockWaitMs: 100 });
    const release = await holdLock('late', 'k');
    expect(await cache.namespace('late').getOrSet('k', () => 'mine')).toBe('mine');
    expect(cache.stats().namespaces.late).toMatchObject({ factoryCalls: 1, lockWaits: 1 });
    await release();
  });

  it('waits 5 s for the lock holder by default before making the value itself', async () => {
    // Redis gets longer than its default 50 ms: a slow answer would end the wait early.
    const cache = await kit.cache({ l2TimeoutMs: 5_000 });
    const release = await holdLock('patient', 'k');
    const started = Date.now();
    expect(await cache.namespace('patient').getOrSet('k', () => 'mine')).toBe('mine');
    // A lower bound only: a slow machine can make the wait longer, never shorter.
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(cache.stats().namespaces.patient).toMatchObject({ factoryCalls: 1, lockWaits: 1 });
    await release();
  });
});

describe('a failing factory with a stale value', () => {
  it('serves the stale value and does not call the factory again until the throttle ends', async () => {
    const cache = await kit.cache({ failSafeThrottleMs: 300 });
    const space = cache.namespace('throttled', { ttlMs: 30, graceMs: 60_000 });
    await space.set('k', 'old');
    await expired(space, 'k');
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('down');
    };
    expect(await space.getOrSet('k', failing)).toBe('old');
    expect(await space.getOrSet('k', failing)).toBe('old');
    expect(calls).toBe(1);
    await expired(space, 'k');
    expect(await space.getOrSet('k', () => 'new')).toBe('new');
  });

  it('prefers the newer of the stale values in memory and in Redis', async () => {
    const first = await kit.cache();
    const second = await kit.cache();
    const options = { ttlMs: 30, graceMs: 60_000 };
    await first.namespace('newest', options).set('k', 'older');
    const olderAt = Date.now();
    await eventually('the clock to move on', () => Date.now() > olderAt);
    await second.namespace('newest', options).set('k', 'newer');
    // Both stale now: the newer one in Redis must win over the older one in memory.
    await expired(first.namespace('newest', options), 'k');
    await expired(second.namespace('newest', options), 'k');
    expect(await first.namespace('newest').getOrSet('k', () => Promise.reject(new Error('down')))).toBe('newer');
    expect(first.stats().namespaces.newest).toMatchObject({ staleHits: 1, l2Hits: 0, factoryErrors: 1 });
  });
});

describe('early refresh', () => {
  it('never refreshes early when the fraction is 0', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('not-eager', { ttlMs: 150, eagerRefresh: 0 });
    let version = 0;
    await space.getOrSet('k', () => ++version);
    const storedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, storedAt + 100 - Date.now())));
    for (let i = 0; i < 3; i++) expect(await space.getOrSet('k', () => ++version)).toBe(1);
    expect(version).toBe(1);
  });
});

describe('the invalidation bus', () => {
  it('ignores a message on its channel that is not an invalidation, and goes on working', async () => {
    const first = await kit.cache();
    const second = await kit.cache();
    await second.namespace('bus').set('k', 1);
    await (await kit.redis()).publish(`${kit.prefix}cache:bus`, 'not json');
    await first.namespace('bus').delete('k');
    await eventually('the deletion to reach the other instance', async () => (await second.namespace('bus').get('k')) === undefined);
  });
});
