/**
 * Volume indicators.
 * - OBV starts at 0 on bar 0 and adds (subtracts) the bar's volume when the close rises (falls).
 * - Session VWAP: Σ(typical price × volume) / Σvolume since the session's first bar, typical
 *   price = (h + l + c)/3. A session is a UTC calendar day shifted by `sessionOffsetMinutes`
 *   (e.g. −300 makes sessions start at 05:00 UTC). NaN while the session has no volume.
 */
import type { BarSeries } from '../series.js';
import { nanArray } from '../series.js';

const DAY_MS = 86_400_000;

export function obv(close: ArrayLike<number>, volume: ArrayLike<number>): Float64Array {
  const n = close.length;
  const out = new Float64Array(n);
  let total = 0;
  for (let i = 1; i < n; i++) {
    const c = close[i] as number;
    const prev = close[i - 1] as number;
    if (c > prev) total += volume[i] as number;
    else if (c < prev) total -= volume[i] as number;
    out[i] = total;
  }
  return out;
}

export function vwap(series: BarSeries, sessionOffsetMinutes = 0): Float64Array {
  const { ts, high, low, close, volume } = series;
  const n = ts.length;
  const out = nanArray(n);
  const offset = sessionOffsetMinutes * 60_000;
  let session = Number.NaN;
  let priceVolume = 0;
  let totalVolume = 0;
  for (let i = 0; i < n; i++) {
    const day = Math.floor(((ts[i] as number) - offset) / DAY_MS);
    if (day !== session) {
      session = day;
      priceVolume = 0;
      totalVolume = 0;
    }
    const v = volume[i] as number;
    priceVolume += (((high[i] as number) + (low[i] as number) + (close[i] as number)) / 3) * v;
    totalVolume += v;
    out[i] = totalVolume > 0 ? priceVolume / totalVolume : Number.NaN;
  }
  return out;
}
