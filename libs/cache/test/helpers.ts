import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { Cache, type CacheOptions, type L2Store } from '../src/index.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Caches and connections of one test file, each file under its own key prefix. */
export function cacheKit() {
  const prefix = `meridian:test:cache:${randomUUID()}:`;
  const clients: Redis[] = [];
  const caches: Cache[] = [];
  /** A connected client that fails fast like the services' clients do: a stopped Redis is an error, not a queue. */
  const redis = async (url = REDIS_URL) => {
    const client = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (n) => Math.min(50 * n, 500) });
    client.on('error', () => undefined);
    clients.push(client);
    if (client.status !== 'ready') await once(client, 'ready');
    return client;
  };
  return {
    prefix,
    redis,
    /** A started cache instance with a Redis connection of its own, as a separate process would have. */
    async cache(options: Partial<CacheOptions> = {}): Promise<Cache> {
      const client = options.redis ?? (await redis());
      const cache = new Cache({ prefix, redis: client, ...options });
      caches.push(cache);
      return cache.start();
    },
    async close(): Promise<void> {
      for (const cache of caches) cache.close();
      const admin = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.unlink(...keys);
      } while (cursor !== '0');
      admin.disconnect();
      for (const client of clients) client.disconnect();
    },
  };
}

/** Wraps a store so a test can make Redis slow or failing, and count the calls that reach it. */
export function faulty(inner: L2Store) {
  // `held`: every call waits for it before going on; `answered` counts the calls that returned.
  const state: { failing: boolean; held: Promise<void> | undefined; calls: number; answered: number } = { failing: false, held: undefined, calls: 0, answered: 0 };
  const wrapped = new Proxy(inner, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver) as unknown;
      if (typeof original !== 'function') return original;
      return async (...args: unknown[]) => {
        state.calls++;
        if (state.held) await state.held;
        if (state.failing) throw new Error('injected Redis failure');
        const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        state.answered++;
        return result;
      };
    },
  });
  return { store: wrapped, state };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, failing with `what` after `ms`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The commands Redis runs whose arguments start with `prefix` (MONITOR, read over a plain socket).
 * Not ioredis's monitor(): a monitor line that arrives in the same read as MONITOR's own OK,
 * which happens whenever other clients are busy (parallel test files are), throws ioredis's
 * "Command queue state error".
 */
export async function watchCommands(prefix: string, url = REDIS_URL): Promise<{ seen: string[]; stop: () => void }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port || 6379), hostname);
  socket.setEncoding('utf8');
  socket.write('MONITOR\r\n');
  const seen: string[] = [];
  let buffered = '';
  let started: () => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const ok = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\r\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '+OK') started();
      // +<time> [<db> <client>] "command" "arg" ...
      const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] ?? '');
      if (args.slice(1).some((arg) => arg.startsWith(prefix))) seen.push((args[0] ?? '').toLowerCase());
    }
  });
  // Until MONITOR is answered a refused connection fails the caller; after, the feed just ends.
  socket.on('error', (error) => failed(new Error(`MONITOR on ${url}: ${error.message}`)));
  await ok;
  return { seen, stop: () => socket.destroy() };
}

/** Holds the cross-instance lock of a key as another instance computing it would; the result lets go. */
export async function holdLock(kit: ReturnType<typeof cacheKit>, namespace: string, key: string): Promise<() => Promise<void>> {
  const redis = await kit.redis();
  const lockKey = `${kit.prefix}lock:c:${namespace}:${key}`;
  if ((await redis.set(lockKey, 'elsewhere', 'PX', 30_000, 'NX')) !== 'OK') throw new Error(`${lockKey} is already held`);
  return async () => {
    await redis.del(lockKey);
  };
}

/** A promise and the function that settles it, for a factory the test lets finish. */
export function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** The store with one method replaced; `replacement` gets the store to call the real one. */
export function intercept<K extends keyof L2Store>(inner: L2Store, method: K, replacement: (store: L2Store) => L2Store[K]): L2Store {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === method) return replacement(target);
      const original = Reflect.get(target, property, receiver) as unknown;
      return typeof original === 'function' ? (original as (...args: unknown[]) => unknown).bind(target) : original;
    },
  });
}
