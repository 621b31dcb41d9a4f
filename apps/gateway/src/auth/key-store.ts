import type { Cache, Namespace, NamespaceOptions } from '@meridian/cache';
import type { ApiKeyRepository, Scope } from '@meridian/db';
import type { FastifyBaseLogger } from 'fastify';

export interface KeyEntry {
  prefix: string;
  hash: Buffer;
  tenant: string;
  scopes: readonly Scope[];
  revoked: boolean;
}

/** As cached: JSON-safe, the hash in base64. */
interface StoredKey {
  hash: string;
  tenant: string;
  scopes: Scope[];
  revoked: boolean;
}

export const API_KEY_NAMESPACE = 'apikeys';
/** No grace: a revoked key must not be honoured as a fallback while the database is down. JSON, to be readable in Redis. */
const apiKeyNamespace = (ttlMs = 60_000): Partial<NamespaceOptions> => ({ ttlMs, graceMs: 0, codec: 'json' });

/**
 * Drops a key from every gateway's cache (memory and Redis) through the cache's invalidation
 * bus. False when Redis could not be told: gateways then notice within API_KEY_CACHE_TTL_MS.
 */
export async function forgetKey(cache: Cache, prefix: string): Promise<boolean> {
  await cache.namespace(API_KEY_NAMESPACE, apiKeyNamespace()).delete(prefix);
  return cache.stats().l2.pendingInvalidations === 0;
}

/**
 * API key look-ups by prefix through the cache (namespace `apikeys`, no grace: a revoked key is
 * never served as a fallback). Unknown prefixes are cached too, so a flood of made-up keys
 * cannot reach the database.
 */
export class KeyStore {
  private readonly space: Namespace;
  private readonly used = new Set<string>();
  private readonly entries = new WeakMap<StoredKey, KeyEntry>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly log: FastifyBaseLogger,
    cache: Cache,
    ttlMs: number,
  ) {
    this.space = cache.namespace(API_KEY_NAMESPACE, apiKeyNamespace(ttlMs));
    this.flushTimer = setInterval(() => void this.flushUsage(), 30_000).unref();
  }

  async lookup(prefix: string): Promise<KeyEntry | undefined> {
    return this.decoded(prefix, await this.space.getOrSet(prefix, () => this.load(prefix)));
  }

  /** What lookup would answer, when this process has it fresh in memory: null for an unknown key. */
  cached(prefix: string): KeyEntry | null | undefined {
    const stored = this.space.peek<StoredKey | null>(prefix);
    return stored === undefined ? undefined : (this.decoded(prefix, stored) ?? null);
  }

  private decoded(prefix: string, stored: StoredKey | null): KeyEntry | undefined {
    if (!stored) return undefined;
    // Decoded once per cached value, not per request; a reload or revocation brings a new value.
    let entry = this.entries.get(stored);
    if (!entry) {
      entry = { prefix, hash: Buffer.from(stored.hash, 'base64'), tenant: stored.tenant, scopes: stored.scopes, revoked: stored.revoked };
      this.entries.set(stored, entry);
    }
    return entry;
  }

  private async load(prefix: string): Promise<StoredKey | null> {
    const row = await this.repository.byPrefix(prefix);
    return row ? { hash: row.hash.toString('base64'), tenant: row.tenant, scopes: row.scopes, revoked: row.revokedAt !== null } : null;
  }

  /** Remembers that a key was used; written in batches, off the request path. */
  markUsed(prefix: string): void {
    this.used.add(prefix);
  }

  async flushUsage(): Promise<void> {
    const prefixes = [...this.used];
    this.used.clear();
    await this.repository.touch(prefixes).catch((error: Error) => this.log.warn({ err: error.message }, 'could not record API key use'));
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushUsage();
  }
}
