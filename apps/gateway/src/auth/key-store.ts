import type { ApiKeyRepository, Scope } from '@meridian/db';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface KeyEntry {
  prefix: string;
  hash: Buffer;
  tenant: string;
  scopes: readonly Scope[];
  revoked: boolean;
}

/** The pub/sub channel on which a revocation reaches every gateway instance. */
export const revocationChannel = (redisPrefix: string) => `${redisPrefix}api-keys:revoked`;

const MISSING = Symbol('missing');

/**
 * API key look-ups by prefix, cached briefly (unknown prefixes too, so a flood of made-up keys
 * cannot reach the database) and dropped on every instance when a key is revoked.
 */
export class KeyStore {
  private readonly cache: LRUCache<string, KeyEntry | typeof MISSING>;
  private readonly loading = new Map<string, Promise<KeyEntry | undefined>>();
  private readonly used = new Set<string>();
  private subscriber: Redis | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly log: FastifyBaseLogger,
    ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: 50_000, ttl: ttlMs });
  }

  async lookup(prefix: string): Promise<KeyEntry | undefined> {
    const cached = this.cache.get(prefix);
    if (cached !== undefined) return cached === MISSING ? undefined : cached;
    let pending = this.loading.get(prefix);
    if (!pending) {
      pending = this.load(prefix).finally(() => this.loading.delete(prefix));
      this.loading.set(prefix, pending);
    }
    return pending;
  }

  private async load(prefix: string): Promise<KeyEntry | undefined> {
    const row = await this.repository.byPrefix(prefix);
    const entry = row && { prefix, hash: row.hash, tenant: row.tenant, scopes: row.scopes, revoked: row.revokedAt !== null };
    this.cache.set(prefix, entry ?? MISSING);
    return entry;
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

  /** Listens for revocations; after a lost connection it forgets everything, since messages may have been missed. */
  async listen(redis: Redis, channel: string): Promise<void> {
    const subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, prefix: string) => this.cache.delete(prefix));
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) this.cache.clear();
      connectedBefore = true;
    });
    await subscriber.subscribe(channel).catch((error: Error) => this.log.warn({ err: error.message }, 'revocations will arrive once Redis answers'));
    this.flushTimer = setInterval(() => void this.flushUsage(), 30_000).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushUsage();
    this.subscriber?.disconnect();
  }
}
