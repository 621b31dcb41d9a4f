import { afterAll, describe, expect, it } from 'vitest';
import { Cache, RedisStore } from '../src/index.js';
import { cacheKit, eventually, faulty, intercept, sleep } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

describe('the tier stack', () => {
  it('counts what memory holds: entries, their encoded bytes, and evictions past the entry bound', async () => {
    const cache = await kit.cache({ l1MaxEntries: 3 });
    const space = cache.namespace('counted-l1', { codec: 'json' });
    await space.set('a', 'x'.repeat(100));
    const one = cache.stats().l1;
    expect(one).toEqual({ entries: 1, bytes: 102, evictions: 0 });
    for (const key of ['b', 'c', 'd', 'e']) await space.set(key, 'x'.repeat(100));
    expect(cache.stats().l1).toEqual({ entries: 3, bytes: 3 * 102, evictions: 2 });
  });

  it('counts as evictions only what the entry bound pushed out, not deletes or new values', async () => {
    const cache = await kit.cache({ l1MaxEntries: 3 });
    const space = cache.namespace('not-evicted');
    await space.set('a', 1);
    await space.set('a', 2);
    await space.delete('a');
    expect(cache.stats().l1).toMatchObject({ entries: 0, evictions: 0 });
  });

  it('lets a failed factory try again after 1 s by default, serving the stale value until then', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('throttled-by-default', { ttlMs: 30, graceMs: 60_000 });
    await space.set('k', 'old');
    await eventually('the TTL to run out', () => space.peek('k') === undefined);
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('down');
    };
    const before = Date.now();
    expect(await space.getOrSet('k', failing)).toBe('old');
    expect(await space.getOrSet('k', failing)).toBe('old');
    expect(calls).toBe(1);
    await eventually('the factory to be tried again', async () => (await space.getOrSet('k', failing)) === 'old' && calls === 2);
    // A lower bound only: a slow machine makes it later, never earlier.
    expect(Date.now() - before).toBeGreaterThanOrEqual(1_000);
  });

  it('carries on without Redis when it fails between reading a value and reading its tags', async () => {
    const redis = await kit.redis();
    await (await kit.cache()).namespace('second-read').set('k', 'v', { tags: ['unheard-of'] });
    const inner = new RedisStore(redis, kit.prefix);
    let reads = 0;
    const store = intercept(inner, 'read', (target) => async (ids, tags) => {
      if (++reads === 2) throw new Error('injected Redis failure');
      return target.read(ids, tags);
    });
    const cache = await kit.cache({ store, bus: false });
    expect(await cache.namespace('second-read').get('k')).toBeUndefined();
    expect(reads).toBe(2);
    expect(await cache.namespace('second-read').get('k')).toBe('v');
  });

  it('gives the same namespace, with its first options, each time it is asked for', async () => {
    const cache = await kit.cache();
    const first = cache.namespace('asked-twice', { ttlMs: 5 });
    expect(cache.namespace('asked-twice', { ttlMs: 10 })).toBe(first);
    expect(first.options.ttlMs).toBe(5);
  });

  it('queues an invalidation Redis refused, and sends none without a bus when Redis is fine', async () => {
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const failing = await kit.cache({ store, bus: false, breakerFailures: 100 });
    state.failing = true;
    await failing.namespace('queued').delete('k');
    expect(failing.stats().l2.pendingInvalidations).toBe(1);
    const deaf = await kit.cache({ bus: false });
    await deaf.namespace('queued').delete('k');
    expect(deaf.stats().l2.pendingInvalidations).toBe(0);
  });

  it('holds a lock for 10 s by default, and remembers an invalidated tag in Redis for a day', async () => {
    const cache = await kit.cache();
    const redis = await kit.redis();
    let release: () => void = () => undefined;
    const pending = cache.namespace('locked').getOrSet('k', () => new Promise<number>((resolve) => (release = () => resolve(1))));
    const lockKey = `${kit.prefix}lock:c:locked:k`;
    await eventually('the lock to be taken', async () => (await redis.exists(lockKey)) === 1);
    const lockTtl = await redis.pttl(lockKey);
    expect(lockTtl).toBeGreaterThan(9_000);
    expect(lockTtl).toBeLessThanOrEqual(10_000);
    release();
    expect(await pending).toBe(1);
    await cache.deleteByTag(['kept-a-day']);
    const tagTtl = await redis.pttl(`${kit.prefix}tag:d:kept-a-day`);
    expect(tagTtl).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(tagTtl).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('keeps 10,000 entries in memory by default, evicting the least recently used past that', async () => {
    const cache = new Cache({ prefix: kit.prefix });
    const space = cache.namespace('bounded-by-default');
    for (let i = 0; i <= 10_000; i++) await space.set(`k${i}`, i);
    expect(cache.stats().l1).toMatchObject({ entries: 10_000, evictions: 1 });
    expect(space.peek('k0')).toBeUndefined();
    expect(space.peek('k1')).toBe(1);
  });

  it('drops its memory rather than learn more than 100,000 tag invalidations', async () => {
    // Without Redis the tags are only known here; past the bound, memory is dropped as after a gap in the bus.
    const cache = new Cache({ prefix: kit.prefix });
    const space = cache.namespace('many-tags');
    await space.set('kept', 1);
    await cache.expireByTag(Array.from({ length: 100_000 }, (_, i) => `t${i}`));
    expect(space.peek('kept')).toBe(1);
    await cache.expireByTag(['one-more']);
    expect(space.peek('kept')).toBeUndefined();
  });

  it('reads invalidations from Redis for tags this instance never heard of', async () => {
    const writer = await kit.cache();
    await writer.namespace('learned').set('k', 'v', { tags: ['symbol:LEARN'] });
    await writer.deleteByTag(['symbol:LEARN']);
    // A new instance without the bus: only Redis can tell it the entry is gone.
    const deaf = await kit.cache({ bus: false });
    expect(await deaf.namespace('learned').get('k')).toBeUndefined();
    expect(await deaf.namespace('learned').getOrSet('k', () => 'new')).toBe('new');
  });

  it('says when Redis starts failing and when it answers again', async () => {
    const lines: [string, string][] = [];
    const details: object[] = [];
    const logger = {
      warn: (detail: object, message: string) => (lines.push(['warn', message]), details.push(detail)),
      info: (_: object, message: string) => lines.push(['info', message]),
    };
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const cache = await kit.cache({ store, bus: false, breakerFailures: 2, breakerOpenMs: 50, logger });
    state.failing = true;
    // Calls already under way when it opens do not open it again.
    await Promise.all([0, 1, 2].map((i) => cache.namespace('logged').getOrSet(`k${i}`, () => i)));
    expect(lines).toEqual([['warn', 'cache: Redis is failing; serving from memory only']]);
    expect(details).toEqual([{ err: 'injected Redis failure' }]);
    state.failing = false;
    await sleep(60);
    await cache.namespace('logged').getOrSet('again', () => 1);
    expect(lines).toEqual([
      ['warn', 'cache: Redis is failing; serving from memory only'],
      ['info', 'cache: Redis answers again; L2 back in use'],
    ]);
  });

  it('names the timeout when Redis is too slow', async () => {
    const details: object[] = [];
    const logger = { warn: (detail: object) => details.push(detail), info: () => undefined };
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const cache = await kit.cache({ store, bus: false, breakerFailures: 1, l2TimeoutMs: 20, logger });
    state.held = new Promise(() => undefined);
    expect(await cache.namespace('slow-logged').getOrSet('k', () => 1)).toBe(1);
    expect(details).toEqual([{ err: 'Redis did not answer within 20 ms' }]);
  });

  it('listens to the bus only when asked', async () => {
    const deaf = await kit.cache({ bus: false });
    const other = await kit.cache();
    await deaf.namespace('deaf').set('k', 1);
    await other.namespace('deaf').delete('k');
    // Redis no longer has it, but the deaf instance still serves its memory.
    await sleep(50);
    expect(await deaf.namespace('deaf').get('k')).toBe(1);
  });
});
