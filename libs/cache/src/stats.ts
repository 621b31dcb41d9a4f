export interface NamespaceStats {
  l1Hits: number;
  l2Hits: number;
  staleHits: number;
  misses: number;
  factoryCalls: number;
  factoryErrors: number;
  /** Soft timeouts (stale served) and hard timeouts (caller got an error). */
  timeouts: number;
  /** Waits for another instance's factory (the Redis lock was held). */
  lockWaits: number;
}

export function emptyStats(): NamespaceStats {
  return { l1Hits: 0, l2Hits: 0, staleHits: 0, misses: 0, factoryCalls: 0, factoryErrors: 0, timeouts: 0, lockWaits: 0 };
}

/** Hits over lookups, stale hits included: the share of reads the factory did not have to serve. */
export function hitRate(stats: NamespaceStats): number {
  const hits = stats.l1Hits + stats.l2Hits + stats.staleHits;
  const lookups = hits + stats.misses;
  return lookups === 0 ? 0 : hits / lookups;
}
