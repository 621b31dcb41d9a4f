/**
 * Momentum oscillators.
 * - RSI(n): Wilder. Changes start at bar 1; the first average gain/loss is the mean of the first n
 *   changes, so the first RSI is at index n; then α = 1/n. avgLoss = 0 → 100 (50 when avgGain is 0 too).
 * - ROC(n) = 100·(cₜ / cₜ₋ₙ − 1); momentum(n) = cₜ − cₜ₋ₙ. First value at index n.
 * - MACD(fast, slow, signal): EMA(fast) − EMA(slow), each EMA seeded with the SMA of its own first
 *   values (StockCharts); first MACD at slow−1. The signal line is an EMA of the MACD seeded with the
 *   SMA of the first `signal` MACD values, so it starts at slow+signal−2. Histogram = MACD − signal.
 * - Stochastic(k, slowing, d): raw %K = 100·(c − lowest low)/(highest high − lowest low) over k bars
 *   (50 when the range is zero); %K = SMA(raw, slowing); %D = SMA(%K, d).
 */
import { nanArray } from '../series.js';
import { assertPeriod, sma } from './moving-averages.js';
import { rollingMax, rollingMin } from './rolling.js';

export function rsi(close: ArrayLike<number>, period = 14): Float64Array {
  assertPeriod('period', period);
  const n = close.length;
  if (n <= period) return nanArray(n);
  const out = new Float64Array(n);
  out.fill(Number.NaN, 0, period);
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = (close[i] as number) - (close[i - 1] as number);
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  out[period] = rsiValue(gain, loss);
  // Wilder's smoothing of gains and losses, four bars at a time as in smoothInto(). A bar's gain
  // is (|Δ| + Δ)/2 and its loss (|Δ| − Δ)/2, both exact: price changes have random signs, and a
  // branch on the sign is mispredicted half the time, which cost more than the arithmetic.
  const a = 1 / period;
  const h = a / 2;
  const b = 1 - a;
  const b2 = b * b;
  const b3 = b2 * b;
  const b4 = b2 * b2;
  let last = close[period] as number;
  let i = period + 1;
  for (; i + 3 < n; i += 4) {
    const v1 = close[i] as number;
    const v2 = close[i + 1] as number;
    const v3 = close[i + 2] as number;
    const v4 = close[i + 3] as number;
    const d1 = v1 - last;
    const d2 = v2 - v1;
    const d3 = v3 - v2;
    const d4 = v4 - v3;
    last = v4;
    const m1 = Math.abs(d1);
    const m2 = Math.abs(d2);
    const m3 = Math.abs(d3);
    const m4 = Math.abs(d4);
    const g1 = h * (m1 + d1);
    const g2 = b * g1 + h * (m2 + d2);
    const g3 = b * g2 + h * (m3 + d3);
    const g4 = b * g3 + h * (m4 + d4);
    const l1 = h * (m1 - d1);
    const l2 = b * l1 + h * (m2 - d2);
    const l3 = b * l2 + h * (m3 - d3);
    const l4 = b * l3 + h * (m4 - d4);
    out[i] = rsiValue(b * gain + g1, b * loss + l1);
    out[i + 1] = rsiValue(b2 * gain + g2, b2 * loss + l2);
    out[i + 2] = rsiValue(b3 * gain + g3, b3 * loss + l3);
    gain = b4 * gain + g4;
    loss = b4 * loss + l4;
    out[i + 3] = rsiValue(gain, loss);
  }
  // The last block, with a full block's operations: a bar's value does not depend on what follows.
  const powers = [b, b2, b3];
  let g = 0;
  let l = 0;
  for (let k = 0; i < n; i++, k++) {
    const v = close[i] as number;
    const d = v - last;
    last = v;
    const m = Math.abs(d);
    g = k === 0 ? h * (m + d) : b * g + h * (m + d);
    l = k === 0 ? h * (m - d) : b * l + h * (m - d);
    const power = powers[k] as number;
    out[i] = rsiValue(power * gain + g, power * loss + l);
  }
  return out;
}

/** 100 − 100/(1 + RS) written as 100·gain/(gain + loss): one division per bar instead of two. */
function rsiValue(gain: number, loss: number): number {
  if (loss === 0) return gain === 0 ? 50 : 100;
  return (100 * gain) / (gain + loss);
}

export function roc(close: ArrayLike<number>, period = 10): Float64Array {
  assertPeriod('period', period);
  const out = nanArray(close.length);
  for (let i = period; i < close.length; i++) out[i] = 100 * ((close[i] as number) / (close[i - period] as number) - 1);
  return out;
}

export function momentum(close: ArrayLike<number>, period = 10): Float64Array {
  assertPeriod('period', period);
  const out = nanArray(close.length);
  for (let i = period; i < close.length; i++) out[i] = (close[i] as number) - (close[i - period] as number);
  return out;
}

export interface Macd {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

export function macd(close: ArrayLike<number>, fast = 12, slow = 26, signal = 9): Macd {
  assertPeriod('fast', fast);
  assertPeriod('signal', signal);
  if (fast >= slow) throw new RangeError(`fast (${fast}) must be shorter than slow (${slow})`);
  const n = close.length;
  const line = nanArray(n);
  const signalLine = nanArray(n);
  const histogram = nanArray(n);
  // One pass over the bars, each average seeded by the SMA of its first values as in ema(); it
  // keeps one bar at a time (not ema()'s blocks of four), so values may differ from ema()'s in the
  // last bit. Three ema() passes and two subtractions move three times the memory and were slower.
  const fastAlpha = 2 / (fast + 1);
  const slowAlpha = 2 / (slow + 1);
  const signalAlpha = 2 / (signal + 1);
  const signalStart = slow - 1 + signal - 1;
  let fastSum = 0;
  let slowSum = 0;
  let fastEma = 0;
  let slowEma = 0;
  let signalSum = 0;
  let signalEma = 0;
  for (let i = 0; i < n; i++) {
    const v = close[i] as number;
    if (i < fast) {
      fastSum += v;
      if (i === fast - 1) fastEma = fastSum / fast;
    } else fastEma += fastAlpha * (v - fastEma);
    if (i < slow) {
      slowSum += v;
      if (i < slow - 1) continue;
      slowEma = slowSum / slow;
    } else slowEma += slowAlpha * (v - slowEma);
    const m = fastEma - slowEma;
    line[i] = m;
    if (i < signalStart) {
      signalSum += m;
      continue;
    }
    if (i === signalStart) signalEma = (signalSum + m) / signal;
    else signalEma += signalAlpha * (m - signalEma);
    signalLine[i] = signalEma;
    histogram[i] = m - signalEma;
  }
  return { macd: line, signal: signalLine, histogram };
}

export interface Stochastic {
  k: Float64Array;
  d: Float64Array;
}

export function stochastic(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  kPeriod = 14,
  slowing = 3,
  dPeriod = 3,
): Stochastic {
  const highest = rollingMax(high, kPeriod);
  const lowest = rollingMin(low, kPeriod);
  const raw = highest; // reuse: each highest value is read once before being overwritten
  for (let i = 0; i < raw.length; i++) {
    const range = (highest[i] as number) - (lowest[i] as number);
    raw[i] = range === 0 ? 50 : (100 * ((close[i] as number) - (lowest[i] as number))) / range;
  }
  const k = slowing === 1 ? raw : sma(raw, slowing);
  return { k, d: sma(k, dPeriod) };
}
