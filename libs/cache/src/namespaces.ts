import type { CodecName } from './codec.js';

export interface NamespaceOptions {
  /** How long a value is fresh. */
  ttlMs: number;
  /** How long after that it is kept as a fallback when the factory fails or is slow (fail-safe). */
  graceMs: number;
  /** Soft factory timeout: past it a stale value is served and the refresh goes on in background. */
  timeoutMs?: number;
  /** Bound on every wait of a call (lock, factory): past it the caller gets CacheTimeoutError. */
  hardTimeoutMs?: number;
  /** A hit past this fraction of the TTL refreshes the value in background; 0 turns it off. */
  eagerRefresh: number;
  codec: CodecName;
  /** Payloads larger than this are gzipped before Redis. */
  compressAboveBytes: number;
}

const MINUTE = 60_000;
const DEFAULTS: NamespaceOptions = { ttlMs: MINUTE, graceMs: 10 * MINUTE, eagerRefresh: 0, codec: 'v8', compressAboveBytes: 8192 };

/**
 * One table for every namespace Meridian caches. Market data changes only on ingest (which
 * invalidates by tag), so TTLs mostly bound memory; API keys keep no grace, because a revoked
 * key must not be honoured while the database is down.
 */
export const NAMESPACES = {
  bars: { ...DEFAULTS, ttlMs: 10 * MINUTE },
  indicators: { ...DEFAULTS, ttlMs: 5 * MINUTE },
  signals: { ...DEFAULTS, ttlMs: MINUTE, eagerRefresh: 0.8 },
  seasonality: { ...DEFAULTS, ttlMs: 10 * MINUTE },
  strategies: { ...DEFAULTS, ttlMs: 5 * MINUTE },
  backtests: { ...DEFAULTS, ttlMs: 60 * MINUTE },
  apikeys: { ...DEFAULTS, ttlMs: MINUTE, graceMs: 0, codec: 'json' },
} satisfies Record<string, NamespaceOptions>;

export function namespaceOptions(name: string, overrides: Partial<NamespaceOptions> = {}): NamespaceOptions {
  return { ...((NAMESPACES as Record<string, NamespaceOptions>)[name] ?? DEFAULTS), ...overrides };
}
