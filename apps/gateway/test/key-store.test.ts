import { ApiKeyRepository, createPools } from '@meridian/db';
import { createCache } from '@meridian/service';
import { createTestContext, freePort, type TestContext } from '@meridian/service/testing';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { forgetKey, KeyStore } from '../src/auth/key-store.js';
import { createKey } from './keys.js';

let ctx: TestContext;
let redis: Redis;
beforeAll(async () => {
  ctx = await createTestContext();
  redis = new Redis(ctx.config('gateway').redisUrl);
});
afterAll(async () => {
  redis.disconnect();
  await ctx.cleanup();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A logger whose lines the test reads. */
function capturedLogger(): { log: ReturnType<typeof Fastify>['log']; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const log = Fastify({ logger: { level: 'info', stream } }).log;
  return { log, lines: () => out.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('the key store', () => {
  it('writes which keys were used every 30 seconds while the gateway runs', async () => {
    const { prefix } = await createKey(ctx, 'acme', ['read']);
    const pools = createPools(ctx.config('gateway').database);
    const cache = createCache(ctx.config('gateway'), redis);
    vi.useFakeTimers({ toFake: ['setInterval'] });
    const repository = new ApiKeyRepository(pools.write);
    const store = new KeyStore(repository, capturedLogger().log, cache, 60_000);
    try {
      store.markUsed(prefix);
      vi.advanceTimersByTime(29_999);
      expect((await repository.byPrefix(prefix))?.lastUsedAt).toBeNull();
      vi.advanceTimersByTime(1);
      await expect.poll(async () => (await repository.byPrefix(prefix))?.lastUsedAt).toBeInstanceOf(Date);
    } finally {
      vi.useRealTimers();
      await store.close();
      cache.close();
      await pools.close();
    }
  });

  it('logs a warning, and forgets the batch, when key use cannot be written', async () => {
    const { prefix } = await createKey(ctx, 'acme', ['read']);
    const pools = createPools(ctx.config('gateway').database);
    await pools.close();
    const cache = createCache(ctx.config('gateway'), redis);
    const { log, lines } = capturedLogger();
    const store = new KeyStore(new ApiKeyRepository(pools.write), log, cache, 60_000);
    try {
      store.markUsed(prefix);
      await store.flushUsage();
      expect(lines()).toEqual([expect.objectContaining({ level: 40, msg: 'could not record API key use', err: expect.stringContaining('pool') })]);
      await store.flushUsage();
      expect(lines()).toHaveLength(1);
    } finally {
      await store.close();
      cache.close();
    }
  });

  it('vouches for no key from memory once its cache TTL is over and the database cannot be asked', async () => {
    // No grace period: past the TTL a key is looked up again, never served stale.
    const { prefix } = await createKey(ctx, 'acme', ['read']);
    const pools = createPools(ctx.config('gateway').database);
    const cache = createCache(ctx.config('gateway'), redis);
    const store = new KeyStore(new ApiKeyRepository(pools.write), capturedLogger().log, cache, 50);
    try {
      expect((await store.lookup(prefix))?.tenant).toBe('acme');
      await pools.close();
      await expect.poll(() => store.cached(prefix), { timeout: 5_000 }).toBeUndefined();
      await expect(store.lookup(prefix)).rejects.toThrow();
    } finally {
      await store.close();
      cache.close();
    }
  });

  it('takes a key another gateway cached from Redis, without asking the database', async () => {
    const { prefix } = await createKey(ctx, 'acme', ['read']);
    const pools = createPools(ctx.config('gateway').database);
    const first = createCache(ctx.config('gateway'), redis);
    const second = createCache(ctx.config('gateway'), redis);
    const repository = new ApiKeyRepository(pools.write);
    const stores = [new KeyStore(repository, capturedLogger().log, first, 60_000), new KeyStore(repository, capturedLogger().log, second, 60_000)];
    try {
      expect((await stores[0]?.lookup(prefix))?.tenant).toBe('acme');
      // Gone from the database behind the caches' back: only Redis can still answer.
      await pools.write.query('DELETE FROM api_keys WHERE prefix = $1', [prefix]);
      expect((await stores[1]?.lookup(prefix))?.tenant).toBe('acme');
    } finally {
      for (const store of stores) await store?.close();
      first.close();
      second.close();
      await pools.close();
    }
  });

  it('says when Redis could not be told to drop a revoked key', async () => {
    const nowhere = new Redis({ port: await freePort(), host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const cache = createCache(ctx.config('gateway'), nowhere);
    try {
      expect(await forgetKey(cache, '0badc0de')).toBe(false);
    } finally {
      cache.close();
      nowhere.disconnect();
    }
  });
});
