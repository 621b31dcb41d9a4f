import { CacheTimeoutError } from './errors.js';
import type { Entry } from './entry.js';
import type { NamespaceOptions } from './namespaces.js';
import type { NamespaceStats } from './stats.js';
import type { TierStack } from './tiers.js';
import { deadline, sleep, UNAVAILABLE } from './timing.js';

export interface GetOrSetOptions {
  ttlMs?: number;
  graceMs?: number;
  tags?: readonly string[];
  timeoutMs?: number;
  hardTimeoutMs?: number;
  eagerRefresh?: number;
}

export type Factory<T> = () => Promise<T> | T;

/** A call's options, settled against the namespace's. */
interface Settled {
  ttlMs: number;
  graceMs: number;
  tags: readonly string[];
  timeoutMs: number | undefined;
  hardTimeoutMs: number | undefined;
}

interface Window {
  /** L2 answered the first read: worth taking the cross-instance lock. */
  l2Up: boolean;
  /** Past this instant a stale value is served instead of waiting (soft timeout). */
  soft: number;
  /** Past this instant the caller gets its answer or an error (hard timeout). */
  hard: number;
  started: number;
}

type Acquired = { token?: string; entry?: Entry; stale?: true };

const SOFT = Symbol('soft-timeout');
const HARD = Symbol('hard-timeout');

/**
 * One namespace of the cache: its keys, its TTL and codec, its stats. Every entry carries the
 * namespace's tag, so clearing the namespace is one tag invalidation.
 */
export class Namespace {
  readonly tag: string;
  readonly stats: NamespaceStats;
  private readonly keyPrefix: string;

  constructor(
    private readonly tiers: TierStack,
    readonly name: string,
    readonly options: NamespaceOptions,
  ) {
    this.tag = `ns:${name}`;
    this.keyPrefix = `c:${name}:`;
    this.stats = tiers.counter(name);
  }

  private id(key: string): string {
    return this.keyPrefix + key;
  }

  private settle(options: GetOrSetOptions): Settled {
    const base = this.options;
    return {
      ttlMs: options.ttlMs ?? base.ttlMs,
      graceMs: options.graceMs ?? base.graceMs,
      tags: [this.tag, ...(options.tags ?? [])],
      timeoutMs: options.timeoutMs ?? base.timeoutMs,
      hardTimeoutMs: options.hardTimeoutMs ?? base.hardTimeoutMs,
    };
  }

  /**
   * The cached value, or the factory's. Concurrent callers in this process share one factory
   * call; other instances wait on a Redis lock for the first one's value.
   */
  getOrSet<T>(key: string, factory: Factory<T>, options: GetOrSetOptions = {}): Promise<T> {
    const id = this.id(key);
    const local = this.tiers.fromL1(id);
    if (local && this.tiers.judge(local) === 'fresh') {
      this.stats.l1Hits++;
      this.refreshEarly(id, local, factory, options);
      return Promise.resolve(local.value as T);
    }
    return this.tiers.flight(id, () => this.resolve(id, factory, this.settle(options), local));
  }

  /**
   * The value when this process holds it fresh in memory, else undefined; never waits. For hot
   * paths that can answer without a promise when memory has the value, and call getOrSet when
   * not. No early refresh: the next getOrSet after expiry reloads.
   */
  peek<T>(key: string): T | undefined {
    const local = this.tiers.fromL1(this.id(key));
    if (!local || this.tiers.judge(local) !== 'fresh') return undefined;
    this.stats.l1Hits++;
    return local.value as T;
  }

  /** A fresh value from either tier, or undefined. */
  async get<T>(key: string): Promise<T | undefined> {
    const [value] = await this.getMany<T>([key]);
    return value;
  }

  /**
   * Fresh values in the order of `keys` (undefined for misses): memory first, then one MGET for
   * everything memory lacked.
   */
  async getMany<T>(keys: readonly string[], options: { tags?: readonly string[] } = {}): Promise<(T | undefined)[]> {
    const out: (T | undefined)[] = new Array(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const entry = this.tiers.fromL1(this.id(key));
      if (entry && this.tiers.judge(entry) === 'fresh') {
        this.stats.l1Hits++;
        out[i] = entry.value as T;
      } else missing.push(i);
    });
    if (missing.length === 0) return out;
    const ids = missing.map((i) => this.id(keys[i] as string));
    const found = await this.tiers.fromL2(ids, [this.tag, ...(options.tags ?? [])]);
    missing.forEach((i, j) => {
      const entry = found === UNAVAILABLE ? undefined : found[j];
      if (entry && this.tiers.judge(entry) === 'fresh') {
        this.stats.l2Hits++;
        this.tiers.keepInL1(ids[j] as string, entry);
        out[i] = entry.value as T;
      } else this.stats.misses++;
    });
    return out;
  }

  async set<T>(key: string, value: T, options: GetOrSetOptions = {}): Promise<void> {
    await this.setMany([{ key, value }], options);
  }

  /** Writes many entries with one pipeline. */
  async setMany<T>(items: readonly { key: string; value: T; tags?: readonly string[] }[], options: GetOrSetOptions = {}): Promise<void> {
    const settled = this.settle(options);
    const now = Date.now();
    await this.tiers.save(this.options, items.map((item) => ({ id: this.id(item.key), entry: this.entry(item.value, now, settled, item.tags) })));
  }

  /** Whether a value (fresh or within grace) is kept for the key. */
  async has(key: string): Promise<boolean> {
    const id = this.id(key);
    if (this.tiers.fromL1(id)) return true;
    const found = await this.tiers.fromL2([id], [this.tag]);
    return found !== UNAVAILABLE && found[0] !== undefined;
  }

  async delete(key: string): Promise<void> {
    await this.deleteMany([key]);
  }

  /** One Redis call and one bus message for all the keys. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.tiers.deleteIds(keys.map((key) => this.id(key)));
  }

  /** Every entry of the namespace, on every instance. */
  async clear(): Promise<void> {
    await this.tiers.invalidateTags([this.tag], 'deleted');
    await this.tiers.deletePrefix(this.keyPrefix);
  }

  private entry<T>(value: T, createdAt: number, settled: Settled, extraTags: readonly string[] = []): Entry<T> {
    const freshUntil = Date.now() + settled.ttlMs;
    const tags = extraTags.length === 0 ? settled.tags : [...new Set([...settled.tags, ...extraTags])];
    return { value, createdAt, freshUntil, staleUntil: freshUntil + settled.graceMs, tags, size: 0 };
  }

  private async resolve<T>(id: string, factory: Factory<T>, settled: Settled, local: Entry | undefined): Promise<T> {
    const started = Date.now();
    const window: Window = {
      l2Up: true,
      started,
      soft: settled.timeoutMs === undefined ? Infinity : started + settled.timeoutMs,
      hard: settled.hardTimeoutMs === undefined ? Infinity : started + settled.hardTimeoutMs,
    };
    let stale = local;
    const found = await this.tiers.fromL2([id], settled.tags);
    if (found === UNAVAILABLE) window.l2Up = false;
    else if (found[0]) {
      const entry = found[0];
      const state = this.tiers.judge(entry);
      if (state === 'fresh') {
        this.stats.l2Hits++;
        this.tiers.keepInL1(id, entry);
        return entry.value as T;
      }
      if (state === 'stale' && (!stale || entry.createdAt > stale.createdAt)) stale = entry;
    }
    this.stats.misses++;
    return this.produce(id, factory, settled, stale, window);
  }

  private async produce<T>(id: string, factory: Factory<T>, settled: Settled, stale: Entry | undefined, window: Window): Promise<T> {
    let token: string | undefined;
    if (window.l2Up) {
      const got = await this.acquire(id, settled, stale, window);
      if (got.entry) {
        this.stats.l2Hits++;
        this.tiers.keepInL1(id, got.entry);
        return got.entry.value as T;
      }
      if (got.stale && stale) return this.serveStale(stale);
      token = got.token;
    }
    return this.run(id, factory, settled, stale, token, window);
  }

  /**
   * Takes the Redis lock, or waits for its holder's value in L2. Checks L2 again after taking
   * the lock, since the previous holder may have written and released between two polls.
   */
  private async acquire(id: string, settled: Settled, stale: Entry | undefined, window: Window): Promise<Acquired> {
    let delay = 2;
    for (let attempt = 0; ; attempt++) {
      const token = await this.tiers.lock(id);
      if (token === UNAVAILABLE) return {};
      if (token !== undefined) {
        if (attempt === 0) return { token };
        const found = await this.tiers.fromL2([id], settled.tags);
        const entry = found === UNAVAILABLE ? undefined : found[0];
        if (entry && this.tiers.judge(entry) === 'fresh') {
          this.tiers.unlock(id, token);
          return { entry };
        }
        return { token };
      }
      if (attempt === 0) this.stats.lockWaits++;
      const now = Date.now();
      if (stale && now >= window.soft) return { stale: true };
      if (now >= window.hard) return this.timedOut(id, settled, stale);
      if (now - window.started >= this.tiers.lockWait) return {};
      await sleep(Math.min(delay, window.hard - now, stale ? window.soft - now : Infinity));
      delay = Math.min(delay * 2, 25);
      const found = await this.tiers.fromL2([id], settled.tags);
      const entry = found === UNAVAILABLE ? undefined : found[0];
      if (entry && this.tiers.judge(entry) === 'fresh') return { entry };
    }
  }

  private timedOut(id: string, settled: Settled, stale: Entry | undefined): Acquired {
    this.stats.timeouts++;
    if (stale) return { stale: true };
    throw new CacheTimeoutError(id, settled.hardTimeoutMs ?? 0);
  }

  private async run<T>(id: string, factory: Factory<T>, settled: Settled, stale: Entry | undefined, token: string | undefined, window: Window): Promise<T> {
    this.stats.factoryCalls++;
    const createdAt = Date.now();
    const work = (async () => {
      let entry: Entry<T>;
      try {
        entry = this.entry(await factory(), createdAt, settled);
      } catch (error) {
        if (token) this.tiers.unlock(id, token);
        throw error;
      }
      // The caller has its value now; encoding and the Redis write follow, and the lock is
      // released only after them so other instances find the value when it is gone.
      this.tiers.keepInL1(id, entry);
      void this.tiers.save(this.options, [{ id, entry }], true).finally(() => {
        if (token) this.tiers.unlock(id, token);
      });
      return entry;
    })();
    const soft = stale && window.soft !== Infinity ? deadline(window.soft - Date.now(), SOFT) : undefined;
    const hard = window.hard !== Infinity ? deadline(window.hard - Date.now(), HARD) : undefined;
    try {
      const outcome = await Promise.race([work, ...(soft ? [soft.promise] : []), ...(hard ? [hard.promise] : [])]);
      if (outcome === SOFT || outcome === HARD) {
        // The factory goes on and fills the cache when it ends; its failure is counted, not thrown.
        work.catch(() => this.stats.factoryErrors++);
        this.timedOut(id, settled, stale);
        return this.serveStale(stale as Entry) as T;
      }
      return outcome.value;
    } catch (error) {
      this.stats.factoryErrors++;
      if (!stale) throw error;
      this.tiers.keepInL1(id, { ...stale, freshUntil: Math.min(stale.staleUntil, Date.now() + this.tiers.throttleMs) });
      return this.serveStale(stale) as T;
    } finally {
      soft?.cancel();
      hard?.cancel();
    }
  }

  private serveStale<T>(stale: Entry): T {
    this.stats.staleHits++;
    return stale.value as T;
  }

  /** A hit late in its TTL starts the next value in background, so hot keys never go cold. */
  private refreshEarly<T>(id: string, entry: Entry, factory: Factory<T>, options: GetOrSetOptions): void {
    const fraction = options.eagerRefresh ?? this.options.eagerRefresh;
    if (fraction <= 0 || this.tiers.inFlight(id)) return;
    if (Date.now() < entry.createdAt + fraction * (entry.freshUntil - entry.createdAt)) return;
    const settled = this.settle(options);
    const window: Window = { l2Up: true, started: Date.now(), soft: Infinity, hard: Infinity };
    this.tiers.flight(id, () => this.produce(id, factory, settled, entry, window)).catch(() => undefined);
  }
}
