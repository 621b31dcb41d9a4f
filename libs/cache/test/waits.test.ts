import { afterAll, describe, expect, it } from 'vitest';
import { type Namespace, RedisStore } from '../src/index.js';
import { cacheKit, eventually, faulty, gate, holdLock, intercept, sleep } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

const expired = (space: Namespace, key: string) => eventually(`${key}'s TTL to run out`, () => space.peek(key) === undefined);
/** Under a loaded machine Redis may take over the default 50 ms: these tests are about waits, not Redis faults. */
const newCache = (options: Parameters<typeof kit.cache>[0] = {}) => kit.cache({ l2TimeoutMs: 5_000, ...options });
const lockKey = (namespace: string, key: string) => `${kit.prefix}lock:c:${namespace}:${key}`;

/** A namespace holding `old` for `key`, past its TTL but within grace. */
async function withStale(name: string): Promise<Namespace> {
  const cache = await newCache();
  const space = cache.namespace(name, { ttlMs: 30, graceMs: 60_000 });
  await space.set('k', 'old');
  await expired(space, 'k');
  return space;
}

describe('timeouts while another instance holds the lock', () => {
  it('keeps waiting for the holder past a soft timeout when nothing stale is kept', async () => {
    const cache = await newCache();
    const release = await holdLock(kit, 'soft-cold', 'k');
    let calls = 0;
    const started = Date.now();
    const pending = cache.namespace('soft-cold').getOrSet('k', () => ++calls, { timeoutMs: 10 });
    await eventually('the caller to wait on the lock', () => cache.stats().namespaces['soft-cold']?.lockWaits === 1);
    await eventually('the soft timeout to pass', () => Date.now() > started + 50);
    await (await newCache()).namespace('soft-cold').set('k', 41);
    expect(await pending).toBe(41);
    expect(calls).toBe(0);
    expect(cache.stats().namespaces['soft-cold']).toMatchObject({ l2Hits: 1, staleHits: 0, timeouts: 0 });
    await release();
  });

  it('takes the holder’s value within the soft timeout even when a stale one is kept', async () => {
    const space = await withStale('soft-stale');
    const release = await holdLock(kit, 'soft-stale', 'k');
    const pending = space.getOrSet('k', () => 'mine', { timeoutMs: 10_000 });
    await eventually('the caller to wait on the lock', () => space.stats.lockWaits === 1);
    await (await newCache()).namespace('soft-stale').set('k', 'holder');
    expect(await pending).toBe('holder');
    await release();
  });

  it('takes the holder’s value within the hard timeout', async () => {
    const cache = await newCache();
    const release = await holdLock(kit, 'hard-wait', 'k');
    const pending = cache.namespace('hard-wait').getOrSet('k', () => 'mine', { hardTimeoutMs: 10_000 });
    await eventually('the caller to wait on the lock', () => cache.stats().namespaces['hard-wait']?.lockWaits === 1);
    await (await newCache()).namespace('hard-wait').set('k', 'holder');
    expect(await pending).toBe('holder');
    await release();
  });

  it('makes the value itself when the holder lets go leaving only a stale one in Redis', async () => {
    const writer = (await newCache()).namespace('left-stale', { ttlMs: 30, graceMs: 60_000 });
    await writer.set('k', 'old');
    await expired(writer, 'k');
    const cache = await newCache();
    const release = await holdLock(kit, 'left-stale', 'k');
    const pending = cache.namespace('left-stale').getOrSet('k', () => 'new');
    await eventually('the caller to wait on the lock', () => cache.stats().namespaces['left-stale']?.lockWaits === 1);
    await release();
    expect(await pending).toBe('new');
  });

  it('serves the stale value at the hard timeout when no soft timeout is set', async () => {
    const space = await withStale('hard-stale');
    const release = await holdLock(kit, 'hard-stale', 'k');
    expect(await space.getOrSet('k', () => 'mine', { hardTimeoutMs: 50 })).toBe('old');
    expect(space.stats).toMatchObject({ timeouts: 1, staleHits: 1, factoryCalls: 0 });
    await release();
  });

  it('looks in Redis again after taking the lock, for the value its last holder wrote', async () => {
    const redis = await kit.redis();
    const inner = new RedisStore(redis, kit.prefix);
    const writer = await newCache();
    const release = await holdLock(kit, 'relock', 'k');
    let locks = 0;
    // Between this caller's last look and its next lock attempt, the holder writes its value and lets go.
    const store = intercept(inner, 'lock', (target) => async (key, ttlMs) => {
      if (++locks === 2) {
        await writer.namespace('relock').set('k', 'holder');
        await release();
      }
      return target.lock(key, ttlMs);
    });
    const cache = await newCache({ store, bus: false });
    let calls = 0;
    expect(await cache.namespace('relock').getOrSet('k', () => ++calls)).toBe('holder');
    expect(calls).toBe(0);
    expect(locks).toBe(2);
    await eventually('its own lock to be released', async () => (await redis.exists(lockKey('relock', 'k'))) === 0);
  });
});

describe('timeouts of its own factory', () => {
  it('waits for the factory when a stale value is kept but no soft timeout is set', async () => {
    const space = await withStale('no-soft');
    expect(await space.getOrSet('k', () => sleep(30).then(() => 'new'))).toBe('new');
  });

  it('takes the factory’s value when it comes within the soft and hard timeouts', async () => {
    const space = await withStale('within');
    expect(await space.getOrSet('k', () => sleep(30).then(() => 'new'), { timeoutMs: 10_000, hardTimeoutMs: 20_000 })).toBe('new');
  });

  it('waits past a soft timeout for the factory when nothing stale is kept', async () => {
    const cache = await newCache();
    expect(await cache.namespace('soft-own').getOrSet('k', () => sleep(50).then(() => 'v'), { timeoutMs: 5 })).toBe('v');
  });

  it('counts a factory failure that comes after the stale value was served', async () => {
    const space = await withStale('late-failure');
    let fail: (error: Error) => void = () => undefined;
    const failing = new Promise<never>((_, reject) => (fail = reject));
    expect(await space.getOrSet('k', () => failing, { timeoutMs: 20 })).toBe('old');
    fail(new Error('down'));
    await eventually('the failure to be counted', () => space.stats.factoryErrors === 1);
  });

  it('lets go of its lock at once when the factory fails', async () => {
    const cache = await newCache();
    const redis = await kit.redis();
    await expect(cache.namespace('failing-lock').getOrSet('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await eventually('the lock to be released', async () => (await redis.exists(lockKey('failing-lock', 'k'))) === 0);
  });
});

describe('early refresh', () => {
  it('does not refresh before the fraction of the TTL has passed', async () => {
    const cache = await newCache();
    const space = cache.namespace('not-yet', { ttlMs: 60_000, eagerRefresh: 0.5 });
    let calls = 0;
    await space.getOrSet('k', () => ++calls);
    // Its own lock gone, a refresh would take it and call the factory.
    await eventually('the first lock to be released', async () => (await (await kit.redis()).exists(lockKey('not-yet', 'k'))) === 0);
    expect(await space.getOrSet('k', () => ++calls)).toBe(1);
    // A refresh would have sent its lock command before this call's commands on the same connection.
    await space.getOrSet('other', () => 0);
    expect(calls).toBe(1);
    expect(space.stats.factoryCalls).toBe(2);
  });

  it('refreshes once across instances: the second finds the first one’s lock and does not call its factory', async () => {
    const options = { ttlMs: 60_000, eagerRefresh: 0.0001 };
    const a = (await newCache()).namespace('refresh-once', options);
    const b = (await newCache()).namespace('refresh-once', options);
    await a.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    const at = Date.now();
    await eventually('the refresh point to pass', () => Date.now() > at + 20);
    const next = gate<string>();
    expect(await a.getOrSet('k', () => next.promise)).toBe('v1');
    await eventually('a to take the lock', async () => (await (await kit.redis()).exists(lockKey('refresh-once', 'k'))) === 1);
    let bCalls = 0;
    expect(await b.getOrSet('k', () => `b${++bCalls}`)).toBe('v1');
    // b's refresh finds the lock taken and takes what Redis holds instead of calling its factory.
    await eventually('b to wait on the lock', () => b.stats.lockWaits === 1);
    await eventually('b’s refresh to read Redis', () => b.stats.l2Hits === 2);
    expect(bCalls).toBe(0);
    next.open('v2');
    await eventually('a’s refresh to land', () => a.peek('k') === 'v2');
  });
});

describe('what get, has, peek and clear see', () => {
  it('counts a peek that finds the value as a memory hit', async () => {
    const space = (await newCache()).namespace('peeked');
    await space.set('k', 1);
    expect(space.peek('k')).toBe(1);
    expect(space.stats.l1Hits).toBe(1);
  });

  it('knows a value only Redis holds', async () => {
    await (await newCache()).namespace('has-l2').set('k', 1);
    expect(await (await newCache()).namespace('has-l2').has('k')).toBe(true);
  });

  it('clears a namespace from every instance’s memory', async () => {
    const a = (await newCache()).namespace('cleared');
    const b = (await newCache()).namespace('cleared');
    await a.set('k', 1);
    expect(await b.get('k')).toBe(1);
    expect(b.peek('k')).toBe(1);
    await a.clear();
    await eventually('b to drop its copy', () => b.peek('k') === undefined);
  });

  it('prefers a newer stale value in memory over an older one in Redis', async () => {
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const a = await newCache({ store, bus: false });
    const options = { ttlMs: 30, graceMs: 60_000 };
    await (await newCache()).namespace('memory-newer', options).set('k', 'older');
    const olderAt = Date.now();
    await eventually('the clock to move on', () => Date.now() > olderAt);
    // Redis refuses this write: only a's memory has the newer value.
    state.failing = true;
    await a.namespace('memory-newer', options).set('k', 'newer');
    state.failing = false;
    await expired(a.namespace('memory-newer'), 'k');
    expect(await a.namespace('memory-newer').getOrSet('k', () => Promise.reject(new Error('down')))).toBe('newer');
  });
});

describe('a value made while something else changes it', () => {
  it('does not bring back a value deleted while it was being written to Redis', async () => {
    const cache = await newCache();
    const redis = await kit.redis();
    // Large enough to be compressed on the thread pool: the delete comes before the write.
    const space = cache.namespace('deleted-meanwhile', { compressAboveBytes: 0 });
    const big = Array.from({ length: 30_000 }, (_, i) => `row ${i}`).join('\n');
    expect(await space.getOrSet('k', () => big)).toBe(big);
    await space.delete('k');
    await eventually('the write to end and the lock to go', async () => (await redis.exists(lockKey('deleted-meanwhile', 'k'))) === 0);
    expect(space.peek('k')).toBeUndefined();
    expect(cache.stats().l1.entries).toBe(0);
  });

  it('holds the newest value in memory when a key is set again', async () => {
    const space = (await newCache()).namespace('set-again');
    await space.set('k', 1);
    await space.set('k', 2);
    expect(space.peek('k')).toBe(2);
    expect(await space.getOrSet('k', () => 3)).toBe(2);
  });

  it('counts a value’s encoded bytes in memory once it is written', async () => {
    const cache = await newCache();
    await cache.namespace('sized', { codec: 'json' }).getOrSet('k', () => 'x'.repeat(100));
    await eventually('the background write', () => cache.stats().l1.bytes === 102);
  });
});
