/**
 * Columnar bars: one typed array per field, all the same length, oldest first.
 * Timestamps are epoch milliseconds (UTC) in a Float64Array so that they sit beside the
 * prices without BigInt arithmetic in hot loops.
 */
export interface BarSeries {
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** NaN where the source had no volume. */
  readonly volume: Float64Array;
}

export interface BarLike {
  ts: number | string | Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume?: number | null;
}

/** Converts row objects (as the API and repositories return them) to columns, once, outside any hot loop. */
export function toSeries(bars: readonly BarLike[]): BarSeries {
  const n = bars.length;
  const series = emptySeries(n);
  for (let i = 0; i < n; i++) {
    const bar = bars[i] as BarLike;
    series.ts[i] = bar.ts instanceof Date ? bar.ts.getTime() : typeof bar.ts === 'string' ? Date.parse(bar.ts) : bar.ts;
    series.open[i] = bar.open;
    series.high[i] = bar.high;
    series.low[i] = bar.low;
    series.close[i] = bar.close;
    series.volume[i] = bar.volume ?? Number.NaN;
  }
  return series;
}

export function emptySeries(length: number): BarSeries {
  return {
    ts: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

/** The first `length` bars, sharing memory with the original (for look-ahead checks and walk-forward windows). */
export function sliceSeries(series: BarSeries, start: number, end: number): BarSeries {
  return {
    ts: series.ts.subarray(start, end),
    open: series.open.subarray(start, end),
    high: series.high.subarray(start, end),
    low: series.low.subarray(start, end),
    close: series.close.subarray(start, end),
    volume: series.volume.subarray(start, end),
  };
}

/** An output array: same length as the input, NaN until a value exists. */
export function nanArray(length: number): Float64Array {
  return new Float64Array(length).fill(Number.NaN);
}

/** JSON has no NaN: warm-up and undefined values become null on the wire. */
export function toNullable(values: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/** A ratio that may be undefined (σ = 0, no trades): null rather than ±Infinity or NaN. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
