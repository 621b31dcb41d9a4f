/**
 * Turns a rule spec into a per-bar position target (−1, 0, +1) and discrete signal events.
 * A target at bar t uses data up to and including bar t's close only; the backtest engine fills
 * it at bar t+1's open. Events are emitted where the target changes: `buy` when it rises,
 * `sell` when it falls, with a rule-specific, non-negative strength (how far past its trigger
 * the indicator was).
 */
import type { BarSeries } from '../series.js';
import { ema, sma } from '../indicators/moving-averages.js';
import { macd, roc, rsi } from '../indicators/momentum.js';
import { rollingMax, rollingMin } from '../indicators/rolling.js';
import { bollinger } from '../indicators/volatility.js';
import type { Bollinger, DonchianBreakout, LeafRule, MaCross, MacdCross, Momentum, RsiReversion, RuleSpec, Seasonality } from './spec.js';

export interface SignalEvent {
  index: number;
  ts: number;
  side: 'buy' | 'sell';
  /** The new position target after this event. */
  target: -1 | 0 | 1;
  strength: number;
}

export interface RuleOutput {
  target: Int8Array;
  strength: Float64Array;
}

export interface Evaluation extends RuleOutput {
  events: SignalEvent[];
}

export function evaluateRule(series: BarSeries, spec: RuleSpec): Evaluation {
  const output = ruleOutput(series, spec);
  return { ...output, events: eventsFrom(series.ts, output) };
}

export function eventsFrom(ts: ArrayLike<number>, { target, strength }: RuleOutput): SignalEvent[] {
  const events: SignalEvent[] = [];
  let prev = 0;
  for (let i = 0; i < target.length; i++) {
    const cur = target[i] as number;
    if (cur !== prev) {
      events.push({ index: i, ts: ts[i] as number, side: cur > prev ? 'buy' : 'sell', target: cur as -1 | 0 | 1, strength: strength[i] as number });
      prev = cur;
    }
  }
  return events;
}

export function ruleOutput(series: BarSeries, spec: RuleSpec): RuleOutput {
  switch (spec.type) {
    case 'all':
    case 'any':
      return combine(spec.type, spec.rules.map((rule) => ruleOutput(series, rule)));
    default:
      return leaf(series, spec);
  }
}

function leaf(series: BarSeries, spec: LeafRule): RuleOutput {
  switch (spec.type) {
    case 'ma-cross':
      return maCross(series.close, spec);
    case 'rsi-reversion':
      return rsiReversion(series.close, spec);
    case 'bollinger':
      return bollingerRule(series.close, spec);
    case 'donchian-breakout':
      return donchianBreakout(series, spec);
    case 'macd-cross':
      return macdCross(series.close, spec);
    case 'momentum':
      return momentumRule(series.close, spec);
    case 'seasonality':
      return seasonalityRule(series, spec);
  }
}

function output(n: number): RuleOutput {
  return { target: new Int8Array(n), strength: new Float64Array(n) };
}

/** Long while a > b, short while a < b, flat while either is undefined. */
function crossTarget(a: Float64Array, b: Float64Array, target: Int8Array, strength: Float64Array): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    // NaN compares false both ways: warm-up bars stay flat.
    target[i] = x > y ? 1 : x < y ? -1 : 0;
    strength[i] = Math.abs(x - y) / Math.abs(y) || 0;
  }
}

function maCross(close: Float64Array, spec: MaCross): RuleOutput {
  const average = spec.ma === 'ema' ? ema : sma;
  const out = output(close.length);
  crossTarget(average(close, spec.fast), average(close, spec.slow), out.target, out.strength);
  return out;
}

function macdCross(close: Float64Array, spec: MacdCross): RuleOutput {
  const m = macd(close, spec.fast, spec.slow, spec.signal);
  const out = output(close.length);
  for (let i = 0; i < close.length; i++) {
    const h = m.histogram[i] as number;
    out.target[i] = h > 0 ? 1 : h < 0 ? -1 : 0;
    out.strength[i] = Math.abs(h) / (close[i] as number) || 0;
  }
  return out;
}

function rsiReversion(close: Float64Array, spec: RsiReversion): RuleOutput {
  const values = rsi(close, spec.period);
  const out = output(close.length);
  let held = 0;
  for (let i = 0; i < close.length; i++) {
    const r = values[i] as number;
    if (held === 0 && r < spec.enterBelow) held = 1;
    else if (held === 1 && r > spec.exitAbove) held = 0;
    out.target[i] = held;
    // Warm-up bars (no RSI yet) have no strength, as in the other rules.
    out.strength[i] = (held === 1 ? Math.max(0, spec.enterBelow - r) / 100 : Math.max(0, r - spec.exitAbove) / 100) || 0;
  }
  return out;
}

function bollingerRule(close: Float64Array, spec: Bollinger): RuleOutput {
  const bands = bollinger(close, spec.period, spec.k);
  const out = output(close.length);
  const sign = spec.mode === 'breakout' ? 1 : -1;
  let held = 0;
  for (let i = 0; i < close.length; i++) {
    const c = close[i] as number;
    const upper = bands.upper[i] as number;
    const lower = bands.lower[i] as number;
    const middle = bands.middle[i] as number;
    if (c > upper) held = sign;
    else if (c < lower) held = -sign;
    else if ((held === 1 && (sign === 1 ? c < middle : c >= middle)) || (held === -1 && (sign === 1 ? c > middle : c <= middle))) held = 0;
    out.target[i] = held;
    const width = upper - lower;
    out.strength[i] = width > 0 ? Math.max(0, c - upper, lower - c) / width : 0;
  }
  return out;
}

function donchianBreakout(series: BarSeries, spec: DonchianBreakout): RuleOutput {
  const { close } = series;
  const upper = rollingMax(series.high, spec.period);
  const lower = rollingMin(series.low, spec.period);
  const out = output(close.length);
  let held = 0;
  for (let i = 1; i < close.length; i++) {
    const c = close[i] as number;
    // The channel of the n bars before this one: a close cannot break a channel that includes itself.
    const hi = upper[i - 1] as number;
    const lo = lower[i - 1] as number;
    if (c > hi) held = 1;
    else if (c < lo) held = -1;
    out.target[i] = held;
    out.strength[i] = c > hi ? (c - hi) / hi : c < lo ? (lo - c) / lo : 0;
  }
  return out;
}

function momentumRule(close: Float64Array, spec: Momentum): RuleOutput {
  const values = roc(close, spec.period);
  const out = output(close.length);
  for (let i = 0; i < close.length; i++) {
    const r = values[i] as number;
    out.target[i] = r > spec.threshold ? 1 : r < -spec.threshold ? -1 : 0;
    out.strength[i] = Number.isNaN(r) ? 0 : Math.abs(r) / 100;
  }
  return out;
}


function seasonalityRule(series: BarSeries, spec: Seasonality): RuleOutput {
  const { ts, close } = series;
  const n = close.length;
  const out = output(n);
  if (spec.months) {
    const months = new Set(spec.months);
    for (let i = 0; i < n; i++) out.target[i] = months.has(new Date((ts[i] as number)).getUTCMonth() + 1) ? 1 : 0;
    return out;
  }
  // Monthly returns are added to the ranking only once a month has closed, so a month's target
  // never depends on its own outcome.
  const sums = new Float64Array(12);
  const counts = new Int32Array(12);
  let month = -1;
  let monthKey = -1;
  let monthStartClose = Number.NaN;
  let prevClose = Number.NaN;
  let selected = new Set<number>();
  let firstYear = Number.NaN;
  for (let i = 0; i < n; i++) {
    const date = new Date(ts[i] as number);
    const key = date.getUTCFullYear() * 12 + date.getUTCMonth();
    if (key !== monthKey) {
      if (monthKey >= 0 && Number.isFinite(monthStartClose)) {
        sums[month] = (sums[month] as number) + prevClose / monthStartClose - 1;
        counts[month] = (counts[month] as number) + 1;
      }
      if (Number.isNaN(firstYear)) firstYear = key / 12;
      // A month's return runs from the previous month's last close to its own last close.
      monthStartClose = Number.isFinite(prevClose) ? prevClose : Number.NaN;
      monthKey = key;
      month = date.getUTCMonth();
      selected = key / 12 - firstYear >= spec.minYears ? topMonths(sums, counts, spec.top) : new Set();
    }
    out.target[i] = selected.has(month) ? 1 : 0;
    prevClose = close[i] as number;
  }
  return out;
}

function topMonths(sums: Float64Array, counts: Int32Array, top: number): Set<number> {
  const ranked: { month: number; mean: number }[] = [];
  for (let m = 0; m < 12; m++) if ((counts[m] as number) > 0) ranked.push({ month: m, mean: (sums[m] as number) / (counts[m] as number) });
  ranked.sort((a, b) => b.mean - a.mean);
  return new Set(ranked.slice(0, top).filter((r) => r.mean > 0).map((r) => r.month));
}

function combine(kind: 'all' | 'any', legs: RuleOutput[]): RuleOutput {
  const n = legs[0]?.target.length ?? 0;
  const out = output(n);
  for (let i = 0; i < n; i++) {
    let longs = 0;
    let shorts = 0;
    let strength = 0;
    for (const leg of legs) {
      const t = leg.target[i] as number;
      if (t > 0) longs++;
      else if (t < 0) shorts++;
      strength += leg.strength[i] as number;
    }
    const target = kind === 'all' ? (longs === legs.length ? 1 : shorts === legs.length ? -1 : 0) : longs > 0 && shorts === 0 ? 1 : shorts > 0 && longs === 0 ? -1 : 0;
    out.target[i] = target;
    out.strength[i] = strength / legs.length;
  }
  return out;
}
