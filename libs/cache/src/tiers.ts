import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.js';
import { LRUCache } from 'lru-cache';
import { type BreakerState, CircuitBreaker } from './breaker.js';
import { type BusMessage, InvalidationBus } from './bus.js';
import { decodeEntry, encodeEntry, type Entry } from './entry.js';
import type { Codec } from './namespaces.js';
import { emptyStats, type NamespaceStats } from './stats.js';
import { type L2Store, RedisStore, type TagTimes } from './store.js';
import { deadline, type Maybe, UNAVAILABLE } from './timing.js';

export interface CacheLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface CacheOptions {
  /** Prepended to every Redis key and the bus channel: one key space per environment. */
  prefix: string;
  /** L2 and the invalidation bus; without it the cache is L1 only. */
  redis?: RedisClient;
  /** Replaces the Redis store built from `redis` (tests wrap it to inject faults). */
  store?: L2Store;
  /** Listen for other instances' invalidations (default: on when there is a Redis client). */
  bus?: boolean;
  l1MaxEntries?: number;
  l1MaxBytes?: number;
  /** Every Redis call gives up after this long and the caller carries on without L2. */
  l2TimeoutMs?: number;
  breakerFailures?: number;
  breakerOpenMs?: number;
  /** How long a factory may hold the cross-instance lock. */
  lockTtlMs?: number;
  /** How long other instances wait for the lock holder's value before computing their own. */
  lockWaitMs?: number;
  /** After a factory failure served stale, the stale value counts as fresh this long (no hammering). */
  failSafeThrottleMs?: number;
  /** How long tag invalidations are remembered in Redis: at least the longest TTL + grace. */
  tagRetentionMs?: number;
  logger?: CacheLogger;
}

export interface CacheStats {
  namespaces: Record<string, NamespaceStats>;
  l1: { entries: number; bytes: number; evictions: number };
  l2: { errors: number; breaker: BreakerState; pendingInvalidations: number };
}

type Invalidation = Omit<BusMessage, 'from'>;
type Freshness = 'fresh' | 'stale' | 'gone';

const BUS_CHANNEL = 'cache:bus';
const MAX_TAGS_KNOWN = 100_000;

/**
 * The tier stack beneath every namespace, as bentocache separates its stack from get/set: an
 * in-process LRU (values kept as objects, so treat them as immutable) and Redis (encoded,
 * compressed when large) behind a timeout and a circuit breaker, the tag invalidation times
 * known here, the bus that shares invalidations between instances, and one promise in flight per
 * key. Namespace builds get/set and stampede protection on it; Cache is the public face.
 */
export class TierStack {
  readonly instanceId = randomUUID();
  private readonly l1: LRUCache<string, Entry>;
  private readonly store: L2Store | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly bus: InvalidationBus | undefined;
  private readonly tagTimes = new Map<string, TagTimes>();
  private readonly flights = new Map<string, Promise<unknown>>();
  private readonly counters = new Map<string, NamespaceStats>();
  private pending: Invalidation[] = [];
  private evictions = 0;
  private l2Errors = 0;
  private readonly l2TimeoutMs: number;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly failSafeThrottleMs: number;
  private readonly tagRetentionMs: number;

  constructor(private readonly options: CacheOptions) {
    this.l1 = new LRUCache<string, Entry>({
      max: options.l1MaxEntries ?? 10_000,
      maxSize: options.l1MaxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry) => Math.max(1, entry.size),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
    this.store = options.store ?? (options.redis ? new RedisStore(options.redis, options.prefix) : undefined);
    this.l2TimeoutMs = options.l2TimeoutMs ?? 50;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
    this.lockWaitMs = options.lockWaitMs ?? 5_000;
    this.failSafeThrottleMs = options.failSafeThrottleMs ?? 1_000;
    this.tagRetentionMs = options.tagRetentionMs ?? 24 * 3_600_000;
    this.breaker = new CircuitBreaker({
      failures: options.breakerFailures ?? 3,
      openMs: options.breakerOpenMs ?? 1_000,
      onChange: (state, error) => {
        if (state === 'open') options.logger?.warn({ err: error?.message }, 'cache: Redis is failing; serving from memory only');
        if (state === 'closed') {
          options.logger?.info({}, 'cache: Redis answers again; L2 back in use');
          void this.flushPending();
        }
      },
    });
    if (options.redis && options.bus !== false) {
      this.bus = new InvalidationBus(options.redis, `${options.prefix}${BUS_CHANNEL}`, {
        message: (message) => this.onBusMessage(message),
        reconnected: () => this.reconcile(),
      });
    }
  }

  /** Subscribes to the invalidation bus; call once before serving. */
  async start(): Promise<this> {
    await this.bus?.start();
    return this;
  }

  close(): void {
    this.bus?.close();
  }

  /** Entries of these tags are gone (`deleted`), or stale (`expired`), on every instance. */
  async invalidateTags(tags: readonly string[], kind: keyof TagTimes): Promise<void> {
    await this.invalidate({ tags: [...tags], kind, at: Date.now() });
  }

  stats(): CacheStats {
    return {
      namespaces: Object.fromEntries([...this.counters].map(([name, stats]) => [name, { ...stats }])),
      l1: { entries: this.l1.size, bytes: this.l1.calculatedSize, evictions: this.evictions },
      l2: { errors: this.l2Errors, breaker: this.breaker.state, pendingInvalidations: this.pending.length },
    };
  }

  /** The counters of one namespace, kept here so that stats() reports every namespace. */
  counter(namespace: string): NamespaceStats {
    let stats = this.counters.get(namespace);
    if (!stats) {
      stats = emptyStats();
      this.counters.set(namespace, stats);
    }
    return stats;
  }

  // ---- tiers -------------------------------------------------------------------------------

  /** Whether an entry may be served, and as what, given the invalidations known here. */
  judge(entry: Entry, now = Date.now()): Freshness {
    if (now >= entry.staleUntil) return 'gone';
    let expired = false;
    for (const tag of entry.tags) {
      const times = this.tagTimes.get(tag);
      if (!times) continue;
      if (times.deleted >= entry.createdAt) return 'gone';
      if (times.expired >= entry.createdAt) expired = true;
    }
    return expired || now >= entry.freshUntil ? 'stale' : 'fresh';
  }

  fromL1(id: string): Entry | undefined {
    const entry = this.l1.get(id);
    if (entry && this.judge(entry) === 'gone') {
      this.l1.delete(id);
      return undefined;
    }
    return entry;
  }

  keepInL1(id: string, entry: Entry): void {
    this.l1.set(id, entry);
  }

  /** Entries by id (undefined when absent or deleted), with their tags checked against Redis. */
  async fromL2(ids: readonly string[], tags: readonly string[]): Promise<Maybe<(Entry | undefined)[]>> {
    const read = await this.l2((store) => store.read(ids, tags));
    if (read === UNAVAILABLE) return UNAVAILABLE;
    this.learnTags(read.tags);
    const entries = await Promise.all(read.values.map((bytes) => (bytes ? decodeEntry(bytes).catch(() => undefined) : undefined)));
    const unknown = [...new Set(entries.flatMap((entry) => entry?.tags ?? []))].filter((tag) => !this.tagTimes.has(tag));
    if (unknown.length > 0) {
      const more = await this.l2((store) => store.read([], unknown));
      if (more === UNAVAILABLE) return UNAVAILABLE;
      this.learnTags(more.tags);
    }
    return entries.map((entry) => (entry && this.judge(entry) !== 'gone' ? entry : undefined));
  }

  /** Encodes once; the encoded size is what the L1 byte bound counts (re-set once known). */
  async save(codec: Codec, items: readonly { id: string; entry: Entry }[], background = false): Promise<void> {
    const encoded = await Promise.all(items.map(({ entry }) => encodeEntry(entry, codec.codec, codec.compressAboveBytes)));
    const now = Date.now();
    items.forEach(({ id, entry }, i) => {
      entry.size = encoded[i]?.size ?? 0;
      // In background, only if still current: a delete or a newer value may have come meanwhile.
      if (background && this.l1.peek(id) !== entry) return;
      // lru-cache sizes a value when it is set, not again when the same object is set again.
      this.l1.delete(id);
      this.l1.set(id, entry);
    });
    await this.l2((store) => store.write(items.map(({ id, entry }, i) => ({ key: id, bytes: encoded[i]?.bytes as Buffer, ttlMs: entry.staleUntil - now }))));
  }

  /** The cross-instance lock: a token, `undefined` when held elsewhere, UNAVAILABLE without Redis. */
  lock(id: string): Promise<Maybe<string | undefined>> {
    return this.l2((store) => store.lock(id, this.lockTtlMs));
  }

  unlock(id: string, token: string): void {
    void this.l2((store) => store.unlock(id, token));
  }

  get lockWait(): number {
    return this.lockWaitMs;
  }

  get throttleMs(): number {
    return this.failSafeThrottleMs;
  }

  /** One promise per key in flight: concurrent callers share it. */
  flight<T>(id: string, make: () => Promise<T>): Promise<T> {
    const flying = this.flights.get(id);
    if (flying) return flying as Promise<T>;
    const promise = make().finally(() => this.flights.delete(id));
    this.flights.set(id, promise);
    return promise;
  }

  inFlight(id: string): boolean {
    return this.flights.has(id);
  }

  /** Drops ids here, in Redis and on every other instance. */
  async deleteIds(ids: string[]): Promise<void> {
    for (const id of ids) this.l1.delete(id);
    await this.invalidate({ ids });
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const id of this.l1.keys()) if (id.startsWith(prefix)) this.l1.delete(id);
    await this.l2((store) => store.deletePrefix(prefix));
  }

  /**
   * Every Redis call: bounded by the L2 timeout, skipped while the breaker is open, and never
   * throwing: UNAVAILABLE tells the caller to carry on without L2.
   */
  private async l2<T>(call: (store: L2Store) => Promise<T>): Promise<Maybe<T>> {
    if (!this.store || !this.breaker.allow()) return UNAVAILABLE;
    const timeout = deadline(this.l2TimeoutMs, UNAVAILABLE);
    try {
      const result = await Promise.race([call(this.store), timeout.promise]);
      if (result === UNAVAILABLE) throw new Error(`Redis did not answer within ${this.l2TimeoutMs} ms`);
      this.breaker.success();
      return result;
    } catch (error) {
      this.l2Errors++;
      this.breaker.failure(error as Error);
      return UNAVAILABLE;
    } finally {
      timeout.cancel();
    }
  }

  // ---- invalidation ------------------------------------------------------------------------

  private learnTags(times: Map<string, TagTimes>): void {
    if (this.tagTimes.size + times.size > MAX_TAGS_KNOWN) this.reconcile();
    for (const [tag, next] of times) {
      const known = this.tagTimes.get(tag);
      this.tagTimes.set(tag, known ? { deleted: Math.max(known.deleted, next.deleted), expired: Math.max(known.expired, next.expired) } : next);
    }
  }

  private applyLocally(change: Invalidation): void {
    for (const id of change.ids ?? []) this.l1.delete(id);
    if (change.tags && change.kind && change.at !== undefined) {
      const at = change.at;
      this.learnTags(new Map(change.tags.map((tag) => [tag, change.kind === 'deleted' ? { deleted: at, expired: 0 } : { deleted: 0, expired: at }])));
      // Deleted entries would be refused when read anyway; dropping them now gives their memory back.
      if (change.kind === 'deleted') this.dropTagged(new Set(change.tags), at);
    }
  }

  private dropTagged(tags: ReadonlySet<string>, at: number): void {
    const doomed: string[] = [];
    for (const [id, entry] of this.l1.entries()) if (entry.createdAt <= at && entry.tags.some((tag) => tags.has(tag))) doomed.push(id);
    for (const id of doomed) this.l1.delete(id);
  }

  private async invalidate(change: Invalidation): Promise<void> {
    this.applyLocally(change);
    if (!this.store) return;
    if (!(await this.send(change))) this.pending.push(change);
  }

  /** Writes an invalidation to Redis and tells the other instances; false when Redis is away. */
  private async send(change: Invalidation): Promise<boolean> {
    if (change.ids && change.ids.length > 0) {
      const ids = change.ids;
      if ((await this.l2((store) => store.delete(ids))) === UNAVAILABLE) return false;
    }
    if (change.tags && change.kind && change.at !== undefined) {
      const { tags, kind, at } = change;
      if ((await this.l2((store) => store.markTags(tags, kind, at, this.tagRetentionMs))) === UNAVAILABLE) return false;
    }
    if (!this.bus) return true;
    const message: BusMessage = { from: this.instanceId, ...change };
    return (await this.l2((store) => store.publish(BUS_CHANNEL, JSON.stringify(message)))) !== UNAVAILABLE;
  }

  private async flushPending(): Promise<void> {
    const queued = this.pending;
    this.pending = [];
    for (const change of queued) if (!(await this.send(change))) this.pending.push(change);
  }

  private onBusMessage(message: BusMessage): void {
    if (message.from !== this.instanceId) this.applyLocally(message);
  }

  /**
   * After a gap in the bus, what other instances invalidated is unknown: memory is dropped and
   * tags are read again from Redis, where invalidations are recorded.
   */
  private reconcile(): void {
    this.l1.clear();
    this.tagTimes.clear();
    void this.flushPending();
  }

  /** For tests: cut the bus connection as a network fault would. */
  interruptBus(): void {
    this.bus?.interrupt();
  }
}
