import type { Interval } from '@meridian/db';
import { type BarSeries, type Evaluation, evaluateRule, type IndicatorSpec, type Params, type RuleSpec, seasonality, type SeasonalityBy, toNullable } from '@meridian/market';
import { isoTimes, windowOf } from './window.js';

export interface Window {
  from?: number | undefined;
  to?: number | undefined;
}

export function indicatorBody(symbol: string, interval: Interval, spec: IndicatorSpec, params: Params, series: BarSeries, window: Window) {
  const outputs = spec.compute(series, params);
  const [start, end] = windowOf(series.ts, window.from, window.to);
  return {
    symbol,
    interval,
    indicator: spec.name,
    params,
    warmupBars: spec.warmup(params),
    ts: isoTimes(series.ts, start, end),
    values: Object.fromEntries(Object.entries(outputs).map(([name, values]) => [name, toNullable(values.subarray(start, end))])),
  };
}

/** Events inside the window and the position at its last bar, from an evaluation over all bars. */
export function signalsBody(symbol: string, interval: Interval, spec: RuleSpec, hash: string, series: BarSeries, window: Window, evaluation: Evaluation = evaluateRule(series, spec)) {
  const [start, end] = windowOf(series.ts, window.from, window.to);
  const events = evaluation.events.filter((event) => event.index >= start && event.index < end);
  const last = end - 1;
  const target = last >= 0 ? (evaluation.target[last] ?? 0) : 0;
  let since: string | null = null;
  for (let i = evaluation.events.length - 1; i >= 0; i--) {
    const event = evaluation.events[i];
    if (event && event.index <= last) {
      since = event.target === target ? new Date(event.ts).toISOString() : null;
      break;
    }
  }
  return {
    symbol,
    interval,
    rule: spec,
    ruleHash: hash,
    bars: end - start,
    position: { target, since },
    events: events.map((event) => ({
      ts: new Date(event.ts).toISOString(),
      side: event.side,
      target: event.target,
      strength: event.strength,
      price: series.close[event.index] as number,
    })),
  };
}

export function seasonalityBody(symbol: string, interval: Interval, by: SeasonalityBy, series: BarSeries, window: Window) {
  return { symbol, interval, by, buckets: seasonality(series, by, { from: window.from, to: window.to }) };
}
