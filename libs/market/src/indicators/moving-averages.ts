/**
 * Moving averages, TA-Lib conventions.
 * - SMA(n): first value at index n−1.
 * - EMA(n): α = 2/(n+1), seeded with the SMA of the first n values, so its first value is at n−1.
 * - WMA(n): weights 1..n, newest heaviest; first value at n−1.
 * - Wilder's smoothing (RMA, used by RSI/ATR/ADX): α = 1/n, seeded with the mean of the first n values.
 * Leading NaNs (the warm-up of an earlier stage, as in MACD's signal or %D) are skipped: every
 * average starts at the input's first finite value. A NaN later inside a window makes that
 * window's value NaN.
 */
import { nanArray } from '../series.js';

export function assertPeriod(name: string, period: number, min = 1): void {
  if (!Number.isInteger(period) || period < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${period}`);
  }
}

export function sma(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = nanArray(n);
  const start = firstFinite(values);
  const seedEnd = start + period - 1;
  if (seedEnd >= n) return out;
  let sum = 0;
  for (let i = start; i <= seedEnd; i++) sum += values[i] as number;
  out[seedEnd] = sum / period;
  for (let i = seedEnd + 1; i < n; i++) {
    sum += (values[i] as number) - (values[i - period] as number);
    out[i] = sum / period;
  }
  return out;
}

/** Exponential smoothing with factor `alpha`, seeded by the SMA of the first `period` finite values starting at `start`. */
function seededExponential(values: ArrayLike<number>, period: number, alpha: number, start: number): Float64Array {
  const n = values.length;
  const out = nanArray(n);
  const seedEnd = start + period - 1;
  if (seedEnd >= n) return out;
  let sum = 0;
  for (let i = start; i <= seedEnd; i++) sum += values[i] as number;
  let prev = sum / period;
  out[seedEnd] = prev;
  for (let i = seedEnd + 1; i < n; i++) {
    prev += alpha * ((values[i] as number) - prev);
    out[i] = prev;
  }
  return out;
}

/** The index of the first finite value (derived series such as MACD start with NaN). */
export function firstFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return i;
  return values.length;
}

export function ema(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod('period', period);
  return seededExponential(values, period, 2 / (period + 1), firstFinite(values));
}

export function wilder(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod('period', period);
  return seededExponential(values, period, 1 / period, firstFinite(values));
}

export function wma(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod('period', period);
  const n = values.length;
  const out = nanArray(n);
  if (n < period) return out;
  const denominator = (period * (period + 1)) / 2;
  // Running plain sum and weighted sum: sliding the window subtracts the plain sum once.
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < period; i++) {
    const v = values[i] as number;
    sum += v;
    weighted += v * (i + 1);
  }
  out[period - 1] = weighted / denominator;
  for (let i = period; i < n; i++) {
    const v = values[i] as number;
    weighted += period * v - sum;
    sum += v - (values[i - period] as number);
    out[i] = weighted / denominator;
  }
  return out;
}
