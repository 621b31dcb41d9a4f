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

/**
 * Exponential smoothing with factor `alpha`, seeded by the SMA of the first `period` finite values
 * starting at `start`, written into `out`, which may be `values` itself.
 */
function seededExponential(values: ArrayLike<number>, period: number, alpha: number, start: number, out: Float64Array): Float64Array {
  const n = values.length;
  const seedEnd = start + period - 1;
  if (seedEnd >= n) return out.fill(Number.NaN);
  let sum = 0;
  for (let i = start; i <= seedEnd; i++) sum += values[i] as number;
  // After the sum: when smoothing in place, the seed's inputs are the warm-up being overwritten.
  out.fill(Number.NaN, 0, seedEnd);
  out[seedEnd] = sum / period;
  smoothInto(values, out, seedEnd + 1, alpha, sum / period);
  return out;
}

/**
 * out[i] = out[i−1] + α·(source[i] − out[i−1]) for i ≥ `from`, starting from `prev`; `source`
 * may be `out` itself. Written one bar at a time, each bar waits for the last one's subtract,
 * multiply and add. Here four bars are done at once relative to the first one's input (the
 * anchor), and the only step that waits for the previous block is (1 − α)⁴·lag plus a sum made
 * from the block's own inputs: about twice as fast. The anchor keeps a constant input exactly
 * constant. A block at the end of the data is computed with the same operations as a full one,
 * so a bar's value does not depend on how many bars follow it.
 */
function smoothInto(source: ArrayLike<number>, out: Float64Array, from: number, alpha: number, prev: number): void {
  const n = out.length;
  const b = 1 - alpha;
  const b2 = b * b;
  const b3 = b2 * b;
  const b4 = b2 * b2;
  let i = from;
  for (; i + 3 < n; i += 4) {
    const anchor = source[i] as number;
    const lag = prev - anchor;
    const s2 = alpha * ((source[i + 1] as number) - anchor);
    const s3 = b * s2 + alpha * ((source[i + 2] as number) - anchor);
    const s4 = b * s3 + alpha * ((source[i + 3] as number) - anchor);
    out[i] = anchor + b * lag;
    out[i + 1] = anchor + (b2 * lag + s2);
    out[i + 2] = anchor + (b3 * lag + s3);
    prev = anchor + (b4 * lag + s4);
    out[i + 3] = prev;
  }
  if (i >= n) return;
  const anchor = source[i] as number;
  const lag = prev - anchor;
  out[i] = anchor + b * lag;
  if (i + 1 >= n) return;
  const s2 = alpha * ((source[i + 1] as number) - anchor);
  out[i + 1] = anchor + (b2 * lag + s2);
  if (i + 2 >= n) return;
  const s3 = b * s2 + alpha * ((source[i + 2] as number) - anchor);
  out[i + 2] = anchor + (b3 * lag + s3);
}

/** The index of the first finite value (derived series such as MACD start with NaN). */
export function firstFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) return i;
  return values.length;
}

export function ema(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod('period', period);
  return seededExponential(values, period, 2 / (period + 1), firstFinite(values), new Float64Array(values.length));
}

/** Wilder's smoothing into a new array, or into `out` (which may be `values`, to smooth in place). */
export function wilder(values: ArrayLike<number>, period: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  assertPeriod('period', period);
  return seededExponential(values, period, 1 / period, firstFinite(values), out);
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
