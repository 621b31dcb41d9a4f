import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache, connectRedis, dataNodes, duplicateClient, isRedisUnavailable, type RedisClient, RedisStore } from '../src/index.js';
import { type RedisCluster, startRedisCluster } from '../src/testing/index.js';
import { eventually, REDIS_URL } from './helpers.js';

// A real three-master cluster: a command or pipeline that touches keys of two hash slots fails
// there with CROSSSLOT, which a single Redis would never show.
let cluster: RedisCluster;
let client: RedisClient;
const prefix = `meridian:test:cluster:${randomUUID()}:`;
const caches: Cache[] = [];

const seeds = () => cluster.nodes.split(',').map((node) => ({ host: node.split(':')[0] as string, port: Number(node.split(':')[1]) }));

async function clusterCache(): Promise<Cache> {
  const own = connectRedis({ redisUrl: REDIS_URL, redisClusterNodes: seeds() });
  await once(own, 'ready');
  const cache = new Cache({ prefix, redis: own });
  caches.push(cache);
  return cache.start();
}

/** The keys under the test's prefix on every master. */
async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (const node of dataNodes(client)) keys.push(...(await node.keys(`${prefix}*`)));
  return keys;
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = connectRedis({ redisUrl: REDIS_URL, redisClusterNodes: seeds() });
  await once(client, 'ready');
}, 60_000);
afterAll(async () => {
  for (const cache of caches) cache.close();
  client.disconnect();
  await cluster?.stop();
});

describe('the cache on a Redis Cluster', () => {
  it('connects to the cluster, whose data sits on all three masters', () => {
    expect(client).toBeInstanceOf(Cluster);
    expect(dataNodes(client)).toHaveLength(3);
  });

  it('writes and reads many keys of many slots, with no Redis error', async () => {
    const writer = await clusterCache();
    const reader = await clusterCache();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await writer.namespace('spread').setMany(keys.map((key, i) => ({ key, value: i })));
    expect(await reader.namespace('spread').getMany(keys)).toEqual(keys.map((_, i) => i));
    expect(await reader.namespace('spread').getOrSet('k3', () => -1)).toBe(3);
    expect(writer.stats().l2.errors).toBe(0);
    expect(reader.stats().l2.errors).toBe(0);
    const onMasters = await Promise.all(dataNodes(client).map((node) => node.keys(`${prefix}c:spread:*`)));
    expect(onMasters.flat()).toHaveLength(20);
    expect(onMasters.filter((keysOnNode) => keysOnNode.length > 0).length).toBeGreaterThan(1);
  });

  it('deletes several keys, by tag, and a whole namespace across every master', async () => {
    const first = await clusterCache();
    const second = await clusterCache();
    const space = first.namespace('gone');
    await space.setMany(Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: i, tags: [`tag:${i % 2}`] })));
    await space.deleteMany(['k0', 'k1', 'k2']);
    expect(await second.namespace('gone').getMany(['k0', 'k1', 'k2', 'k3'])).toEqual([undefined, undefined, undefined, 3]);
    await first.deleteByTag(['tag:1']);
    await eventually('the tag to reach the other instance', async () => (await second.namespace('gone').get('k5')) === undefined);
    expect(await second.namespace('gone').get('k4')).toBe(4);
    await space.clear();
    expect((await storedKeys()).filter((key) => key.includes('c:gone:'))).toEqual([]);
    expect(first.stats().l2.errors + second.stats().l2.errors).toBe(0);
  });

  it('counts the keys it deletes under a prefix on every master', async () => {
    const store = new RedisStore(client, prefix);
    await store.write(Array.from({ length: 30 }, (_, i) => ({ key: `counted:${i}`, bytes: Buffer.from('1'), ttlMs: 60_000 })));
    expect(await store.deletePrefix('counted:')).toBe(30);
    expect((await storedKeys()).filter((key) => key.includes('counted:'))).toEqual([]);
  });

  it('lets one instance make a cold value while the others wait for it', async () => {
    const instances = await Promise.all([clusterCache(), clusterCache(), clusterCache()]);
    let calls = 0;
    const factory = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'made once';
    };
    const values = await Promise.all(instances.map((cache) => cache.namespace('cold').getOrSet('k', factory)));
    expect(values).toEqual(['made once', 'made once', 'made once']);
    expect(calls).toBe(1);
  });
});

describe('Redis clients', () => {
  it('opens a single server from a bare URL, and duplicates it as a single server', () => {
    const single = connectRedis(REDIS_URL, { lazyConnect: true });
    expect(single).toBeInstanceOf(Redis);
    expect(dataNodes(single)).toEqual([single]);
    const copy = duplicateClient(single, { lazyConnect: true, enableOfflineQueue: false });
    expect(copy).toBeInstanceOf(Redis);
    expect((copy as Redis).options.enableOfflineQueue).toBe(false);
    single.disconnect();
    copy.disconnect();
  });

  it("gives every cluster node REDIS_URL's credentials and TLS, and the cluster the client's queueing and retry options", () => {
    let retried = 0;
    const options = { lazyConnect: true, enableOfflineQueue: false, retryStrategy: (attempt: number) => (retried = attempt), connectTimeout: 1234 };
    const secured = connectRedis({ redisUrl: 'rediss://us%40er:p%3Ass@redis.example:6380', redisClusterNodes: [{ host: '127.0.0.1', port: 1 }] }, options) as Cluster;
    expect(secured).toBeInstanceOf(Cluster);
    expect(secured.options).toMatchObject({ lazyConnect: true, enableOfflineQueue: false, redisOptions: { username: 'us@er', password: 'p:ss', connectTimeout: 1234 } });
    // Not in toMatchObject: there an empty object matches undefined too.
    expect(secured.options.redisOptions?.tls).toEqual({});
    expect(secured.options.clusterRetryStrategy?.(7)).toBe(7);
    expect(retried).toBe(7);
    const plain = connectRedis({ redisUrl: 'redis://redis.example:6379', redisClusterNodes: [{ host: '127.0.0.1', port: 1 }] }, { lazyConnect: true }) as Cluster;
    expect(plain.options.redisOptions).toMatchObject({ username: undefined, password: undefined });
    expect(plain.options.redisOptions?.tls).toBeUndefined();
    // Without a strategy of the client's, ioredis's own (a delay in ms) applies.
    expect(typeof plain.options.clusterRetryStrategy?.(7)).toBe('number');
    const copy = duplicateClient(secured, { enableOfflineQueue: true, connectTimeout: 99 }) as Cluster;
    expect(copy).toBeInstanceOf(Cluster);
    expect(copy.options).toMatchObject({ enableOfflineQueue: true, redisOptions: { username: 'us@er', connectTimeout: 99 } });
    const quiet = duplicateClient(secured, { connectTimeout: 99 }) as Cluster;
    expect(quiet.options.enableOfflineQueue).toBe(false);
    for (const made of [secured, plain, copy, quiet]) made.disconnect();
  });

  it('tells an unreachable Redis from a failed command', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(isRedisUnavailable(refused)).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('socket gone'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRedisUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisUnavailable(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isRedisUnavailable(new Error('CLUSTERDOWN The cluster is down'))).toBe(true);
    expect(isRedisUnavailable(new Error("ERR wrong number of arguments for 'get' command"))).toBe(false);
    expect(isRedisUnavailable(Object.assign(new Error('WRONGTYPE'), { code: 42 }))).toBe(false);
    expect(isRedisUnavailable('ECONNREFUSED')).toBe(false);
    expect(isRedisUnavailable({ name: 'Error', message: 'connect ECONNREFUSED' })).toBe(false);
  });
});
