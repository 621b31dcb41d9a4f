import { afterAll, describe, expect, it } from 'vitest';
import { CacheTimeoutError, type Namespace } from '../src/index.js';
import { cacheKit, eventually, sleep } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

/** Waits until the key's value in memory is no longer fresh: its TTL has run out. */
const expired = (space: Namespace, key: string) => eventually(`${key}'s TTL to run out`, () => space.peek(key) === undefined);

describe('grace (fail-safe)', () => {
  it('serves the stale value when the factory throws after the TTL, and says so in stats', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('signals', { ttlMs: 50, graceMs: 10_000 });
    expect(await space.getOrSet('k', () => 'first')).toBe('first');
    await expired(space, 'k');
    const value = await space.getOrSet('k', () => {
      throw new Error('database down');
    });
    expect(value).toBe('first');
    expect(cache.stats().namespaces.signals).toMatchObject({ staleHits: 1, factoryErrors: 1 });
  });

  it('throws the factory error when no stale value is kept', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('signals', { ttlMs: 50, graceMs: 0 });
    await space.getOrSet('no-grace', () => 'first');
    await expired(space, 'no-grace');
    await expect(space.getOrSet('no-grace', () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
  });

  it('serves stale past the soft timeout and stores the slow value when it arrives', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('indicators', { ttlMs: 50, graceMs: 10_000 });
    await space.getOrSet('slow', () => 'old');
    await expired(space, 'slow');
    // The new value is held back until the stale one has been served: getOrSet cannot have
    // waited for it.
    let release: (value: string) => void = () => undefined;
    const slow = new Promise<string>((resolve) => (release = resolve));
    // The new value is fresh for a minute: a slow poll cannot miss it.
    const value = await space.getOrSet('slow', () => slow, { timeoutMs: 30, ttlMs: 60_000 });
    expect(value).toBe('old');
    release('new');
    await eventually('the background refresh to land', async () => (await space.get('slow')) === 'new');
    expect(cache.stats().namespaces.indicators?.timeouts).toBe(1);
  });

  it('bounds a cold miss by the hard timeout', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('indicators');
    await expect(space.getOrSet('cold-slow', () => sleep(500).then(() => 1), { hardTimeoutMs: 40 })).rejects.toBeInstanceOf(CacheTimeoutError);
  });
});

describe('eager refresh', () => {
  it('refreshes a hot key in background late in its TTL, without making the caller wait', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('signals', { ttlMs: 1_000, eagerRefresh: 0.1 });
    let version = 0;
    const factory = () => ++version;
    expect(await space.getOrSet('hot', factory)).toBe(1);
    const storedAt = Date.now();
    // Early in the TTL: served from the cache, nothing refreshed.
    expect(await space.getOrSet('hot', factory)).toBe(1);
    expect(version).toBe(1);
    await sleep(storedAt + 150 - Date.now());
    // Past a tenth of the TTL: this caller gets the current value, a later one the refreshed value.
    expect(await space.getOrSet('hot', factory)).toBe(1);
    await eventually('the refresh', async () => (await space.getOrSet('hot', factory)) === 2);
    expect(version).toBe(2);
    // Refreshed while still fresh: no caller ever missed (a reload after the TTL would count one).
    expect(cache.stats().namespaces.signals?.misses).toBe(1);
  });
});

describe('L1 bounds', () => {
  it('keeps the in-process tier under its byte bound by evicting', async () => {
    const cache = await kit.cache({ l1MaxBytes: 20_000 });
    const space = cache.namespace('bars');
    for (let i = 0; i < 40; i++) await space.set(`big-${i}`, 'x'.repeat(1_000));
    const { l1 } = cache.stats();
    expect(l1.bytes).toBeLessThanOrEqual(20_000);
    expect(l1.evictions).toBeGreaterThan(0);
    // Evicted from memory, still in Redis.
    expect(await space.get('big-0')).toBe('x'.repeat(1_000));
  });
});
