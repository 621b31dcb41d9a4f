import type { Cache, Namespace } from '@meridian/cache';
import { type Interval, SignalEventRepository, type Pools } from '@meridian/db';
import type { BarSeries, Evaluation, RuleSpec } from '@meridian/market';
import { signalsBody, type Window } from './compute.js';
import { type CachedBody, cachedBody } from './http-cache.js';
import { barTags, type MarketData, symbolTag } from './market-data.js';
import { namespace } from './cache-namespaces.js';

export interface LatestItem {
  symbol: string;
  signal: { ts: string; side: 'buy' | 'sell'; target: number; strength: number; price: number } | null;
}

const bodyKey = (symbol: string, interval: string, hash: string, window: Window) => `${symbol}:${interval}:${hash}:${window.from ?? ''}:${window.to ?? ''}`;
const latestKey = (tenant: string, symbol: string, interval: string, hash: string) => `latest:${tenant}:${symbol}:${interval}:${hash}`;

/**
 * Signal results through the cache. Computed ones, by window, depend only on the shared bars and
 * the rule, so every tenant shares them; stored ones (latest) are a tenant's batch results and
 * are read and cached per tenant.
 */
export class SignalResults {
  readonly events: SignalEventRepository;
  private readonly cache: Namespace;

  constructor(db: Pools, cache: Cache, private readonly market: MarketData) {
    this.events = new SignalEventRepository(db.write, db.read);
    this.cache = namespace(cache, 'signals');
  }

  compute(symbol: string, interval: Interval, spec: RuleSpec, hash: string, window: Window): Promise<CachedBody> {
    return this.cache.getOrSet(bodyKey(symbol, interval, hash, window), async () => cachedBody(signalsBody(symbol, interval, spec, hash, await this.market.series(symbol, interval), window)), {
      tags: barTags(symbol, interval),
    });
  }

  /**
   * What a tenant's batch computed becomes the answer to the plain GET for the whole history (the
   * same for everyone), and that tenant's cached latest events are dropped.
   */
  async warm(tenant: string, symbol: string, interval: Interval, series: BarSeries, results: readonly { spec: RuleSpec; hash: string; evaluation: Evaluation }[]): Promise<void> {
    const tags = barTags(symbol, interval);
    await this.cache.setMany(results.map(({ spec, hash, evaluation }) => ({ key: bodyKey(symbol, interval, hash, {}), value: cachedBody(signalsBody(symbol, interval, spec, hash, series, {}, evaluation)), tags })));
    await this.cache.deleteMany(results.map(({ hash }) => latestKey(tenant, symbol, interval, hash)));
  }

  /** The newest event the tenant's batches stored per symbol: one MGET for the cached ones, one query for the rest. */
  async latest(tenant: string, symbols: readonly string[], interval: Interval, hash: string): Promise<LatestItem[]> {
    const cached = await this.cache.getMany<LatestItem>(symbols.map((symbol) => latestKey(tenant, symbol, interval, hash)));
    const missing = symbols.filter((_, i) => cached[i] === undefined);
    if (missing.length > 0) {
      const ids = await Promise.all(missing.map((symbol) => this.market.instrumentId(symbol)));
      const rows = await this.events.latest(tenant, ids, hash, interval);
      const byId = new Map(rows.map((row) => [row.instrumentId, row]));
      const fetched = missing.map((symbol, i): LatestItem => {
        const row = byId.get(ids[i] as number);
        return { symbol, signal: row ? { ts: new Date(row.ts).toISOString(), side: row.side, target: row.target, strength: row.strength, price: row.price } : null };
      });
      await this.cache.setMany(fetched.map((item) => ({ key: latestKey(tenant, item.symbol, interval, hash), value: item, tags: [symbolTag(item.symbol)] })));
      const bySymbol = new Map(fetched.map((item) => [item.symbol, item]));
      return symbols.map((symbol, i) => cached[i] ?? (bySymbol.get(symbol) as LatestItem));
    }
    return cached as LatestItem[];
  }
}
