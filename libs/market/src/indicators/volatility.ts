/**
 * Volatility and channels.
 * - True range: max(h − l, |h − cₜ₋₁|, |l − cₜ₋₁|); bar 0 has no previous close, so TR₀ = h − l.
 * - ATR(n): Wilder's smoothing of TR seeded with the mean of TR₀..TRₙ₋₁, so the first value is at
 *   n−1 (Wilder, Achelis, TradingView). TA-Lib drops bar 0 and starts one bar later.
 * - Bollinger(n, k): SMA(n) ± k·σ with the population σ (divide by n), as Bollinger defines it.
 * - Rolling z-score(n): (x − SMA(n)) / σ with the sample σ (n − 1), as pandas' rolling std.
 * - Rolling volatility(n): sample σ of the last n log returns × √A (A = bars per year, 252 by
 *   default); the first value is at index n.
 * - Donchian(n): highest high and lowest low of the last n bars including the current one; middle
 *   is their mean.
 */
import { nanArray } from '../series.js';
import { assertPeriod, sma, wilder } from './moving-averages.js';
import { rollingMax, rollingMin, rollingStd } from './rolling.js';

/**
 * The maximum is taken as (x + y + |x − y|)/2, which has no branch to mispredict (Math.max
 * compiles to compares and jumps; BENCHMARKS.md, "Quant core", ATR) and may differ from it in the last bit.
 */
export function trueRange(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>): Float64Array {
  const n = high.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  out[0] = (high[0] as number) - (low[0] as number);
  for (let i = 1; i < n; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const prev = close[i - 1] as number;
    const range = h - l;
    const up = Math.abs(h - prev);
    const down = Math.abs(l - prev);
    const wider = (range + up + Math.abs(range - up)) / 2;
    out[i] = (wider + down + Math.abs(wider - down)) / 2;
  }
  return out;
}

/** Wilder's smoothing of the true range, in the true ranges' own buffer. */
export function atr(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period = 14): Float64Array {
  const ranges = trueRange(high, low, close);
  return wilder(ranges, period, ranges);
}

export interface Bands {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
}

export function bollinger(close: ArrayLike<number>, period = 20, k = 2): Bands {
  assertPeriod('period', period);
  const n = close.length;
  const upper = nanArray(n);
  const middle = nanArray(n);
  const lower = nanArray(n);
  if (n < period) return { upper, middle, lower };
  // One pass: running sums of values shifted by the first one (see rollingStd) give mean and σ.
  const shift = close[0] as number;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const d = (close[i] as number) - shift;
    sum += d;
    sumSq += d * d;
    if (i >= period) {
      const old = (close[i - period] as number) - shift;
      sum -= old;
      sumSq -= old * old;
    }
    if (i >= period - 1) {
      const mean = sum / period;
      const variance = sumSq / period - mean * mean;
      const width = variance > 0 ? k * Math.sqrt(variance) : 0;
      const m = mean + shift;
      middle[i] = m;
      upper[i] = m + width;
      lower[i] = m - width;
    }
  }
  return { upper, middle, lower };
}

export function zscore(values: ArrayLike<number>, period = 20): Float64Array {
  assertPeriod('period', period, 2);
  const mean = sma(values, period);
  const sigma = rollingStd(values, period, 1);
  const out = mean;
  for (let i = 0; i < out.length; i++) {
    const s = sigma[i] as number;
    out[i] = s > 0 ? ((values[i] as number) - (mean[i] as number)) / s : Number.NaN;
  }
  return out;
}

export function volatility(close: ArrayLike<number>, period = 20, barsPerYear = 252): Float64Array {
  assertPeriod('period', period, 2);
  const n = close.length;
  const logReturns = nanArray(n);
  for (let i = 1; i < n; i++) logReturns[i] = Math.log((close[i] as number) / (close[i - 1] as number));
  const out = nanArray(n);
  if (n <= period) return out;
  out.set(rollingStd(logReturns.subarray(1), period, 1), 1);
  const scale = Math.sqrt(barsPerYear);
  for (let i = period; i < n; i++) out[i] = (out[i] as number) * scale;
  return out;
}

export function donchian(high: ArrayLike<number>, low: ArrayLike<number>, period = 20): Bands {
  const upper = rollingMax(high, period);
  const lower = rollingMin(low, period);
  const middle = nanArray(high.length);
  for (let i = period - 1; i < high.length; i++) middle[i] = ((upper[i] as number) + (lower[i] as number)) / 2;
  return { upper, middle, lower };
}
