import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { cacheKit, eventually, REDIS_URL, sleep, watchCommands } from './helpers.js';

const kit = cacheKit();
afterAll(() => kit.close());

describe('stampede protection', () => {
  it('makes 100 concurrent callers in one process share one factory call', async () => {
    const cache = await kit.cache();
    let calls = 0;
    const values = await Promise.all(
      Array.from({ length: 100 }, () =>
        cache.namespace('signals').getOrSet('one-process', async () => {
          calls++;
          await sleep(30);
          return { value: 42 };
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(values.every((v) => v.value === 42)).toBe(true);
    expect(cache.stats().namespaces.signals?.factoryCalls).toBe(1);
  });

  it('makes 1,000 callers across 4 instances on one cold key share one factory call', async () => {
    const instances = await Promise.all([kit.cache(), kit.cache(), kit.cache(), kit.cache()]);
    let calls = 0;
    const factory = async () => {
      calls++;
      await sleep(50);
      return 'computed once';
    };
    const values = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (instances[i % 4] ?? instances[0]).namespace('signals').getOrSet('across-instances', factory)),
    );
    expect(calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(['computed once']));
    const waited = instances.reduce((sum, cache) => sum + (cache.stats().namespaces.signals?.lockWaits ?? 0), 0);
    expect(waited).toBe(3);
  });

  it('releases the lock only for its owner', async () => {
    const cache = await kit.cache();
    const admin = new Redis(REDIS_URL);
    try {
      const space = cache.namespace('signals');
      let calls = 0;
      const commands = await watchCommands(`${kit.prefix}lock:c:signals:lock-owner`);
      await space.getOrSet('lock-owner', async () => {
        calls++;
        // Someone else's lock appears meanwhile (ours expired): finishing must not delete it.
        await admin.set(`${kit.prefix}lock:c:signals:lock-owner`, 'other-token', 'PX', 5_000);
        return 1;
      });
      // The release has run (its script names the lock key) before the lock is looked at.
      await eventually('the lock release to reach Redis', () => commands.seen.includes('eval'));
      commands.stop();
      expect(calls).toBe(1);
      expect(await admin.get(`${kit.prefix}lock:c:signals:lock-owner`)).toBe('other-token');
    } finally {
      admin.disconnect();
    }
  });
});

describe('getMany and setMany', () => {
  it('reads 100 keys from Redis with one MGET', async () => {
    const writer = await kit.cache();
    const reader = await kit.cache();
    const space = writer.namespace('signals');
    await space.setMany(Array.from({ length: 100 }, (_, i) => ({ key: `many-${i}`, value: { i } })));

    const commands = await watchCommands(kit.prefix);
    const keys = [...Array.from({ length: 100 }, (_, i) => `many-${i}`), 'absent'];
    const values = await reader.namespace('signals').getMany<{ i: number }>(keys);
    await sleep(100);
    commands.stop();

    expect(values.slice(0, 100).map((v) => v?.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(values[100]).toBeUndefined();
    expect(commands.seen).toEqual(['mget']);
    expect(reader.stats().namespaces.signals).toMatchObject({ l2Hits: 100, misses: 1 });
  });

  it('serves a second getMany from memory', async () => {
    const cache = await kit.cache();
    const space = cache.namespace('bars');
    await space.setMany([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(await space.getMany(['a', 'b'])).toEqual([1, 2]);
    expect(cache.stats().namespaces.bars).toMatchObject({ l1Hits: 2, l2Hits: 0 });
  });
});
