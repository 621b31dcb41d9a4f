import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { cacheKit } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

describe('the Redis store', () => {
  it('keeps the two kinds of tag invalidation apart, under keys an operator can read', async () => {
    const redis = await kit.redis();
    const store = new RedisStore(redis, kit.prefix);
    await store.markTags(['gone'], 'deleted', 1_000, 60_000);
    await store.markTags(['stale', 'staler'], 'expired', 2_000, 60_000);
    const read = await store.read([], ['gone', 'stale', 'staler', 'never']);
    expect([...read.tags]).toEqual([
      ['gone', { deleted: 1_000, expired: 0 }],
      ['stale', { deleted: 0, expired: 2_000 }],
      ['staler', { deleted: 0, expired: 2_000 }],
      ['never', { deleted: 0, expired: 0 }],
    ]);
    expect(await redis.get(`${kit.prefix}tag:d:gone`)).toBe('1000');
    expect(await redis.get(`${kit.prefix}tag:x:stale`)).toBe('2000');
  });

  it('answers one value per id, apart from the tag times read with them', async () => {
    const store = new RedisStore(await kit.redis(), kit.prefix);
    await store.write([{ key: 'a', bytes: Buffer.from('A'), ttlMs: 60_000 }]);
    await store.markTags(['t'], 'deleted', 5, 60_000);
    const read = await store.read(['a', 'missing'], ['t']);
    expect(read.values.map((value) => value?.toString())).toEqual(['A', undefined]);
    expect(read.tags.get('t')).toEqual({ deleted: 5, expired: 0 });
  });

  it('deletes every key under a prefix, however many SCAN passes that takes, and says how many', async () => {
    const redis = await kit.redis();
    const store = new RedisStore(redis, kit.prefix);
    expect(await store.deletePrefix('nothing-here:')).toBe(0);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2_500; i++) pipeline.set(`${kit.prefix}many:${i}`, '1', 'PX', 60_000);
    await pipeline.exec();
    expect(await store.deletePrefix('many:')).toBe(2_500);
    expect(await redis.exists(`${kit.prefix}many:0`, `${kit.prefix}many:2499`)).toBe(0);
  });
});
