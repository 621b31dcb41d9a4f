import { BarRepository, InstrumentRepository, type Interval, type Pools } from '@meridian/db';
import { sliceSeries, type BarSeries } from '@meridian/market';

export interface BarWindow {
  symbol: string;
  interval: Interval;
  /** Epoch ms, inclusive; unbounded when absent. */
  from?: number | undefined;
  to?: number | undefined;
}

/** First index whose time is ≥ t (or > t with `after`). */
function bisect(ts: Float64Array, t: number, after = false): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < t || (after && ts[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bars for research, read through the db library on the read pool; the backtest service never writes them. */
export class BarSource {
  private readonly instruments: InstrumentRepository;
  private readonly bars: BarRepository;

  constructor(db: Pools) {
    this.instruments = new InstrumentRepository(db.write, db.read);
    this.bars = new BarRepository(db.read);
  }

  async instrumentId(symbol: string): Promise<number | undefined> {
    return (await this.instruments.bySymbol(symbol))?.id;
  }

  async count(instrumentId: number, window: BarWindow): Promise<number> {
    return this.bars.count({ instrumentId, interval: window.interval, from: window.from, to: window.to });
  }

  /** The window's bars as columns; empty when the symbol is unknown. */
  async load(window: BarWindow): Promise<BarSeries> {
    const id = await this.instrumentId(window.symbol);
    const all = await this.bars.columns(id ?? -1, window.interval);
    const start = window.from === undefined ? 0 : bisect(all.ts, window.from);
    const end = window.to === undefined ? all.ts.length : bisect(all.ts, window.to, true);
    return sliceSeries(all, start, end);
  }
}
