import { afterAll, describe, expect, it } from 'vitest';
import { Cache, RedisStore } from '../src/index.js';
import { cacheKit, eventually, faulty, sleep } from './helpers.js';

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
    const logger = { warn: (_: object, message: string) => lines.push(['warn', message]), info: (_: object, message: string) => lines.push(['info', message]) };
    const { store, state } = faulty(new RedisStore(await kit.redis(), kit.prefix));
    const cache = await kit.cache({ store, bus: false, breakerFailures: 2, breakerOpenMs: 50, logger });
    state.failing = true;
    for (let i = 0; i < 3; i++) await cache.namespace('logged').getOrSet(`k${i}`, () => i);
    expect(lines).toEqual([['warn', 'cache: Redis is failing; serving from memory only']]);
    state.failing = false;
    await sleep(60);
    await cache.namespace('logged').getOrSet('again', () => 1);
    expect(lines).toEqual([
      ['warn', 'cache: Redis is failing; serving from memory only'],
      ['info', 'cache: Redis answers again; L2 back in use'],
    ]);
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
