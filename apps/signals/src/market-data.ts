import type { Cache, Namespace } from '@meridian/cache';
import { BarRepository, InstrumentRepository, type Interval, type Pools, ROLLUPS } from '@meridian/db';
import type { BarSeries } from '@meridian/market';
import { HttpProblem } from '@meridian/service';
import { rollupTag } from './rollups.js';
import { namespace } from './cache-namespaces.js';

/** Every cached value derived from a symbol's bars carries this tag; ingest deletes it. */
export const symbolTag = (symbol: string): string => `symbol:${symbol}`;

/** The tags of a value computed from a symbol's bars of an interval: rollups change on refresh too. */
export function barTags(symbol: string, interval: Interval): string[] {
  return interval in ROLLUPS ? [symbolTag(symbol), rollupTag(interval)] : [symbolTag(symbol)];
}

/**
 * Bars as the quant core wants them, through the cache. A symbol's whole history is loaded and
 * cached as columns: indicators and rules run over all of it, so a value at a bar never depends
 * on the window a caller asked for.
 */
export class MarketData {
  private readonly instruments: InstrumentRepository;
  private readonly bars: BarRepository;
  private readonly seriesCache: Namespace;
  private readonly idCache: Namespace;

  constructor(db: Pools, private readonly cache: Cache) {
    this.instruments = new InstrumentRepository(db.write, db.read);
    this.bars = new BarRepository(db.read);
    this.seriesCache = namespace(cache, 'bars');
    this.idCache = namespace(cache, 'instruments');
  }

  /** The instrument's id; 404 when the symbol was never created. */
  async instrumentId(symbol: string): Promise<number> {
    // Not tagged with the symbol: new bars do not change which id a symbol has.
    const id = await this.idCache.getOrSet(symbol, async () => (await this.instruments.bySymbol(symbol))?.id ?? null);
    if (id === null) {
      await this.idCache.delete(symbol);
      throw new HttpProblem(404, 'not-found', `No instrument ${symbol}. Create it with POST /v1/instruments first.`);
    }
    return id;
  }

  async series(symbol: string, interval: Interval): Promise<BarSeries> {
    const id = await this.instrumentId(symbol);
    return this.seriesCache.getOrSet(`${symbol}:${interval}`, () => this.bars.columns(id, interval), { tags: barTags(symbol, interval) });
  }

  /** Drops everything derived from the symbol's bars, on every instance. */
  async invalidate(symbol: string): Promise<void> {
    await this.cache.deleteByTag([symbolTag(symbol)]);
  }
}
