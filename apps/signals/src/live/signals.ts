import type { Interval } from '@meridian/db';
import { evaluateRule, type BarSeries, type Evaluation, type RuleSpec } from '@meridian/market';
import type { MarketData } from '../market-data.js';

export interface LiveSignal {
  symbol: string;
  ruleHash: string;
  interval: Interval;
  ts: string;
  side: 'buy' | 'sell';
  target: number;
  strength: number;
  price: number;
}

/**
 * Signal events for new bars: each subscribed rule evaluated over the symbol's cached series (the
 * same evaluation a batch runs, so the same events), once per series and rule on this instance
 * however many clients follow it, and only the events that fall on the new bars are returned.
 */
export class LiveSignals {
  private readonly evaluations = new WeakMap<BarSeries, Map<string, Evaluation>>();

  constructor(private readonly market: MarketData) {}

  async on(symbol: string, interval: Interval, rules: ReadonlyMap<string, RuleSpec>, newBars: ReadonlySet<number>): Promise<LiveSignal[]> {
    let series = await this.market.series(symbol, interval);
    const newest = Math.max(...newBars);
    // Another instance's upload: its invalidation may not have reached this cache yet.
    if ((series.ts[series.ts.length - 1] ?? -Infinity) < newest) {
      await this.market.invalidate(symbol);
      series = await this.market.series(symbol, interval);
    }
    let byRule = this.evaluations.get(series);
    if (!byRule) this.evaluations.set(series, (byRule = new Map()));
    const out: LiveSignal[] = [];
    for (const [hash, spec] of rules) {
      let evaluation = byRule.get(hash);
      if (!evaluation) byRule.set(hash, (evaluation = evaluateRule(series, spec)));
      for (const event of evaluation.events) {
        if (!newBars.has(event.ts)) continue;
        out.push({ symbol, ruleHash: hash, interval, ts: new Date(event.ts).toISOString(), side: event.side, target: event.target, strength: event.strength, price: series.close[event.index] as number });
      }
    }
    return out;
  }
}
