import type { Cache, Namespace, NamespaceOptions } from '@meridian/cache';

const MINUTE = 60_000;

/**
 * The signals service's cache namespaces. Market data changes only on ingest, which invalidates
 * by tag, so TTLs mostly bound memory; signals are refreshed early so that hot reads never go
 * cold. Worker processes use the same table, so both read what the other wrote.
 */
const NAMESPACES = {
  bars: { ttlMs: 10 * MINUTE },
  instruments: { ttlMs: 10 * MINUTE },
  indicators: { ttlMs: 5 * MINUTE },
  signals: { ttlMs: MINUTE, eagerRefresh: 0.8 },
  seasonality: { ttlMs: 10 * MINUTE },
} satisfies Record<string, Partial<NamespaceOptions>>;

/** One of the signals service's namespaces of `cache`, with its declared options. */
export const namespace = (cache: Cache, name: keyof typeof NAMESPACES): Namespace => cache.namespace(name, NAMESPACES[name]);
