/**
 * libs/cache against bentocache (L1 unserialised, as its own benchmark runs) and cache-manager
 * `wrap()`, on the real Redis, in one run. Ratios are medians of interleaved rounds.
 *
 *   npm run bench:cache            (BENCH_ROUNDS=30, BENCH_OPS=20000 per round)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import KeyvRedis from '@keyv/redis';
import { Cache, hitRate } from '@meridian/cache';
// Our cache takes the workspace's ioredis 6 client, exactly as the services build it.
import { createRedis } from '@meridian/service';
import { deleteByPrefix, freePort } from '@meridian/service/testing';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Redis as Redis5 } from 'ioredis';
import { Keyv } from 'keyv';
import { interleaveAsync, percentile } from '../lib/interleave.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const prefix = `meridian:bench:cache:${randomUUID()}:`;
const value = { symbol: 'SPX', closes: Array.from({ length: 50 }, (_, i) => 100 + i / 7), at: '2020-01-02T00:00:00.000Z' };
const factory = async () => value;

const say = (line: string) => process.stdout.write(`${line}\n`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const opsPerSec = (ms: number, ops = OPS) => (ops / ms) * 1000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function ours(options: Partial<ConstructorParameters<typeof Cache>[0]> = {}) {
  const redis = createRedis(REDIS_URL, { name: 'bench-meridian' });
  await once(redis, 'ready');
  const cache = await new Cache({ prefix, redis, ...options }).start();
  return { cache, space: cache.namespace('signals', { ttlMs: 600_000 }), redis };
}

async function main(): Promise<void> {
  say(`cache benchmark: ${ROUNDS} interleaved rounds of ${fmt(OPS)} operations, Redis ${REDIS_URL}`);
  const meridian = await ours();
  const bentoRedis = new Redis5(REDIS_URL);
  const bento = new BentoCache({
    default: 'tiered',
    prefix: `${prefix}bento`,
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false }))
        .useL2Layer(redisDriver({ connection: bentoRedis }))
        .useBus(redisBusDriver({ connection: { host: '127.0.0.1', port: 6379 } })),
    },
  });
  const manager = createCache({ stores: [new Keyv(), new Keyv({ store: new KeyvRedis(REDIS_URL), namespace: `${prefix}cm` })], ttl: 600_000 });

  await meridian.space.getOrSet('hot', factory);
  await bento.getOrSet({ key: 'hot', factory, ttl: '10m' });
  await manager.wrap('hot', factory);

  say('\n1. L1 hit, get() of a hot key');
  const gets = await interleaveAsync({
    meridian: async () => { for (let i = 0; i < OPS; i++) await meridian.space.get('hot'); },
    bentocache: async () => { for (let i = 0; i < OPS; i++) await bento.get({ key: 'hot' }); },
    'cache-manager': async () => { for (let i = 0; i < OPS; i++) await manager.get('hot'); },
  }, { rounds: ROUNDS, warmup: 3 });
  for (const [name, ms] of Object.entries(gets)) say(`   ${name.padEnd(14)} ${fmt(opsPerSec(ms)).padStart(12)} ops/s`);
  say(`   meridian ÷ bentocache: ${ratio(gets.bentocache, gets.meridian)} (target ≥ 1.0×)`);

  say('\n2. Tiered getOrSet()/wrap() of a hot key (served by L1)');
  const hot = await interleaveAsync({
    meridian: async () => { for (let i = 0; i < OPS; i++) await meridian.space.getOrSet('hot', factory); },
    bentocache: async () => { for (let i = 0; i < OPS; i++) await bento.getOrSet({ key: 'hot', factory, ttl: '10m' }); },
    'cache-manager': async () => { for (let i = 0; i < OPS; i++) await manager.wrap('hot', factory); },
  }, { rounds: ROUNDS, warmup: 3 });
  for (const [name, ms] of Object.entries(hot)) say(`   ${name.padEnd(14)} ${fmt(opsPerSec(ms)).padStart(12)} ops/s`);
  say(`   meridian ÷ bentocache: ${ratio(hot.bentocache, hot.meridian)} (target ≥ 1.0×)`);

  say('\n3. L2 hit with L1 cold, and getMany of 100 keys');
  const keys = Array.from({ length: 1000 }, (_, i) => `l2-${i}`);
  await meridian.space.setMany(keys.map((key) => ({ key, value })));
  // One entry of memory: every read below misses L1 and is served by Redis.
  const cold = await ours({ l1MaxEntries: 1 });
  const latencies: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const started = performance.now();
    await cold.space.get(keys[i % keys.length] as string);
    latencies.push(performance.now() - started);
  }
  say(`   L2 hit get(): p50 ${percentile(latencies, 50).toFixed(3)} ms, p99 ${percentile(latencies, 99).toFixed(3)} ms over ${fmt(latencies.length)} reads (target p99 < 1 ms)`);
  const hundred = keys.slice(0, 100);
  const many = await interleaveAsync({
    getMany: () => cold.space.getMany(hundred),
    singles: async () => { for (const key of hundred) await cold.space.get(key); },
  }, { rounds: 200, warmup: 20 });
  say(`   getMany(100) ${many.getMany.toFixed(3)} ms vs 100 × get() ${many.singles.toFixed(3)} ms: ${ratio(many.singles, many.getMany)} (target ≥ 10×)`);

  say('\n4. 1,000 concurrent getOrSet() on one cold key across 4 instances (own connections)');
  const instances = await Promise.all([ours(), ours(), ours(), ours()]);
  let calls = 0;
  await Promise.all(Array.from({ length: 1000 }, (_, i) => instances[i % 4]?.space.getOrSet('stampede', async () => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return value;
  })));
  say(`   factory calls: ${calls} (target exactly 1)`);

  for (const [mode, what] of [['SIGKILL', 'killed (connections refused)'], ['SIGSTOP', 'frozen (connections open, no answers)']] as const) {
    say(`\n5. Redis ${what}: getOrSet() latency on new keys, no errors to callers`);
    const outage = await redisOutage(mode);
    say(`   first second: p99 ${outage.firstSecondP99.toFixed(2)} ms, slowest ${outage.firstSecondMax.toFixed(1)} ms over ${fmt(outage.firstSecondCalls)} calls (target p99 ≤ 60 ms)`);
    say(`   breaker open: p99 ${outage.openP99.toFixed(3)} ms over ${fmt(outage.openCalls)} calls (target ≤ 1 ms); errors thrown: ${outage.errors}`);
  }

  say('\n6. Hit rate of a Zipf(1.0) read mix over 20,000 keys, L1 bounded at 10,000 (100,000 reads after 20,000 warm-up)');
  const mix = await ours();
  const space = mix.cache.namespace('indicators', { ttlMs: 600_000 });
  const zipf = zipfSampler(20_000, 1.0);
  for (let i = 0; i < 20_000; i++) await space.getOrSet(`k${zipf()}`, factory);
  const before = { ...space.stats };
  for (let i = 0; i < 100_000; i++) await space.getOrSet(`k${zipf()}`, factory);
  const after = space.stats;
  const delta = { ...after, l1Hits: after.l1Hits - before.l1Hits, l2Hits: after.l2Hits - before.l2Hits, staleHits: after.staleHits - before.staleHits, misses: after.misses - before.misses };
  say(`   hit rate ${(hitRate(delta) * 100).toFixed(1)}% (target ≥ 90%)`);

  for (const instance of [meridian, cold, mix, ...instances]) {
    instance.cache.close();
    instance.redis.disconnect();
  }
  await bento.disconnect();
  await manager.disconnect();
  await deleteByPrefix(REDIS_URL, prefix);
}

/** A Redis of our own on a free port, killed or frozen mid-benchmark. */
async function redisOutage(signal: 'SIGKILL' | 'SIGSTOP') {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redis = createRedis(`redis://127.0.0.1:${port}`, { name: 'bench-outage' });
  // The server takes a moment to listen; ioredis retries meanwhile.
  while (redis.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 20));
  const cache = await new Cache({ prefix, redis }).start();
  const space = cache.namespace('signals');
  child.kill(signal);
  if (signal === 'SIGKILL') await once(child, 'exit');
  const first: number[] = [];
  const open: number[] = [];
  let errors = 0;
  const started = performance.now();
  let i = 0;
  while (performance.now() - started < 2_000) {
    const t = performance.now();
    try {
      await space.getOrSet(`down-${i++}`, factory);
    } catch {
      errors++;
    }
    const elapsed = performance.now() - t;
    if (t - started < 1_000) first.push(elapsed);
    else if (cache.stats().l2.breaker === 'open') open.push(elapsed);
  }
  cache.close();
  redis.disconnect();
  if (signal === 'SIGSTOP') child.kill('SIGKILL');
  return { firstSecondP99: percentile(first, 99), firstSecondMax: Math.max(...first), firstSecondCalls: first.length, openP99: percentile(open, 99), openCalls: open.length, errors };
}

function zipfSampler(n: number, s: number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w / total));
  let seed = 42;
  return () => {
    // mulberry32: integer-only arithmetic, so the stream stays uniform in doubles.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

await main();
process.exit(0);
