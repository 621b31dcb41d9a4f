import { Namespace } from './namespace.js';
import { NAMESPACE_DEFAULTS, type NamespaceOptions } from './namespaces.js';
import { type CacheOptions, type CacheStats, TierStack } from './tiers.js';

export type { CacheLogger, CacheOptions, CacheStats } from './tiers.js';

/**
 * Two tiers: an in-process LRU (values kept as objects, so treat them as immutable) and Redis
 * (encoded, compressed when large). A value missing from both is made once per key: in-process
 * callers share one promise, instances share a Redis lock. Values live in namespaces, each
 * declared by the app that owns it with its TTL, grace, codec and early refresh.
 */
export class Cache {
  private readonly tiers: TierStack;
  private readonly spaces = new Map<string, Namespace>();

  constructor(options: CacheOptions) {
    this.tiers = new TierStack(options);
  }

  /** Subscribes to the invalidation bus; call once before serving. */
  async start(): Promise<this> {
    await this.tiers.start();
    return this;
  }

  close(): void {
    this.tiers.close();
  }

  /**
   * The namespace `name`, made with `options` over the defaults the first time it is asked for;
   * later calls get the same one.
   */
  namespace(name: string, options: Partial<NamespaceOptions> = {}): Namespace {
    let space = this.spaces.get(name);
    if (!space) {
      space = new Namespace(this.tiers, name, { ...NAMESPACE_DEFAULTS, ...options });
      this.spaces.set(name, space);
    }
    return space;
  }

  async deleteByTag(tags: readonly string[]): Promise<void> {
    await this.tiers.invalidateTags(tags, 'deleted');
  }

  /** Entries of these tags turn stale: served while the new value is made, or when making it fails. */
  async expireByTag(tags: readonly string[]): Promise<void> {
    await this.tiers.invalidateTags(tags, 'expired');
  }

  stats(): CacheStats {
    return this.tiers.stats();
  }

  /** For tests: cut the bus connection as a network fault would. */
  interruptBus(): void {
    this.tiers.interruptBus();
  }
}
